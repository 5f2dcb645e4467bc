"""A place held while the client pays is not a confirmed event: it is TENTATIVE in the
client's and the instructor's feeds, CONFIRMED once paid, CANCELLED once released, each
change with a new SEQUENCE (so subscribed calendars follow)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from reformer.appointments.actions import paid
from reformer.calendars import feeds
from reformer.core.timezones import local_to_utc
from reformer.payments.actions import grant
from tests.appointments import helpers as ah
from tests.calendars.test_appointment_feeds import BASE, NY, _client, _events, frozen

pytestmark = pytest.mark.django_db

__all__ = ["frozen"]  # the frozen clock fixture of the appointment feed tests


@pytest.fixture
def priced(world, frozen):
    kind, _room, _spots = ah.setup_privates(world.a, capacity=2, name="Private 55")
    kind.price = Decimal("85.00")
    kind.save()
    return kind


def _hold(tenant, kind, client, hour=10):
    return paid.hold_for_payment(
        client,
        kind,
        studio=tenant.studio,
        instructor=tenant.instructor,
        starts_at=local_to_utc(dt.date(2026, 3, 4), dt.time(hour), NY),
    )


def _uids(place, client):
    reference = place.appointment.reference
    return (
        f"appointment-{reference}-{client.pk}@reformer.calendar",
        f"teach-appointment-{reference}@reformer.calendar",
    )


def test_a_held_place_is_tentative_then_confirmed_when_paid(world, priced):
    tenant = world.a
    alice = _client(tenant, "Alice")
    place = _hold(tenant, priced, alice)
    mine, teaching = _uids(place, alice)

    event = _events(alice)[mine]
    assert str(event["STATUS"]) == "TENTATIVE"
    assert str(event["SUMMARY"]).startswith("Awaiting payment: Private 55")
    assert "not confirmed yet" in str(event["DESCRIPTION"])
    taught = _events(tenant.instructor)[teaching]
    assert str(taught["STATUS"]) == "TENTATIVE"
    assert "Alice" in str(taught["DESCRIPTION"]) and "(awaiting payment)" in str(
        taught["DESCRIPTION"]
    )
    # The studio's public timetable never shows anyone's appointment.
    studio_feed = feeds.studio_feed(tenant.studio, base_url=BASE).body.decode()
    assert place.appointment.reference not in studio_feed

    assert grant.mark_paid(place.payment_id, payment_intent_id="pi_x") is True
    event = _events(alice)[mine]
    assert str(event["STATUS"]) == "CONFIRMED" and int(event["SEQUENCE"]) == 1
    assert str(event["SUMMARY"]) == f"Private 55 at {tenant.studio.name}"
    taught = _events(tenant.instructor)[teaching]
    assert str(taught["STATUS"]) == "CONFIRMED" and int(taught["SEQUENCE"]) == 1
    assert "awaiting payment" not in str(taught["DESCRIPTION"])


def test_a_released_hold_leaves_the_clients_feed_and_is_cancelled_for_the_teacher(world, priced):
    tenant = world.a
    alice = _client(tenant, "Alice")
    place = _hold(tenant, priced, alice)
    mine, teaching = _uids(place, alice)
    assert str(_events(alice)[mine]["STATUS"]) == "TENTATIVE"
    assert str(_events(tenant.instructor)[teaching]["STATUS"]) == "TENTATIVE"

    assert grant.mark_unpaid(place.payment_id, status="cancelled", reason="Expired")
    assert mine not in _events(alice)
    assert str(_events(tenant.instructor)[teaching]["STATUS"]) == "CANCELLED"


def test_a_duet_with_one_confirmed_place_is_confirmed_for_the_instructor(world, priced):
    tenant = world.a
    alice, bob = _client(tenant, "Alice"), _client(tenant, "Bob")
    place = _hold(tenant, priced, alice)
    grant.mark_paid(place.payment_id, payment_intent_id="pi_x")
    from reformer.appointments.models import Attendee
    from reformer.billing.models import Payment

    # Bob's place in the same duet, still held while he pays.
    payment = Payment.objects.create(
        organization=tenant.organization,
        studio=tenant.studio,
        client=bob,
        kind="appointment",
        amount=Decimal("85.00"),
        created_at=place.created_at,
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE appointments_appointment SET booked_count = booked_count + 1 WHERE id = %s",
            [place.appointment_id],
        )
    Attendee.objects.create(
        organization=tenant.organization,
        appointment=place.appointment,
        client=bob,
        payment=payment,
        credits_spent=0,
        starts_at=place.starts_at,
        ends_at=place.ends_at,
        status="held",
    )
    _mine, teaching = _uids(place, alice)
    taught = _events(tenant.instructor)[teaching]
    assert str(taught["STATUS"]) == "CONFIRMED"
    assert "Bob" in str(taught["DESCRIPTION"]) and "(awaiting payment)" in str(
        taught["DESCRIPTION"]
    )
    assert str(_events(bob)[_uids(place, bob)[0]]["STATUS"]) == "TENTATIVE"
