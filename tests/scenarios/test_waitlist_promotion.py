"""PHX-16 Waitlist promotion automation, scenario by scenario: a client cancels over HTTP,
the real procrastinate worker promotes (and sends through the real Resend and Twilio clients
to a local fake of their APIs), clients see their place over HTTP and live."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from reformer.accounts.models import Membership
from reformer.billing.models import ClientPackage, CreditLedger
from reformer.bookings import actions
from reformer.bookings.audit_codes import BOOKINGS_WAITLIST_PASSED_OVER
from reformer.bookings.jobs import PROMOTION_RETRIES
from reformer.bookings.models import Booking, WaitlistEntry
from reformer.core import alerts, live
from reformer.core.models import AdminAlert, AuditEvent
from reformer.core.timezones import local_to_utc
from reformer.notifications.models import Message
from reformer.scheduling.models import ClassSession
from reformer.web import live_render
from reformer.web.live_render import Subscriptions
from tests.bookings import helpers
from tests.bookings.helpers import give_package, make_client
from tests.concurrency.conftest import run_worker_once
from tests.factories import make_session

DAY = dt.date(2031, 3, 4)  # a Tuesday; the tenants' studios are in New York
PROMOTE = "bookings.promote_waitlist"
NUMBER = "+14155550123"


def at_local(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return local_to_utc(day, dt.time(hour, minute), "America/New_York")


@pytest.fixture
def live_events(monkeypatch) -> helpers.LiveEvents:
    return helpers.record_live_events(monkeypatch)


def _full_class(tenant, clock, jobs, fake, *, places: int, waiting: list[str], credits: int = 10):
    """A class at 18:00 the next day with every place booked (the evening before) and people
    waiting, in this order, each with a ten-class pack (or `credits`) bought a month ago."""
    with clock.at(at_local(19, day=DAY - dt.timedelta(days=1))):
        session = make_session(
            tenant, starts_at=at_local(18, day=DAY + dt.timedelta(days=1)), capacity=places
        )
        bookings = []
        for n in range(places):
            holder = make_client(tenant, f"Holder{n}")
            give_package(holder, starts_at=at_local(9, day=DAY - dt.timedelta(days=30)))
            bookings.append(actions.book_session(holder, session))
        queue = []
        for name in waiting:
            person = make_client(tenant, name)
            give_package(
                person, credits=credits, starts_at=at_local(9, day=DAY - dt.timedelta(days=30))
            )
            queue.append(actions.join_waitlist(person, session))
        jobs.run()  # their confirmations go out the evening before
    fake.accepted.clear()
    return session, bookings, queue


def _cancel_over_http(booking: Booking) -> None:
    browser = Client()
    browser.force_login(booking.client.user)
    response = browser.post(reverse("client:cancel_booking", args=[booking.reference]))
    assert response.status_code == 302, response.content[:500]
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED


def _opt_in_to_texts(member: Membership, jobs, fake) -> None:
    """The real opt-in: ask for a code on the profile, read it from the text, confirm."""
    browser = Client()
    browser.force_login(member.user)
    response = browser.post(reverse("messaging:texts_start"), {"phone": "(415) 555-0123"})
    assert response.status_code == 302
    jobs.run()
    [code_text] = [t for t in fake.texts() if t.to == NUMBER]
    code = re.search(r"\b(\d{6})\b", code_text.body)[1]
    response = browser.post(reverse("messaging:texts_confirm"), {"code": code})
    assert response.status_code == 302
    jobs.run()  # the "texts are on" confirmation
    fake.accepted.clear()


def _position_on_dashboard(member: Membership) -> str:
    browser = Client()
    browser.force_login(member.user)
    return browser.get(reverse("client:dashboard")).content.decode()


def _live_dashboard(member: Membership, events: helpers.LiveEvents, session) -> str:
    """What the live channel pushed to this client's open dashboard after the promotion."""
    html = []
    for group, event in events.sent:
        if group == live.studio_schedule(session.studio_id):
            html.append(
                live_render.render_event(
                    member,
                    event,
                    Subscriptions(
                        studio_ids=frozenset({session.studio_id}),
                        user=True,
                        page="client.dashboard",
                    ),
                )
            )
    return "".join(html)


def _messages(member: Membership, kind: str) -> list[Message]:
    return list(Message.objects.filter(recipient=member.user, kind=kind).order_by("id"))


def _entry(entry: WaitlistEntry) -> WaitlistEntry:
    return WaitlistEntry.objects.select_related("booking").get(pk=entry.pk)


