"""Waitlist promotion through a real procrastinate worker: enqueued in the cancellation's
transaction, executed by the worker, retried with backoff after a database error."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core import mail
from django.db import DatabaseError
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from reformer.bookings import actions, eligibility
from reformer.bookings.models import Booking, WaitlistEntry
from reformer.core.models import AdminAlert
from reformer.notifications.models import Message
from tests import factories
from tests.bookings import helpers
from tests.concurrency.conftest import race, run_worker_once

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def waiting(tenant):
    """A full 1-place class with Alice then Bob waiting."""
    session = factories.make_session(tenant, capacity=1)
    holder = helpers.make_client(tenant, "Holder")
    helpers.give_package(holder)
    booking = actions.book_session(holder, session)
    queue = []
    for name in ("Alice", "Bob"):
        client = helpers.make_client(tenant, name)
        helpers.give_package(client)
        queue.append(actions.join_waitlist(client, session))
    return session, booking, queue


def promotion_jobs():
    return ProcrastinateJob.objects.filter(task_name="bookings.promote_waitlist")


def test_the_job_is_enqueued_only_if_the_cancellation_commits(
    waiting, clean_job_tables, monkeypatch
):
    _session, booking, _queue = waiting

    def broken(*args, **kwargs):
        raise RuntimeError("outbox down")

    monkeypatch.setattr("reformer.bookings.actions.cancel.notify.queue_class_email", broken)
    with pytest.raises(RuntimeError):
        actions.cancel_booking(booking.client, booking)
    assert not promotion_jobs().exists()
    monkeypatch.undo()
    actions.cancel_booking(booking.client, booking)
    assert promotion_jobs().get().status == "todo"


def test_a_database_error_mid_promotion_changes_nothing_and_the_job_retries(
    waiting, clean_job_tables, monkeypatch, settings
):
    session, booking, (alice_entry, bob_entry) = waiting
    actions.cancel_booking(booking.client, booking)
    mail.outbox.clear()

    def failing_spend(*args, **kwargs):
        raise DatabaseError("could not write to file (simulated)")

    monkeypatch.setattr("reformer.bookings.actions.booking.spend_credit", failing_spend)
    run_worker_once()

    job = promotion_jobs().get()
    assert (job.status, job.attempts) == ("todo", 1)  # scheduled again, with backoff
    assert job.scheduled_at > timezone.now()
    alice_entry.refresh_from_db()
    assert alice_entry.status == WaitlistEntry.Status.WAITING
    assert actions.waitlist_position(alice_entry) == 1
    assert not Booking.objects.filter(session=session, status="confirmed").exists()
    assert not Message.objects.filter(kind="waitlist_promoted").exists()
    assert [m.subject for m in mail.outbox if "place opened up" in m.subject] == []
    assert AdminAlert.objects.filter(code="bookings.promotion_failed").count() == 1
    helpers.assert_consistent()

    monkeypatch.undo()
    while timezone.now() < job.scheduled_at:
        time.sleep(0.2)
    run_worker_once()

    assert promotion_jobs().get().status == "succeeded"
    alice_entry.refresh_from_db()
    assert alice_entry.status == WaitlistEntry.Status.PROMOTED
    assert alice_entry.booking.status == "confirmed"
    assert actions.waitlist_position(bob_entry) == 1
    promoted_mail = [m for m in mail.outbox if "place opened up" in m.subject]
    assert [m.to for m in promoted_mail] == [[alice_entry.client.user.email]]
    message = Message.objects.get(kind="waitlist_promoted")
    assert (message.status, message.attempts) == ("sent", 1)
    helpers.assert_consistent()


def test_a_credit_spent_between_the_check_and_the_spend_rolls_the_promotion_back(
    tenant, clean_job_tables, monkeypatch
):
    """Alice's last credit goes on another class (another connection, committed) after the
    promotion checked her and before it spends: the promotion rolls back silently and
    raises for a retry; the retry sees her without credits, tells her, and promotes Bob."""
    session = factories.make_session(tenant, capacity=1)
    holder = helpers.make_client(tenant, "Holder")
    helpers.give_package(holder)
    booking = actions.book_session(holder, session)
    alice, bob = helpers.make_client(tenant, "Alice"), helpers.make_client(tenant, "Bob")
    helpers.give_package(alice, credits=1)
    helpers.give_package(bob)
    alice_entry = actions.join_waitlist(alice, session)
    bob_entry = actions.join_waitlist(bob, session)
    other_class = factories.make_session(
        tenant, starts_at=session.starts_at + dt.timedelta(hours=3)
    )
    actions.cancel_booking(holder, booking)

    checked = eligibility.check_can_book
    elsewhere: list = []

    def check_then_spend_elsewhere(*args, **kwargs):
        choice = checked(*args, **kwargs)
        if kwargs.get("promotion") and args[2].pk == alice.pk and not elsewhere:
            elsewhere.extend(race([lambda: actions.book_session(alice, other_class)]))
        return choice

    monkeypatch.setattr(eligibility, "check_can_book", check_then_spend_elsewhere)
    with pytest.raises(actions.CreditDeductionFailed, match="Alice"):
        actions.promote_waitlist(session.pk)
    monkeypatch.undo()

    assert elsewhere[0].error is None  # her other booking took the credit
    alice_entry.refresh_from_db()
    assert alice_entry.status == WaitlistEntry.Status.WAITING
    assert actions.waitlist_position(alice_entry) == 1
    assert not Booking.objects.filter(session=session, status="confirmed").exists()
    assert not Message.objects.filter(kind__in=["waitlist_promoted", "waitlist_skipped"]).exists()

    [promoted] = actions.promote_waitlist(session.pk)  # the retry
    assert promoted.client_id == bob.pk
    bob_entry.refresh_from_db()
    assert bob_entry.status == WaitlistEntry.Status.PROMOTED
    [told] = Message.objects.filter(recipient=alice.user, kind="waitlist_skipped")
    assert "Insufficient credits" in told.context["reason_text"]
