from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from procrastinate.contrib.django.models import ProcrastinateJob

from reformer.billing.models import CreditLedger
from reformer.bookings import actions
from reformer.bookings.models import Booking, WaitlistEntry
from reformer.core.errors import DomainError, PermissionDenied
from reformer.core.timezones import local_to_utc
from reformer.notifications.models import Message
from reformer.scheduling.models import ClassSession
from tests import factories
from tests.bookings import helpers
from tests.bookings.helpers import text


def refresh(obj):
    obj.refresh_from_db()
    return obj


def error_of(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


@pytest.fixture
def booked(session, alice):
    return actions.book_session(alice, session)


def test_it_returns_the_credit_when_cancelled_in_time(session, alice, booked):
    package = alice.packages.get()
    cancelled = actions.cancel_booking(alice, booked)
    assert cancelled.status == Booking.Status.CANCELLED
    assert cancelled.credit_returned is True
    assert refresh(package).credits_remaining == 5
    refund = CreditLedger.objects.get(booking=booked, delta=1)
    assert (refund.reason, refund.actor_id) == ("cancellation_refund", alice.user_id)
    assert refresh(session).booked_count == 0
    message = Message.objects.get(idempotency_key=f"booking-cancelled:{booked.pk}")
    assert "Your credit is back in your package." in text(message)
    helpers.assert_consistent()


def test_it_keeps_the_credit_for_a_late_cancel(session, alice, booked):
    package = alice.packages.get()
    with time_machine.travel(session.starts_at - dt.timedelta(hours=2)):
        cancelled = actions.cancel_booking(alice, booked)
    assert (cancelled.status, cancelled.credit_returned) == ("late_cancelled", False)
    assert refresh(package).credits_remaining == 4
    assert not CreditLedger.objects.filter(delta=1).exists()
    assert refresh(session).booked_count == 0  # the place is free again all the same
    message = Message.objects.get(idempotency_key=f"booking-cancelled:{booked.pk}")
    assert "late cancellation, so the studio keeps the credit" in text(message)
    helpers.assert_consistent()


def test_it_returns_a_late_credit_when_the_studio_policy_says_so(tenant, session, alice, booked):
    helpers.set_policy(tenant, late_cancel_rule="refund")
    with time_machine.travel(session.starts_at - dt.timedelta(hours=2)):
        cancelled = actions.cancel_booking(alice, booked)
    assert (cancelled.status, cancelled.credit_returned) == ("late_cancelled", True)
    assert refresh(alice.packages.get()).credits_remaining == 5


def test_it_lets_staff_override_the_policy_with_a_reason(tenant, session, alice, booked):
    with time_machine.travel(session.starts_at - dt.timedelta(hours=2)):
        error = error_of(
            lambda: actions.cancel_booking(tenant.front_desk, booked, return_credit=True)
        )
        assert (error.code, error.data["field"]) == ("validation", "reason")
        cancelled = actions.cancel_booking(
            tenant.front_desk, booked, return_credit=True, reason="Snowstorm"
        )
    assert (cancelled.status, cancelled.credit_returned) == ("late_cancelled", True)
    refund = CreditLedger.objects.get(booking=booked, delta=1)
    assert (refund.note, refund.actor_id) == ("Snowstorm", tenant.front_desk.user_id)
    helpers.assert_consistent()


def test_it_refuses_a_policy_override_from_the_client(alice, booked):
    with pytest.raises(PermissionDenied):
        actions.cancel_booking(alice, booked, return_credit=True, reason="please")


def test_it_refuses_to_cancel_after_the_start(session, alice, booked):
    with time_machine.travel(session.starts_at + dt.timedelta(minutes=1)):
        error = error_of(lambda: actions.cancel_booking(alice, booked))
    assert error.code == "booking.already_started"
    assert refresh(booked).status == Booking.Status.CONFIRMED


def test_it_refuses_to_cancel_twice(alice, booked):
    actions.cancel_booking(alice, booked)
    assert error_of(lambda: actions.cancel_booking(alice, booked)).code == (
        "booking.already_cancelled"
    )
    helpers.assert_consistent()


def test_it_refuses_another_clients_booking(bob, booked):
    with pytest.raises(PermissionDenied):
        actions.cancel_booking(bob, booked)


def test_it_enqueues_promotion_in_the_same_transaction_when_someone_waits(
    tenant, alice, bob, carol
):
    session = factories.make_session(tenant, capacity=2)
    booking = actions.book_session(alice, session)
    second = actions.book_session(carol, session)
    actions.join_waitlist(bob, session)
    actions.cancel_booking(alice, booking)
    job = ProcrastinateJob.objects.get(task_name="bookings.promote_waitlist")
    assert (job.args, job.queueing_lock) == ({"session_id": session.pk}, f"promote-{session.pk}")
    # A second freed place while the first job still waits: still one job.
    actions.cancel_booking(carol, second)
    assert ProcrastinateJob.objects.filter(task_name="bookings.promote_waitlist").count() == 1
    # One place is kept for Bob (the one waiting); the other is anyone's.
    session.refresh_from_db()
    assert (session.booked_count, session.held_count) == (0, 1)


def test_it_enqueues_no_promotion_when_nobody_waits(alice, booked):
    actions.cancel_booking(alice, booked)
    assert not ProcrastinateJob.objects.filter(task_name="bookings.promote_waitlist").exists()


def test_it_writes_nothing_when_cancelling_fails_midway(session, alice, booked, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("outbox down")

    monkeypatch.setattr("reformer.bookings.actions.cancel.notify.queue_class_email", broken)
    with pytest.raises(RuntimeError):
        actions.cancel_booking(alice, booked)
    assert refresh(booked).status == Booking.Status.CONFIRMED
    assert refresh(session).booked_count == 1
    assert refresh(alice.packages.get()).credits_remaining == 4
    helpers.assert_consistent()


def test_it_states_the_cancellation_terms_in_the_studio_time_zone(tenant):
    with time_machine.travel(dt.datetime(2025, 1, 10, 12, 0, tzinfo=dt.UTC)):
        client = helpers.make_client(tenant, "Tess")
        helpers.give_package(client)
        session = factories.make_session(
            tenant, starts_at=local_to_utc(dt.date(2025, 1, 15), dt.time(6, 0), "America/New_York")
        )
        booking = actions.book_session(client, session)
        terms = actions.cancellation_terms(booking)
    assert (terms.is_late, terms.credit_returns, terms.can_cancel) == (False, True, True)
    assert terms.deadline == session.starts_at - dt.timedelta(hours=12)
    assert terms.deadline.tzinfo is not None
    assert terms.message == "Cancel before Tue 14 Jan, 18:00 EST to get your credit back."
    late = actions.cancellation_terms(booking, now=terms.deadline + dt.timedelta(minutes=1))
    assert (late.is_late, late.credit_returns) == (True, False)
    assert late.message == (
        "The free cancellation window closed at Tue 14 Jan, 18:00 EST: "
        "if you cancel now the studio keeps the credit."
    )
    started = actions.cancellation_terms(booking, now=session.starts_at)
    assert (started.can_cancel, started.credit_returns) == (False, False)


def test_it_cancels_a_whole_class_and_returns_every_credit(tenant, alice, bob, carol):
    session = factories.make_session(tenant, capacity=2)
    dana = helpers.make_client(tenant, "Dana")
    helpers.give_package(dana, credits=5)
    late = actions.book_session(dana, session)
    with time_machine.travel(session.starts_at - dt.timedelta(hours=1)):
        actions.cancel_booking(dana, late)  # late: credit kept, for now
    first = actions.book_session(alice, session)
    second = actions.book_session(bob, session)
    entry = actions.join_waitlist(carol, session)

    actions.cancel_session(tenant.manager, session, reason="Instructor is ill")

    session.refresh_from_db()
    assert (session.status, session.booked_count, session.waiting_count) == ("cancelled", 0, 0)
    for booking in (first, second):
        booking.refresh_from_db()
        assert (booking.status, booking.credit_returned) == ("cancelled", True)
        refund = CreditLedger.objects.get(booking=booking, delta=1)
        assert refund.reason == "session_cancelled"
    assert refresh(late).credit_returned is True
    assert CreditLedger.objects.get(booking=late, delta=1).reason == "session_cancelled"
    assert refresh(entry).status == WaitlistEntry.Status.REMOVED
    for package in (alice.packages.get(), bob.packages.get(), dana.packages.get()):
        assert package.credits_remaining == 5
    told = set(Message.objects.filter(kind="session_cancelled").values_list("recipient", flat=True))
    assert told == {alice.user_id, bob.user_id, carol.user_id}
    assert "Instructor is ill" in text(Message.objects.filter(kind="session_cancelled").first())
    helpers.assert_consistent()


def test_it_lets_only_schedule_managers_cancel_a_class(tenant, session, alice):
    actions.book_session(alice, session)
    with pytest.raises(PermissionDenied):
        actions.cancel_session(tenant.front_desk, session, reason="no")
    assert refresh(session).status == ClassSession.Status.SCHEDULED
    error = error_of(lambda: actions.cancel_session(tenant.owner, session, reason="  "))
    assert error.code == "validation"
    actions.cancel_session(tenant.owner, session, reason="Flood")
    assert error_of(lambda: actions.cancel_session(tenant.owner, session, reason="again")).code == (
        "session.already_cancelled"
    )