@pytest.mark.scenario("PHX-16", "Promote from waitlist after cancellation")
def test_a_cancellation_promotes_the_first_in_line_who_is_emailed_and_texted(
    world, jobs, clock, fake_providers, live_events
):
    session, bookings, (alice, bob, carol) = _full_class(
        world.a, clock, jobs, fake_providers, places=10, waiting=["Alice", "Bob", "Carol"]
    )
    with clock.at(at_local(11, 30)):
        _opt_in_to_texts(alice.client, jobs, fake_providers)
    with clock.at(at_local(12)):
        _cancel_over_http(bookings[3])
        live_events.sent.clear()
        jobs.run()

    alice = _entry(alice)
    assert alice.status == WaitlistEntry.Status.PROMOTED
    assert alice.booking.status == Booking.Status.CONFIRMED
    assert alice.booking.source == Booking.Source.WAITLIST
    # The confirmation email and the text, sent by the worker right away.
    [email] = [e for e in fake_providers.emails() if e.to == alice.client.user.email]
    assert "place opened up" in email.data["subject"] and "booked from the waitlist" in email.body
    [text] = fake_providers.texts()
    assert text.to == NUMBER and "booked from the waitlist" in text.body
    assert [m.status for m in _messages(alice.client, "waitlist_promoted")] == ["sent", "sent"]
    # One credit, spent for this promotion.
    package = ClientPackage.objects.get(client=alice.client)
    assert package.credits_remaining == 9
    assert CreditLedger.objects.filter(booking=alice.booking, delta=-1).count() == 1
    # Off the waitlist; the others move up, on their dashboards and live.
    assert actions.waitlist_positions([bob, carol]) == {bob.pk: 1, carol.pk: 2}
    with clock.at(at_local(12, 1)):
        assert "#1 on the waitlist" in _position_on_dashboard(bob.client)
        assert "#2 on the waitlist" in _position_on_dashboard(carol.client)
        assert "#1 on the waitlist" in _live_dashboard(bob.client, live_events, session)
        assert "#2 on the waitlist" in _live_dashboard(carol.client, live_events, session)
    assert ("booking", "created") in [
        (e["type"], e["op"]) for e in live_events.to(live.user_channel(alice.client.user_id))
    ]
    assert jobs.statuses(PROMOTE) == ["succeeded"]
    helpers.assert_consistent()


@pytest.mark.scenario("PHX-16", "Multiple promotions after multiple cancellations")
def test_two_cancellations_in_a_minute_promote_alice_then_bob(world, jobs, clock, fake_providers):
    _session, bookings, (alice, bob) = _full_class(
        world.a, clock, jobs, fake_providers, places=4, waiting=["Alice", "Bob"]
    )
    with clock.at(at_local(12)):
        _cancel_over_http(bookings[0])
    with clock.at(at_local(12) + dt.timedelta(seconds=40)):
        _cancel_over_http(bookings[1])
    with clock.at(at_local(12, 1)):
        jobs.run()

    alice, bob = _entry(alice), _entry(bob)
    assert (alice.status, bob.status) == ("promoted", "promoted")
    assert alice.booking.pk < bob.booking.pk  # Alice first, Bob second
    emailed = [e.to for e in fake_providers.emails() if "place opened up" in e.data["subject"]]
    assert emailed == [alice.client.user.email, bob.client.user.email]
    for entry in (alice, bob):
        assert ClientPackage.objects.get(client=entry.client).credits_remaining == 9
    assert not WaitlistEntry.objects.filter(status=WaitlistEntry.Status.WAITING).exists()
    assert jobs.statuses(PROMOTE) == ["succeeded"]  # one job per class, both places filled
    helpers.assert_consistent()


@pytest.mark.scenario("PHX-16", "Skip promotion if client has insufficient credits")
def test_a_client_without_credits_is_told_and_the_next_in_line_is_promoted(
    world, jobs, clock, fake_providers
):
    _session, bookings, (alice, bob) = _full_class(
        world.a, clock, jobs, fake_providers, places=2, waiting=["Alice", "Bob"]
    )
    with clock.at(at_local(11)):  # Alice spends her last credit on another class
        ClientPackage.objects.filter(client=alice.client).delete()
        give_package(alice.client, credits=1, starts_at=at_local(9))
        actions.book_session(alice.client, make_session(world.a, starts_at=at_local(15)))
    assert ClientPackage.objects.get(client=alice.client).credits_remaining == 0
    with clock.at(at_local(12)):
        _cancel_over_http(bookings[0])
        jobs.run()

    alice, bob = _entry(alice), _entry(bob)
    assert alice.status == WaitlistEntry.Status.WAITING  # not promoted, still waiting
    assert actions.waitlist_position(alice) == 1
    [email] = [
        e
        for e in fake_providers.emails()
        if e.to == alice.client.user.email and "couldn't book you" in e.data["subject"]
    ]
    assert "Insufficient credits" in email.body
    assert "Buy a package: http://testserver/shop/" in email.body
    assert bob.status == WaitlistEntry.Status.PROMOTED and bob.booking.status == "confirmed"
    assert not Booking.objects.filter(client=alice.client, session=bob.session_id).exists()
    helpers.assert_consistent()


