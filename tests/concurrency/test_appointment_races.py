"""Races on real threads for the newcomer path: the last slot of an instructor, an
instructor booked into a class and an appointment at once, the last piece of equipment,
one client in two places, two purchases of one intro offer, a promotion that must skip a
client who does not meet the class's prerequisite."""

from __future__ import annotations

import pytest

from reformer.appointments import actions
from reformer.appointments.models import Appointment, Attendee, Occupancy
from reformer.billing import actions as billing_actions
from reformer.billing.models import ClientPackage, CreditLedger
from reformer.bookings import actions as booking_actions
from reformer.bookings.models import Booking, WaitlistEntry
from reformer.onboarding.models import ClassRequirement, IntroOffer, IntroRedemption
from reformer.scheduling import actions as scheduling_actions
from reformer.scheduling.models import ClassSession
from tests import factories
from tests.appointments import helpers as ah
from tests.bookings import helpers
from tests.concurrency.conftest import race

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def clients(tenant, n: int, *, credits: int = 5) -> list:
    made = []
    for i in range(n):
        client = helpers.make_client(tenant, f"Newcomer{i}")
        helpers.give_package(client, credits=credits)
        made.append(client)
    return made


def no_double_booking() -> None:
    """What the constraints promise, checked on the data itself."""
    for appointment in Appointment.objects.filter(status="scheduled"):
        overlapping = Appointment.objects.filter(
            status="scheduled",
            starts_at__lt=appointment.ends_at,
            ends_at__gt=appointment.starts_at,
        ).exclude(pk=appointment.pk)
        assert not overlapping.filter(instructor_id=appointment.instructor_id).exists()
        assert not overlapping.filter(spot_id=appointment.spot_id).exists()
        assert not ClassSession.objects.filter(
            status="scheduled",
            instructor_id=appointment.instructor_id,
            starts_at__lt=appointment.ends_at,
            ends_at__gt=appointment.starts_at,
        ).exists()
        holding = Attendee.objects.filter(appointment=appointment, status__in=Attendee.HOLDING)
        assert holding.count() == appointment.booked_count <= appointment.capacity


def test_twenty_clients_race_for_one_slot_of_one_instructor(tenant, clean_job_tables):
    kind, _room, _spots = ah.setup_privates(tenant)
    racers = clients(tenant, 20)
    starts_at = ah.at(tenant, hour=10)

    outcomes = race(
        [
            lambda c=c: actions.book_appointment(
                c, kind, studio=tenant.studio, instructor=tenant.instructor, starts_at=starts_at
            )
            for c in racers
        ]
    )

    winners = [o for o in outcomes if o.error is None]
    assert len(winners) == 1, [o.error for o in outcomes if o.error]
    assert {o.code for o in outcomes if o.error} == {"appointment.slot_taken"}
    assert Appointment.objects.count() == 1
    winner = winners[0].value.client_id
    assert CreditLedger.objects.count() == 1
    assert set(
        ClientPackage.objects.exclude(client_id=winner)
        .filter(client__in=racers)
        .values_list("credits_remaining", flat=True)
    ) == {5}
    no_double_booking()


def test_an_instructor_booked_into_a_class_and_an_appointment_at_once(tenant, clean_job_tables):
    kind, _room, _spots = ah.setup_privates(tenant)
    client = clients(tenant, 1)[0]
    for hour in (9, 11, 13, 15):
        starts_at = ah.at(tenant, hour=hour)
        outcomes = race(
            [
                lambda s=starts_at: actions.book_appointment(
                    client, kind, studio=tenant.studio, instructor=tenant.instructor, starts_at=s
                ),
                lambda s=starts_at: scheduling_actions.create_session(
                    tenant.owner,
                    studio=tenant.studio,
                    room=tenant.room,
                    class_type=tenant.class_type,
                    starts_at=s,
                    instructor=tenant.instructor,
                ),
            ]
        )
        assert sum(o.error is None for o in outcomes) == 1, outcomes
        assert {o.code for o in outcomes if o.error} <= {
            "appointment.slot_taken",
            "session.instructor_busy",
        }
    assert (
        Appointment.objects.filter(status="scheduled").count()
        + ClassSession.objects.filter(status="scheduled").count()
        == 4
    )
    no_double_booking()
    helpers.assert_consistent()


