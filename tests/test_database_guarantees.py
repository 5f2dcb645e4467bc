"""Every database guarantee, attacked directly with the ORM or raw SQL.

Each attack runs in `refused("<constraint name>")`: it must raise IntegrityError naming that
constraint, inside its own savepoint. The last test lists every constraint declared in a
model's Meta.constraints and fails for any that no `refused(...)` here names: a new
constraint needs its attack here.
"""

from __future__ import annotations

import datetime as dt
import re
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from reformer.accounts.models import Membership, User
from reformer.billing.models import (
    ClientPackage,
)
from reformer.bookings.models import Booking, OfflineMark, WaitlistEntry
from reformer.scheduling.models import (
    ClassSession,
    ClassType,
    InstructorUnavailability,
    RecurringTemplate,
    RotationSlot,
)
from reformer.studios.models import Closure, Room, Spot, Studio
from reformer.studios.validation import violated_constraint
from tests import factories
from tests.factories import make_session

PROJECT_APPS = {
    "core",
    "accounts",
    "studios",
    "scheduling",
    "billing",
    "bookings",
    "notifications",
    "payments",
}
HOUR = dt.timedelta(hours=1)


@contextmanager
def refused(constraint: str):
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        yield
    assert violated_constraint(error.value) == constraint


def start(hours: int = 48) -> dt.datetime:
    return (timezone.now() + dt.timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)


def booking(of: ClassSession, client: Membership, **fields) -> Booking:
    data = {
        "organization": of.organization,
        "session": of,
        "client": client,
        "starts_at": of.starts_at,
        "ends_at": of.ends_at,
    } | fields
    return Booking.objects.create(**data)


def waitlist(of: ClassSession, client: Membership, **fields) -> WaitlistEntry:
    return WaitlistEntry.objects.create(
        organization=of.organization, session=of, client=client, joined_at=timezone.now(), **fields
    )


def another_client(tenant) -> Membership:
    return factories.MembershipFactory(organization=tenant.organization, role="client")


# ---------------------------------------------------------------------------------- bookings


def test_it_allows_one_active_booking_per_client_and_session(world):
    cls = make_session(world.a, instructor=None)
    first = booking(cls, world.a.client)

    # Other times on the copy so only the one-active-booking index can object.
    with refused("booking_one_active_per_client_session"):
        booking(cls, world.a.client, starts_at=cls.starts_at + HOUR, ends_at=cls.ends_at + HOUR)
    for status in ("attended", "no_show"):
        Booking.objects.filter(pk=first.pk).update(status=status)
        with refused("booking_one_active_per_client_session"):
            booking(cls, world.a.client, starts_at=cls.ends_at, ends_at=cls.ends_at + HOUR)

    Booking.objects.filter(pk=first.pk).update(status="cancelled")
    booking(cls, world.a.client, status="confirmed")
    booking(cls, world.a.client, status="late_cancelled")
    assert Booking.objects.filter(session=cls).count() == 3


def test_it_allows_one_waiting_entry_per_client_and_session(world):
    cls = make_session(world.a, instructor=None)
    first = waitlist(cls, world.a.client)

    with refused("waitlist_one_per_client_session"):
        waitlist(cls, world.a.client)

    WaitlistEntry.objects.filter(pk=first.pk).update(status="promoted")
    waitlist(cls, world.a.client)
    assert WaitlistEntry.objects.filter(session=cls).count() == 2


def test_it_refuses_overlapping_bookings_of_one_client(world):
    morning = make_session(world.a, starts_at=start(), instructor=None)
    room = factories.RoomFactory(studio=world.a.studio, name="Tower")
    overlapping = make_session(
        world.a, starts_at=start() + dt.timedelta(minutes=30), room=room, instructor=None
    )
    back_to_back = make_session(
        world.a,
        starts_at=morning.ends_at,
        room=factories.RoomFactory(studio=world.a.studio),
        instructor=None,
    )
    booking(morning, world.a.client)

    with refused("booking_no_client_overlap"):
        booking(overlapping, world.a.client)
    booking(back_to_back, world.a.client)
    booking(overlapping, another_client(world.a))
    Booking.objects.filter(session=morning).update(status="cancelled")
    booking(overlapping, world.a.client, status="late_cancelled")
    Booking.objects.filter(session=back_to_back).update(status="cancelled")
    booking(overlapping, world.a.client)