@pytest.mark.scenario("PHX-16", "Handle client with expired package")
def test_a_client_whose_package_expired_is_told_and_taken_off_the_list(
    world, jobs, clock, fake_providers
):
    _session, bookings, (alice, bob) = _full_class(
        world.a, clock, jobs, fake_providers, places=2, waiting=["Alice", "Bob"]
    )
    ClientPackage.objects.filter(client=alice.client).update(expires_at=at_local(9))
    with clock.at(at_local(12)):
        _cancel_over_http(bookings[0])
        jobs.run()

    alice, bob = _entry(alice), _entry(bob)
    assert alice.status == WaitlistEntry.Status.EXPIRED  # removed from the waitlist
    assert not Booking.objects.filter(client=alice.client).exists()
    [email] = [e for e in fake_providers.emails() if e.to == alice.client.user.email]
    assert "your packages have expired" in email.body
    assert bob.status == WaitlistEntry.Status.PROMOTED and bob.booking.status == "confirmed"
    helpers.assert_consistent()


@contextmanager
def _credit_writes_failing(package: ClientPackage) -> Iterator[None]:
    """A real database error on taking a credit from this package (a trigger raising
    disk_full), as a failing disk would: committed, so the worker's connection meets it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_fail_credit() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' "
            "USING ERRCODE = 'disk_full'; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER test_fail_credit BEFORE UPDATE ON billing_clientpackage "
            f"FOR EACH ROW WHEN (OLD.id = {int(package.pk)} "
            "AND NEW.credits_remaining < OLD.credits_remaining) "
            "EXECUTE FUNCTION test_fail_credit()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS test_fail_credit ON billing_clientpackage")
            cursor.execute("DROP FUNCTION IF EXISTS test_fail_credit()")


@pytest.mark.scenario("PHX-16", "Handle failed credit deduction")
def test_a_failed_credit_deduction_rolls_back_says_nothing_retries_and_alerts_staff(
    world, jobs, clock, fake_providers, client
):
    session, bookings, (alice, bob) = _full_class(
        world.a, clock, jobs, fake_providers, places=2, waiting=["Alice", "Bob"]
    )
    package = ClientPackage.objects.get(client=alice.client)
    with _credit_writes_failing(package), clock.at(at_local(12)):
        _cancel_over_http(bookings[0])
        jobs.run()

        # The whole promotion rolled back: no booking, no credit, Alice still first.
        assert _entry(alice).status == WaitlistEntry.Status.WAITING
        assert actions.waitlist_position(alice) == 1
        assert not Booking.objects.filter(client=alice.client).exists()
        assert ClientPackage.objects.get(pk=package.pk).credits_remaining == 10
        assert not CreditLedger.objects.filter(client_package=package, delta=-1).exists()
        # Nobody was told anything, nobody else took the place.
        assert (
            not Message.objects.filter(recipient=alice.client.user)
            .exclude(kind="waitlist_joined")
            .exists()
        )
        assert [e.to for e in fake_providers.emails()] == [bookings[0].client.user.email]
        assert _entry(bob).status == WaitlistEntry.Status.WAITING
        assert ClassSession.objects.get(pk=session.pk).held_count == 1  # kept for Alice
        # The job is retried (with backoff), and staff see an alert where they work.
        assert jobs.statuses(PROMOTE) == ["todo"]
        alert = AdminAlert.objects.get(code=alerts.PROMOTION_FAILED, resolved_at__isnull=True)
        assert "Alice" in alert.message and "still first on the waitlist" in alert.message
        client.force_login(world.a.owner.user)
        home = client.get(reverse("staff:dashboard")).content.decode()
        assert "Waitlist promotion failed" in home and "still first on the waitlist" in home

    # The disk is fixed; the retry goes through and closes the alert.
    with clock.at(at_local(12, 1)):
        assert jobs.make_retries_due() == 1
        jobs.run()
    alice = _entry(alice)
    assert alice.status == WaitlistEntry.Status.PROMOTED
    assert ClientPackage.objects.get(pk=package.pk).credits_remaining == 9
    emailed = [e.to for e in fake_providers.emails() if "place opened up" in e.data["subject"]]
    assert emailed == [alice.client.user.email]
    assert jobs.statuses(PROMOTE) == ["succeeded"]
    alert.refresh_from_db()
    assert alert.resolved_at is not None
    helpers.assert_consistent()


@pytest.mark.scenario("PHX-16", "Handle failed credit deduction")
def test_a_credit_that_can_never_be_taken_is_retried_then_the_next_in_line_gets_the_place(
    world, jobs, clock, fake_providers, client
):
    """The intent over the letter (docs/specification.md, PHX-16 notes): retries are
    bounded, then Alice is passed over for this place, silently, and staff are told."""
    _session, bookings, (alice, bob) = _full_class(
        world.a, clock, jobs, fake_providers, places=2, waiting=["Alice", "Bob"]
    )
    package = ClientPackage.objects.get(client=alice.client)
    with _credit_writes_failing(package):
        with clock.at(at_local(12)):
            _cancel_over_http(bookings[0])
            jobs.run()
        for retry in range(1, PROMOTION_RETRIES + 1):
            assert _entry(bob).status == WaitlistEntry.Status.WAITING, f"before retry {retry}"
            with clock.at(at_local(12, retry)):
                assert jobs.make_retries_due() == 1
                jobs.run()

    assert jobs.statuses(PROMOTE) == ["succeeded"]
    alice, bob = _entry(alice), _entry(bob)
    assert bob.status == WaitlistEntry.Status.PROMOTED and bob.booking.status == "confirmed"
    assert alice.status == WaitlistEntry.Status.WAITING and actions.waitlist_position(alice) == 1
    emailed = [e.to for e in fake_providers.emails() if "place opened up" in e.data["subject"]]
    assert emailed == [bob.client.user.email]  # Alice heard nothing
    assert ClientPackage.objects.get(pk=package.pk).credits_remaining == 10
    passed_over = AdminAlert.objects.get(code=alerts.PROMOTION_FAILED, data__passed_over=True)
    assert "Alice was passed over" in passed_over.message and passed_over.resolved_at is None
    assert AuditEvent.objects.filter(
        code=BOOKINGS_WAITLIST_PASSED_OVER, data__reason="credit_not_taken"
    ).exists()
    # Staff following the alert to the class see why Alice is still waiting.
    client.force_login(world.a.front_desk.user)
    roster = client.get(
        reverse("staff:session_roster", args=[bob.session_id]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "passed over: their credit could not be taken (see alerts)" in roster
    helpers.assert_consistent()


def _start_worker() -> threading.Thread:
    """A worker of its own (as a second `reformer worker` would be), left running until the
    queue is empty."""
    thread = threading.Thread(target=run_worker_once)
    thread.start()
    return thread


def _wait_until(condition, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _doing() -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = %s AND status = 'doing'",
            [PROMOTE],
        )
        return cursor.fetchone()[0]


@pytest.mark.scenario("PHX-16", "Handle concurrent promotions conflict")
def test_two_promotion_jobs_running_at_once_book_the_one_client_once(
    world, jobs, clock, fake_providers
):
    session, bookings, (alice,) = _full_class(
        world.a, clock, jobs, fake_providers, places=2, waiting=["Alice"]
    )
    lock_key = (0x57A17, session.pk)
    with clock.at(at_local(12)):
        # Hold the class's promotion lock so both jobs are surely running at the same time.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", lock_key)
        try:
            _cancel_over_http(bookings[0])
            first = _start_worker()
            _wait_until(lambda: _doing() == 1, "the first promotion job to start")
            _cancel_over_http(bookings[1])  # a second place, a second job (the first is running)
            second = _start_worker()
            _wait_until(lambda: _doing() == 2, "both promotion jobs to run")
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", lock_key)
        first.join(60)
        second.join(60)

    assert jobs.statuses(PROMOTE) == ["succeeded", "succeeded"]  # the duplicate, gracefully
    assert Booking.objects.filter(session=session, client=alice.client).count() == 1
    assert _entry(alice).status == WaitlistEntry.Status.PROMOTED
    emailed = [e.to for e in fake_providers.emails() if "place opened up" in e.data["subject"]]
    assert emailed == [alice.client.user.email]
    assert len(_messages(alice.client, "waitlist_promoted")) == 1
    # The place no one waits for is open to everyone again.
    assert ClassSession.objects.get(pk=session.pk).held_count == 0
    helpers.assert_consistent()
