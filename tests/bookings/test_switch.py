"""Switching to a class that overlaps one of the client's bookings: one transaction, the
old booking cancelled within policy (credit back) and the new one booked, or nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from reformer.billing.models import ClientPackage
from reformer.bookings import actions
from reformer.bookings.models import Booking
from reformer.core.audit import AuditEvent
from reformer.core.errors import DomainError, NotFound
from reformer.scheduling.models import ClassSession
from tests import factories
from tests.bookings import helpers

pytestmark = pytest.mark.django_db


@pytest.fixture
def overlapping(tenant, session):
    """Another class in another room, starting 20 minutes into `session`."""
    return factories.make_session(
        tenant,
        starts_at=session.starts_at + dt.timedelta(minutes=20),
        room=factories.RoomFactory(studio=tenant.studio),
        instructor=None,
        capacity=2,
    )


def error_of(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


def test_it_cancels_the_overlapping_booking_and_books_the_class(session, overlapping, alice):
    old = actions.book_session(alice, session)
    new = actions.switch_booking(alice, old, overlapping)

    old.refresh_from_db()
    assert (old.status, old.credit_returned) == (Booking.Status.CANCELLED, True)
    assert old.cancel_reason == f"Switched to {overlapping.class_type.name}"
    assert (new.session_id, new.status) == (overlapping.pk, Booking.Status.CONFIRMED)
    assert ClientPackage.objects.get(client=alice).credits_remaining == 4  # one spent, in all
    assert ClassSession.objects.get(pk=session.pk).booked_count == 0
    assert ClassSession.objects.get(pk=overlapping.pk).booked_count == 1
    assert AuditEvent.objects.filter(code="bookings.booking.switched").count() == 1
    helpers.assert_consistent()


def test_the_quote_counts_the_credit_that_would_come_back(session, overlapping, tenant):
    last = helpers.make_client(tenant, "Last")
    helpers.give_package(last, credits=1)
    old = actions.book_session(last, session)
    assert actions.booking_quote(last, overlapping).reason.code == "booking.overlap"
    quote = actions.booking_quote(last, overlapping, switching_from=old)
    assert quote.reason is None and quote.credit_cost == 1
    actions.switch_booking(last, old, overlapping)  # the returned credit pays for it
    assert ClientPackage.objects.get(client=last).credits_remaining == 0


def test_a_full_class_leaves_the_old_booking_as_it_was(session, overlapping, alice, tenant):
    old = actions.book_session(alice, session)
    for name in ("Bob", "Carol"):
        other = helpers.make_client(tenant, name)
        helpers.give_package(other, credits=2)
        actions.book_session(other, overlapping)

    error = error_of(lambda: actions.switch_booking(alice, old, overlapping))

    assert error.code == "booking.class_full"
    old.refresh_from_db()
    assert old.status == Booking.Status.CONFIRMED
    assert ClientPackage.objects.get(client=alice).credits_remaining == 4
    assert ClassSession.objects.get(pk=session.pk).booked_count == 1
    assert not AuditEvent.objects.filter(code="bookings.booking.cancelled").exists()
    helpers.assert_consistent()


def test_it_is_not_offered_inside_the_cancellation_window(session, overlapping, alice):
    old = actions.book_session(alice, session)
    with time_machine.travel(session.starts_at - dt.timedelta(hours=2)):
        offer = actions.switch_offer(alice, old)
        assert not offer.allowed
        assert "Free cancellation of your" in offer.reason
        error = error_of(lambda: actions.switch_booking(alice, old, overlapping))
    assert error.code == "booking.not_switchable"
    old.refresh_from_db()
    assert old.status == Booking.Status.CONFIRMED


def test_it_refuses_a_class_that_does_not_overlap(session, alice, tenant):
    old = actions.book_session(alice, session)
    later = factories.make_session(tenant, starts_at=session.ends_at + dt.timedelta(hours=2))
    error = error_of(lambda: actions.switch_booking(alice, old, later))
    assert error.code == "booking.not_switchable"


def test_it_switches_only_the_clients_own_booking(session, overlapping, alice, bob):
    old = actions.book_session(alice, session)
    with pytest.raises(NotFound):
        actions.switch_booking(bob, old, overlapping)
    old.refresh_from_db()
    assert old.status == Booking.Status.CONFIRMED