def test_it_gives_a_spot_to_one_booking_per_session(world):
    cls = make_session(world.a, instructor=None)
    spot = world.a.spots[0]
    first = booking(cls, world.a.client, spot=spot)

    with refused("booking_spot_taken_once"):
        booking(cls, another_client(world.a), spot=spot)

    booking(cls, another_client(world.a), spot=None)
    booking(cls, another_client(world.a), spot=None)
    Booking.objects.filter(pk=first.pk).update(status="cancelled")
    booking(cls, another_client(world.a), spot=spot)
    booking(make_session(world.a, starts_at=start(72), instructor=None), world.a.client, spot=spot)


def test_it_refuses_a_booking_that_ends_before_it_starts(world):
    cls = make_session(world.a, instructor=None)

    with refused("booking_ends_after_start"):
        booking(cls, world.a.client, ends_at=cls.starts_at)


def test_it_gives_each_booking_its_own_reference(world):
    cls = make_session(world.a, instructor=None)
    booking(cls, world.a.client, reference="ABCD2345")

    with refused("bookings_booking_reference_key"):
        booking(cls, another_client(world.a), reference="ABCD2345")


def test_it_links_a_booking_to_one_waitlist_entry(world):
    cls = make_session(world.a, instructor=None)
    promoted = booking(cls, world.a.client, source="waitlist")
    waitlist(cls, world.a.client, status="promoted", booking=promoted)

    with refused("bookings_waitlistentry_booking_id_key"):
        waitlist(cls, world.a.client, status="promoted", booking=promoted)


# ---------------------------------------------------------------------------------- credits


@pytest.fixture
def package(world):
    return factories.ClientPackageFactory(client=world.a.client)


def set_credits(package: ClientPackage, total, remaining) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE billing_clientpackage SET credits_total = %s, credits_remaining = %s "
            "WHERE id = %s",
            [total, remaining, package.pk],
        )


def test_it_never_lets_credits_go_below_zero(package):
    with refused("package_credits_not_negative"):
        ClientPackage.objects.filter(pk=package.pk).update(credits_remaining=-1)
    with refused("package_credits_not_negative"):
        set_credits(package, 10, -1)
    set_credits(package, 10, 0)


def test_it_never_gives_more_credits_than_the_total(package):
    with refused("package_credits_within_total"):
        set_credits(package, 10, 11)
    set_credits(package, 10, 10)


def test_it_keeps_credits_both_set_or_both_empty(package):
    with refused("package_credits_both_or_neither"):
        set_credits(package, 10, None)
    with refused("package_credits_both_or_neither"):
        set_credits(package, None, 3)
    set_credits(package, None, None)  # unlimited


def test_it_refuses_a_negative_total(package):
    with refused("billing_clientpackage_credits_total_check"):
        set_credits(package, -1, None)


def test_it_refuses_a_package_that_expires_before_it_starts(package):
    with refused("package_expires_after_start"):
        ClientPackage.objects.filter(pk=package.pk).update(expires_at=package.starts_at)


def test_it_refuses_a_credit_pack_without_credits_and_a_negative_price(world):
    with refused("product_credits_unless_unlimited"):
        factories.PackageProductFactory(organization=world.a.organization, credits=0)
    with refused("product_price_not_negative"):
        factories.PackageProductFactory(organization=world.a.organization, price=Decimal("-1"))
    factories.PackageProductFactory(
        organization=world.a.organization, kind="unlimited", credits=None
    )


def test_it_refuses_a_credit_pack_with_empty_credits(world):
    with refused("product_credits_unless_unlimited"):
        factories.PackageProductFactory(organization=world.a.organization, credits=None)


# --------------------------------------------------------------------------------- sessions


def test_it_refuses_empty_capacities(world):
    cls = make_session(world.a, instructor=None)
    with refused("session_capacity_positive"):
        ClassSession.objects.filter(pk=cls.pk).update(capacity=0)
    with refused("room_capacity_positive"):
        Room.objects.filter(pk=world.a.room.pk).update(capacity=0)
    with refused("class_type_capacity_positive"):
        ClassType.objects.filter(pk=world.a.class_type.pk).update(default_capacity=0)
    template = template_of(world.a)
    with refused("template_capacity_positive"):
        RecurringTemplate.objects.filter(pk=template.pk).update(capacity=0)


def test_it_refuses_a_session_that_ends_before_it_starts(world):
    cls = make_session(world.a, instructor=None)

    with refused("session_ends_after_start"):
        ClassSession.objects.filter(pk=cls.pk).update(ends_at=cls.starts_at)


def test_it_never_books_more_places_than_the_capacity(world):
    cls = make_session(world.a, instructor=None)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE scheduling_classsession SET booked_count = 10 WHERE id = %s", [cls.pk]
        )

        with refused("session_not_overbooked"):
            cursor.execute(
                "UPDATE scheduling_classsession SET booked_count = booked_count + 1 WHERE id = %s",
                [cls.pk],
            )
        with refused("session_not_overbooked"):
            cursor.execute(
                "UPDATE scheduling_classsession SET capacity = 9 WHERE id = %s", [cls.pk]
            )