def test_two_instructors_race_for_the_one_tower(tenant, clean_job_tables):
    ah.private_room(tenant, reformers=0, towers=1)
    kind = ah.make_type(
        tenant,
        name="Tower private",
        equipment="tower",
        instructors=[tenant.instructor, tenant.manager],
    )
    ah.open_every_day(tenant, tenant.instructor)
    ah.open_every_day(tenant, tenant.manager)
    a, b = clients(tenant, 2)
    starts_at = ah.at(tenant, hour=10)

    outcomes = race(
        [
            lambda: actions.book_appointment(
                a, kind, studio=tenant.studio, instructor=tenant.instructor, starts_at=starts_at
            ),
            lambda: actions.book_appointment(
                b, kind, studio=tenant.studio, instructor=tenant.manager, starts_at=starts_at
            ),
        ]
    )

    assert sum(o.error is None for o in outcomes) == 1
    assert {o.code for o in outcomes if o.error} <= {
        "appointment.equipment_taken",
        "appointment.slot_taken",
    }
    assert Appointment.objects.count() == 1
    no_double_booking()


def test_one_client_in_a_class_and_an_appointment_at_once(tenant, clean_job_tables):
    kind, _room, _spots = ah.setup_privates(tenant)
    client = clients(tenant, 1)[0]
    starts_at = ah.at(tenant, hour=10)
    session = factories.make_session(tenant, starts_at=starts_at, instructor=tenant.owner)

    outcomes = race(
        [
            lambda: actions.book_appointment(
                client,
                kind,
                studio=tenant.studio,
                instructor=tenant.instructor,
                starts_at=starts_at,
            ),
            lambda: booking_actions.book_session(client, session),
        ]
    )

    assert sum(o.error is None for o in outcomes) == 1, outcomes
    assert {o.code for o in outcomes if o.error} <= {"appointment.client_busy", "booking.overlap"}
    assert Occupancy.objects.filter(client_id=client.pk).count() == 1
    helpers.assert_consistent()


def test_two_purchases_of_one_intro_offer_at_once(tenant, clean_job_tables):
    product = factories.PackageProductFactory(
        organization=tenant.organization, name="Intro: 2 privates", credits=2
    )
    IntroOffer.objects.create(organization=tenant.organization, product=product)
    newcomer = helpers.make_client(tenant, "Newbie")

    outcomes = race(
        [lambda: billing_actions.grant_package(tenant.owner, client=newcomer, product=product)] * 2
        + [lambda: billing_actions.grant_package(tenant.manager, client=newcomer, product=product)]
        * 2
    )

    assert sum(o.error is None for o in outcomes) == 1, outcomes
    assert {o.code for o in outcomes if o.error} <= {"intro.already_used", "intro.not_first_time"}
    assert ClientPackage.objects.filter(client=newcomer).count() == 1
    assert IntroRedemption.objects.filter(client=newcomer).count() == 1


def test_promotion_skips_a_client_who_lacks_the_prerequisite(tenant, clean_job_tables):
    intro = factories.ClassTypeFactory(organization=tenant.organization, name="Intro to Reformer")
    session = factories.make_session(tenant, capacity=1)
    holder, unqualified, qualified = clients(tenant, 3)
    booking = booking_actions.book_session(holder, session)
    booking_actions.join_waitlist(unqualified, session)
    booking_actions.join_waitlist(qualified, session)
    # The class gains a prerequisite after they queued; only `qualified` has taken the intro.
    ClassRequirement.objects.create(
        organization=tenant.organization,
        class_type=tenant.class_type,
        kind="attended",
        required_class_type=intro,
        min_count=1,
    )
    past = factories.make_session(
        tenant, class_type=intro, starts_at=factories.next_start(days=-3), instructor=tenant.owner
    )
    Booking.objects.create(
        organization=tenant.organization,
        session=past,
        client=qualified,
        starts_at=past.starts_at,
        ends_at=past.ends_at,
        status="attended",
    )
    ClassSession.objects.filter(pk=past.pk).update(booked_count=1)

    booking_actions.cancel_booking(holder, booking)
    outcomes = race([lambda: booking_actions.promote_waitlist(session.pk)] * 3)

    assert all(o.error is None for o in outcomes), outcomes
    promoted = [b for o in outcomes for b in o.value]
    assert [b.client_id for b in promoted] == [qualified.pk]
    skipped = WaitlistEntry.objects.get(client=unqualified, session=session)
    assert skipped.status == "waiting" and "Intro to Reformer" in skipped.skip_reason
    assert ClientPackage.objects.get(client=unqualified).credits_remaining == 5
    assert ClassSession.objects.get(pk=session.pk).booked_count == 1
