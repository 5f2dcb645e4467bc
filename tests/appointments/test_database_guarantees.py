"""The appointments and onboarding constraints, attacked directly (the ORM, no actions), and
the occupancy triggers kept in step with their source tables."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from reformer.appointments.models import Appointment, AppointmentType, Attendee, Occupancy
from reformer.bookings.models import Booking
from reformer.onboarding.models import (
    ClassRequirement,
    ClientTag,
    ClientTagGrant,
    Document,
    DocumentVersion,
    RequirementOverride,
)
from tests import factories
from tests.appointments import helpers as ah
from tests.bookings import helpers
from tests.test_database_guarantees import refused

pytestmark = pytest.mark.django_db


def appointment(tenant, kind, spot, *, hour=10, instructor=None, **fields):
    start = ah.at(tenant, hour=hour)
    return Appointment.objects.create(
        organization=tenant.organization,
        studio=tenant.studio,
        room=spot.room,
        spot=spot,
        appointment_type=kind,
        instructor=instructor or tenant.instructor,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=55),
        capacity=fields.pop("capacity", 1),
        **fields,
    )


def place(tenant, appt, client, package):
    return Attendee.objects.create(
        organization=tenant.organization,
        appointment=appt,
        client=client,
        client_package=package,
        credits_spent=1,
        starts_at=appt.starts_at,
        ends_at=appt.ends_at,
    )


def test_occupancy_refuses_double_booking_across_classes_and_appointments(world):
    tenant = world.a
    kind, _room, spots = ah.setup_privates(tenant)
    first = appointment(tenant, kind, spots[0])
    with refused("occupancy_instructor_once"):
        appointment(tenant, kind, spots[1], hour=10)
    with refused("occupancy_equipment_once"):
        appointment(tenant, kind, spots[0], instructor=tenant.manager)
    with refused("occupancy_instructor_once"):
        factories.make_session(tenant, starts_at=ah.at(tenant, hour=10, minute=30))
    # A class takes its whole room: no appointment on its equipment meanwhile.
    factories.make_session(tenant, starts_at=ah.at(tenant, hour=14), instructor=tenant.owner)
    group_spot = tenant.spots[0]
    with refused("occupancy_equipment_once"):
        appointment(tenant, kind, group_spot, hour=14, instructor=tenant.manager)
    client = helpers.make_client(tenant, "Ann")
    package = helpers.give_package(client)
    place(tenant, first, client, package)
    session = factories.make_session(
        tenant, starts_at=ah.at(tenant, hour=10), instructor=tenant.manager, room=_room_b(tenant)
    )
    with refused("occupancy_client_once"):
        Booking.objects.create(
            organization=tenant.organization,
            session=session,
            client=client,
            starts_at=session.starts_at,
            ends_at=session.ends_at,
        )
    # Cancelling frees: the rows follow their sources.
    Appointment.objects.filter(pk=first.pk).update(status="cancelled")
    assert not Occupancy.objects.filter(appointment_id=first.pk).exists()
    appointment(tenant, kind, spots[0])
    assert Occupancy.objects.filter(attendee_id__isnull=False).count() == 1
    Attendee.objects.filter(appointment=first).update(status="cancelled")
    assert not Occupancy.objects.filter(attendee_id__isnull=False).exists()
    with connection.cursor() as cursor:
        # The cascade reaches payments and the places they paid for (attendee.payment):
        # their deferred foreign-key checks run first, as a commit would.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE bookings_booking CASCADE")
    assert not Occupancy.objects.filter(booking_id__isnull=False).exists()


def _room_b(tenant):
    from tests import factories

    return factories.RoomFactory(studio=tenant.studio, name="Room B", capacity=10)


def test_appointment_and_type_checks(world):
    tenant = world.a
    kind, _room, spots = ah.setup_privates(tenant)
    with refused("appointment_type_capacity_1_to_3"):
        AppointmentType.objects.create(organization=tenant.organization, name="Q", capacity=4)
    with refused("appointment_type_duration_valid"):
        AppointmentType.objects.create(
            organization=tenant.organization, name="Long", duration_minutes=600
        )
    with refused("appointment_type_costs"):
        AppointmentType.objects.create(organization=tenant.organization, name="Free", credits=0)
    with refused("appointment_type_name_unique"):
        AppointmentType.objects.create(organization=tenant.organization, name="PRIVATE 55")
    with refused("appointment_capacity_1_to_3"):
        appointment(tenant, kind, spots[0], capacity=4)
    with refused("appointment_not_overfilled"):
        appointment(tenant, kind, spots[0], booked_count=2)
    with refused("appointment_ends_after_start"):
        Appointment.objects.create(
            organization=tenant.organization,
            studio=tenant.studio,
            room=spots[0].room,
            spot=spots[0],
            appointment_type=kind,
            instructor=tenant.instructor,
            starts_at=ah.at(tenant, hour=10),
            ends_at=ah.at(tenant, hour=10),
            capacity=1,
        )
    appt = appointment(tenant, kind, spots[0], capacity=2)
    client = helpers.make_client(tenant, "Bo")
    package = helpers.give_package(client)
    place(tenant, appt, client, package)
    with refused("attendee_once_per_appointment"):
        place(tenant, appt, client, package)
    with refused("attendee_ends_after_start"):
        Attendee.objects.create(
            organization=tenant.organization,
            appointment=appt,
            client=helpers.make_client(tenant, "Cy"),
            client_package=package,
            credits_spent=1,
            starts_at=appt.starts_at,
            ends_at=appt.starts_at,
        )
    with refused("attendee_paid_by_package_or_payment"):
        Attendee.objects.create(
            organization=tenant.organization,
            appointment=appt,
            client=helpers.make_client(tenant, "Dee"),
            client_package=None,
            payment=None,
            credits_spent=0,
            starts_at=appt.starts_at,
            ends_at=appt.ends_at,
        )
    with refused("appointment_type_price_positive"):
        AppointmentType.objects.create(organization=tenant.organization, name="Gift", price=0)
    # Fees only on a type with a price, and never negative.
    with refused("appointment_type_fees_valid"):
        AppointmentType.objects.create(
            organization=tenant.organization, name="Credit fee", late_cancel_fee=Decimal("5")
        )
    with refused("appointment_type_fees_valid"):
        AppointmentType.objects.create(
            organization=tenant.organization,
            name="Negative fee",
            price=Decimal("80"),
            no_show_fee=Decimal("-1"),
        )
    from reformer.appointments.models import HoursException, WeeklyHours

    with refused("weekly_hours_ordered"):
        WeeklyHours.objects.create(
            organization=tenant.organization,
            instructor=tenant.instructor,
            studio=tenant.studio,
            weekday=1,
            starts=dt.time(12),
            ends=dt.time(9),
        )
    with refused("weekly_hours_weekday"):
        WeeklyHours.objects.create(
            organization=tenant.organization,
            instructor=tenant.instructor,
            studio=tenant.studio,
            weekday=7,
            starts=dt.time(9),
            ends=dt.time(12),
        )
    with refused("hours_exception_ordered"):
        HoursException.objects.create(
            organization=tenant.organization,
            instructor=tenant.instructor,
            studio=tenant.studio,
            date=ah.local_day(tenant),
            kind="extra",
            starts=dt.time(12),
            ends=dt.time(12),
        )


def test_onboarding_checks(world):
    tenant = world.a
    org = tenant.organization
    document = Document.objects.create(organization=org, title="Waiver")
    with refused("document_title_unique"):
        Document.objects.create(organization=org, title="WAIVER")
    version = {"organization": org, "document": document, "published_at": timezone.now()}
    with refused("document_version_has_text"):
        DocumentVersion.objects.create(number=1, body="  \n ", **version)
    DocumentVersion.objects.create(number=1, body="Text", **version)
    with refused("document_version_once"):
        DocumentVersion.objects.create(number=1, body="Other", **version)
    from reformer.onboarding.models import Acceptance

    acceptance = {
        "organization": org,
        "client": tenant.client,
        "version": document.versions.get(),
        "text_seen": "Text",
        "accepted_at": timezone.now(),
        "signature": "C",
    }
    Acceptance.objects.create(**acceptance)
    with refused("acceptance_once"):
        Acceptance.objects.create(**acceptance)
    tag = ClientTag.objects.create(organization=org, name="Level 2")
    with refused("client_tag_name_unique"):
        ClientTag.objects.create(organization=org, name="level 2")
    grant = {"organization": org, "client": tenant.client, "tag": tag, "granted_at": timezone.now()}
    ClientTagGrant.objects.create(**grant)
    with refused("client_tag_granted_once"):
        ClientTagGrant.objects.create(**grant)
    with refused("requirement_attended_names_type"):
        ClassRequirement.objects.create(
            organization=org, class_type=tenant.class_type, kind="attended"
        )
    with refused("requirement_tag_named"):
        ClassRequirement.objects.create(organization=org, class_type=tenant.class_type, kind="tag")
    with refused("requirement_count"):
        ClassRequirement.objects.create(
            organization=org, class_type=tenant.class_type, kind="private", min_count=0
        )
    session = factories.make_session(tenant)
    helpers.give_package(tenant.client)
    from reformer.bookings import actions

    booking = actions.book_session(tenant.front_desk, session, client=tenant.client)
    with refused("requirement_override_has_reason"):
        RequirementOverride.objects.create(
            organization=org,
            client=tenant.client,
            booking=booking,
            reason=" ",
            unmet="",
            at=timezone.now(),
        )


def test_it_attacks_every_declared_constraint():
    declared = {
        constraint.name
        for model in apps.get_models()
        if model._meta.app_label in {"appointments", "onboarding"}
        for constraint in model._meta.constraints
    }
    attacked = set(re.findall(r'refused\(\s*"(\w+)"', Path(__file__).read_text()))
    assert declared - attacked == set(), "add an attack on these constraints to this file"