def test_it_never_counts_below_zero(world):
    cls = make_session(world.a, instructor=None)

    with refused("scheduling_classsession_booked_count_check"):
        ClassSession.objects.filter(pk=cls.pk).update(booked_count=-1)
    with refused("scheduling_classsession_waiting_count_check"):
        ClassSession.objects.filter(pk=cls.pk).update(waiting_count=-1)


def test_it_never_double_books_a_room(world):
    mat = factories.ClassTypeFactory(organization=world.a.organization, name="Mat")
    first = make_session(world.a, starts_at=start(), instructor=None)

    with refused("session_no_room_double_booking"):
        make_session(
            world.a, starts_at=start() + dt.timedelta(minutes=49), class_type=mat, instructor=None
        )
    back_to_back = make_session(world.a, starts_at=first.ends_at, class_type=mat, instructor=None)
    other_room = factories.RoomFactory(studio=world.a.studio)
    make_session(world.a, starts_at=start(), room=other_room, class_type=mat, instructor=None)

    # A cancelled class does not hold its room; bringing it back into a clash is refused.
    ClassSession.objects.filter(pk=back_to_back.pk).update(status="cancelled")
    ClassSession.objects.filter(pk=first.pk).update(status="cancelled")
    replacement = make_session(
        world.a, starts_at=start() + dt.timedelta(minutes=10), class_type=mat, instructor=None
    )
    with refused("session_no_room_double_booking"):
        ClassSession.objects.filter(pk=first.pk).update(status="scheduled")
    assert replacement.room == world.a.room


def test_it_never_double_books_an_instructor(world):
    mat = factories.ClassTypeFactory(organization=world.a.organization, name="Mat")
    tower = factories.RoomFactory(studio=world.a.studio, name="Tower")
    annex_room = factories.RoomFactory(studio=world.a.other_studio, name="Annex")
    first = make_session(world.a, starts_at=start(), instructor=world.a.instructor)

    with refused("session_no_instructor_double_booking"):
        make_session(
            world.a,
            starts_at=start() + dt.timedelta(minutes=30),
            room=tower,
            class_type=mat,
            instructor=world.a.instructor,
        )
    with refused("session_no_instructor_double_booking"):
        make_session(
            world.a,
            starts_at=start(),
            room=annex_room,
            studio=world.a.other_studio,
            instructor=world.a.instructor,
        )
    # Classes without an instructor never clash with each other.
    make_session(world.a, starts_at=start(), room=tower, class_type=mat, instructor=None)
    make_session(world.a, starts_at=start(), room=annex_room, instructor=None)

    ClassSession.objects.filter(pk=first.pk).update(status="cancelled")
    make_session(
        world.a,
        starts_at=start() + dt.timedelta(minutes=30),
        room=factories.RoomFactory(studio=world.a.studio),
        class_type=mat,
        instructor=world.a.instructor,
    )


def test_it_keeps_one_class_of_a_type_per_studio_start(world):
    first = make_session(world.a, instructor=None)
    tower = factories.RoomFactory(studio=world.a.studio, name="Tower")

    with refused("session_unique_slot"):
        make_session(world.a, starts_at=first.starts_at, room=tower, instructor=None)
    # Even a cancelled class keeps its slot (generation must not bring it back).
    ClassSession.objects.filter(pk=first.pk).update(status="cancelled")
    with refused("session_unique_slot"):
        make_session(world.a, starts_at=first.starts_at, room=tower, instructor=None)
    annex_room = factories.RoomFactory(studio=world.a.other_studio)
    make_session(
        world.a,
        starts_at=first.starts_at,
        room=annex_room,
        studio=world.a.other_studio,
        instructor=None,
    )


def template_of(tenant, **fields) -> RecurringTemplate:
    data = {
        "organization": tenant.organization,
        "studio": tenant.studio,
        "room": tenant.room,
        "class_type": tenant.class_type,
        "weekday": 0,
        "local_start_time": dt.time(7),
        "capacity": 8,
        "start_date": dt.date(2026, 3, 2),
    } | fields
    return RecurringTemplate.objects.create(**data)


def test_it_keeps_templates_sane(world):
    with refused("template_weekday_valid"):
        template_of(world.a, weekday=7)
    with refused("template_dates_ordered"):
        template_of(world.a, end_date=dt.date(2026, 3, 1))
    template = template_of(world.a, end_date=dt.date(2026, 3, 2))
    RotationSlot.objects.create(template=template, instructor=world.a.instructor, position=0)
    with refused("rotation_position_unique"):
        RotationSlot.objects.create(template=template, instructor=world.a.manager, position=0)


def test_it_refuses_unavailability_that_ends_before_it_starts(world):
    with refused("unavailability_dates_ordered"):
        InstructorUnavailability.objects.create(
            organization=world.a.organization,
            instructor=world.a.instructor,
            starts_on=dt.date(2026, 3, 3),
            ends_on=dt.date(2026, 3, 2),
        )


# ------------------------------------------------------------------------ offline marks (PHX-26)


def test_it_applies_an_offline_mark_key_once_per_organization(world):
    session = make_session(world.a, starts_at=start())
    held = booking(session, world.a.client)
    mark = {
        "organization": world.a.organization,
        "key": "device-key-1",
        "booking": held,
        "marked_by": world.a.front_desk,
        "status": "attended",
        "received_at": timezone.now(),
    }
    OfflineMark.objects.create(**mark)
    with refused("offline_mark_once"):
        OfflineMark.objects.create(**mark)


# ------------------------------------------------------------------------------ unique names


def test_it_keeps_class_type_names_unique_per_organization(world):
    with refused("class_type_name_unique_per_organization"):
        factories.ClassTypeFactory(organization=world.a.organization, name="REFORMER flow")
    factories.ClassTypeFactory(organization=world.b.organization, name="Mat")
    factories.ClassTypeFactory(organization=world.a.organization, name="Mat")


def test_it_keeps_room_names_unique_per_studio(world):
    with refused("room_name_unique_per_studio"):
        factories.RoomFactory(studio=world.a.studio, name="reformer ROOM")
    factories.RoomFactory(studio=world.a.other_studio, name="Reformer Room")


def test_it_keeps_studio_names_unique_per_organization(world):
    with refused("studio_name_unique_per_organization"):
        Studio.objects.create(organization=world.a.organization, name="ALPHA MAIN", time_zone="UTC")
    Studio.objects.create(organization=world.b.organization, name="Alpha Main", time_zone="UTC")


def test_it_keeps_spot_labels_and_cells_unique_per_room(world):
    room = world.a.room
    first = world.a.spots[0]

    with refused("spot_label_unique_per_room"):
        Spot.objects.create(
            organization=room.organization, room=room, label="REFORMER 1", column=3, row=9
        )
    with refused("spot_grid_cell_unique_per_room"):
        Spot.objects.create(
            organization=room.organization,
            room=room,
            label="Extra",
            column=first.column,
            row=first.row,
        )
    # An inactive spot gives up its cell (never its label).
    Spot.objects.filter(pk=first.pk).update(active=False)
    Spot.objects.create(
        organization=room.organization, room=room, label="Extra", column=first.column, row=first.row
    )
    with refused("spot_label_unique_per_room"):
        Spot.objects.create(
            organization=room.organization,
            room=room,
            label="reformer 1",
            column=7,
            row=9,
            active=False,
        )


def test_it_keeps_user_emails_unique_whatever_the_case(world):
    with refused("user_email_unique_ci"):
        User.objects.create(email="OWNER@Alpha.Example.com")


def test_it_gives_a_user_one_membership_per_organization(world):
    with refused("membership_unique"):
        Membership.objects.create(
            user=world.a.owner.user, organization=world.a.organization, role="client"
        )
    Membership.objects.create(
        user=world.a.owner.user, organization=world.b.organization, role="client"
    )


def test_it_closes_a_studio_once_a_day(world):
    Closure.objects.create(
        organization=world.a.organization, studio=world.a.studio, date=dt.date(2026, 12, 25)
    )

    with refused("closure_unique_per_day"):
        Closure.objects.create(
            organization=world.a.organization, studio=world.a.studio, date=dt.date(2026, 12, 25)
        )
    Closure.objects.create(
        organization=world.a.organization,
        studio=world.a.other_studio,
        date=dt.date(2026, 12, 25),
    )


# ------------------------------------------------------------------------------- coverage


def test_it_attacks_every_declared_constraint():
    declared = {
        constraint.name
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS
        for constraint in model._meta.constraints
    }
    here = Path(__file__).parent
    source = "".join(
        path.read_text()
        for path in (
            here / "test_database_guarantees.py",
            here / "billing" / "test_payment_guarantees.py",
        )
    )
    attacked = set(re.findall(r'refused\(\s*"(\w+)"', source))

    assert declared - attacked == set(), "add an attack on these constraints to this file"
