from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from reformer.accounts.models import ClientProfile
from reformer.billing.models import ClientPackage, CreditLedger
from reformer.bookings import actions
from reformer.bookings.models import Booking
from reformer.core import live
from reformer.core.errors import DomainError, NotFound, PermissionDenied
from reformer.core.models import AuditEvent
from reformer.notifications.actions import render_message
from reformer.notifications.models import Message
from reformer.scheduling.models import ClassSession
from tests import factories
from tests.bookings import helpers


def refresh(obj):
    obj.refresh_from_db()
    return obj


def error_of(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


def test_it_books_and_spends_one_credit_with_a_ledger_row(
    tenant, session, alice, django_capture_on_commit_callbacks
):
    package = alice.packages.get()
    with django_capture_on_commit_callbacks(execute=False):
        booking = actions.book_session(alice, session)

    assert booking.status == Booking.Status.CONFIRMED
    assert booking.source == Booking.Source.WEB
    assert booking.client_package_id == package.pk
    assert (booking.starts_at, booking.ends_at) == (session.starts_at, session.ends_at)
    assert refresh(package).credits_remaining == 4
    ledger = CreditLedger.objects.get(client_package=package)
    assert (ledger.delta, ledger.reason, ledger.booking_id) == (-1, "booking", booking.pk)
    assert ledger.actor_id == alice.user_id
    assert refresh(session).booked_count == 1
    assert AuditEvent.objects.filter(
        code="bookings.booking.created", subject_id=booking.pk
    ).exists()
    helpers.assert_consistent()


def test_a_booking_takes_one_round_trip_for_everything_before_the_lock(
    tenant,
    session,
    alice,
    bob,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    """ONE query for the class, readiness, client state, requirements, the draw and whether
    a webhook listens (bookings/actions/_prechecks.py); in the transaction, ONE round trip
    (bookings/actions/_pipelined.py) for five statements: audit row, message with its job
    (one statement), the guarded update, the insert with the class's state for the live
    event, the spend (+ the savepoint tests run it in, and its release); none after commit.
    The organization is active, as the request middleware makes it (its time format is
    then known without a query; elsewhere the class's load brings it)."""
    from reformer.bookings.actions import _pipelined
    from reformer.core import timeformat

    sent_together: list[int] = []
    run_together = _pipelined.run_together

    def counted(*statements):
        sent_together.append(len(statements))
        return run_together(*statements)

    monkeypatch.setattr(_pipelined, "run_together", counted)
    actions.book_session(bob, session)
    sent_together.clear()
    with (
        timeformat.activate(tenant.organization),
        django_capture_on_commit_callbacks(execute=True),
        django_assert_num_queries(8),
    ):
        actions.book_session(alice, session)
    assert sent_together == [5]


def test_a_booking_outside_a_request_takes_no_more_queries(
    tenant, session, alice, bob, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """With no organization active (a job, an API call before its locale, the bench), the
    terms' deadline is worded from the organization loaded with the class: no query of its
    own (it cost 0.5 ms a booking when it read the organization)."""
    actions.book_session(bob, session)
    with django_capture_on_commit_callbacks(execute=True), django_assert_num_queries(8):
        actions.book_session(alice, session)


def test_it_assigns_the_first_free_spot_and_keeps_a_chosen_one(tenant, session, alice, bob, carol):
    spots = tenant.spots
    chosen = actions.book_session(bob, session, spot=spots[2])
    first = actions.book_session(alice, session)
    second = actions.book_session(carol, session)
    assert chosen.spot_id == spots[2].pk
    assert first.spot_id == spots[0].pk
    assert second.spot_id == spots[1].pk


def test_it_refuses_a_spot_already_taken(tenant, session, alice, bob):
    actions.book_session(alice, session, spot=tenant.spots[0])
    error = error_of(lambda: actions.book_session(bob, session, spot=tenant.spots[0]))
    assert error.code == "booking.spot_taken"


def test_it_refuses_a_spot_of_another_room(tenant, session, alice):
    other_room = helpers.factories.RoomFactory(studio=tenant.studio, name="Mat Room")
    spot = helpers.factories.SpotFactory(room=other_room, label="Mat 1")
    error = error_of(lambda: actions.book_session(alice, session, spot=spot))
    assert (error.code, error.data["field"]) == ("validation", "spot")


def test_it_books_without_a_spot_in_a_room_without_spots(tenant, alice):
    room = helpers.factories.RoomFactory(studio=tenant.studio, name="Open Room")
    session = factories.make_session(tenant, room=room)
    assert actions.book_session(alice, session).spot_id is None


def test_it_lets_the_front_desk_book_for_a_client(tenant, session, alice):
    booking = actions.book_session(tenant.front_desk, session, client=alice)
    assert (booking.client_id, booking.source) == (alice.pk, Booking.Source.STAFF)
    ledger = CreditLedger.objects.get(booking=booking)
    assert ledger.actor_id == tenant.front_desk.user_id


def test_it_asks_staff_to_choose_a_client(tenant, session):
    error = error_of(lambda: actions.book_session(tenant.front_desk, session))
    assert (error.code, error.data["field"]) == ("validation", "client")


def test_it_refuses_booking_a_staff_member_as_a_client(tenant, session):
    error = error_of(lambda: actions.book_session(tenant.owner, session, client=tenant.instructor))
    assert error.code == "validation"


def test_it_refuses_a_client_booking_for_another_client(tenant, session, alice, bob):
    with pytest.raises(PermissionDenied):
        actions.book_session(alice, session, client=bob)


def test_it_refuses_front_desk_outside_their_studios(tenant, alice):
    annex_room = helpers.factories.RoomFactory(studio=tenant.other_studio, name="Annex Room")
    session = factories.make_session(tenant, room=annex_room, instructor=None)
    with pytest.raises(PermissionDenied):
        actions.book_session(tenant.front_desk, session, client=alice)
    assert actions.book_session(tenant.owner, session, client=alice).pk


def test_it_hides_another_organizations_class(world, alice):
    other = factories.make_session(world.b)
    with pytest.raises(NotFound):
        actions.book_session(alice, other)


def test_it_refuses_a_cancelled_class(session, alice):
    ClassSession.objects.filter(pk=session.pk).update(status="cancelled")
    error = error_of(lambda: actions.book_session(alice, session))
    assert (error.code, error.message) == (
        "booking.session_cancelled",
        "This class has been cancelled.",
    )


def test_it_refuses_a_class_that_has_started(tenant, alice):
    session = factories.make_session(tenant)
    with time_machine.travel(session.starts_at + dt.timedelta(minutes=1)):
        error = error_of(lambda: actions.book_session(alice, session))
    assert error.code == "booking.session_started"


def test_it_refuses_before_the_booking_window_opens(tenant, alice):
    helpers.set_policy(tenant, booking_window_days=7)
    session = factories.make_session(tenant, starts_at=factories.next_start(days=10))
    error = error_of(lambda: actions.book_session(alice, session))
    assert error.code == "booking.not_open"
    assert error.data["opens_at"] == session.starts_at - dt.timedelta(days=7)
    assert error.message.startswith("Booking for this class opens on ")


def test_it_refuses_a_suspended_client_before_anything_else(tenant, session):
    client = helpers.make_client(tenant, "Sam")  # no package either: suspension comes first
    ClientProfile.objects.filter(membership=client).update(
        suspended_until=timezone.now() + dt.timedelta(days=3)
    )
    error = error_of(lambda: actions.book_session(client, session))
    assert error.code == "booking.suspended"
    assert "suspended until" in error.message


def test_it_refuses_booking_the_same_class_twice_and_shows_the_booking(session, alice):
    first = actions.book_session(alice, session)
    error = error_of(lambda: actions.book_session(alice, session))
    assert (error.code, error.message) == (
        "booking.already_booked",
        "You have already booked this class.",
    )
    assert error.data["booking"].pk == first.pk
    assert refresh(alice.packages.get()).credits_remaining == 4


def test_it_refuses_an_overlapping_class(tenant, alice):
    first = factories.make_session(tenant)
    other_room = helpers.factories.RoomFactory(studio=tenant.studio, name="Second Room")
    overlapping = factories.make_session(
        tenant,
        room=other_room,
        instructor=None,
        starts_at=first.starts_at + dt.timedelta(minutes=30),
    )
    booked = actions.book_session(alice, first)
    error = error_of(lambda: actions.book_session(alice, overlapping))
    assert error.code == "booking.overlap"
    assert error.data["booking"].pk == booked.pk


def test_it_enforces_the_most_upcoming_bookings(tenant, alice):
    helpers.set_policy(tenant, max_upcoming_bookings=2)
    sessions = [factories.make_session(tenant) for _ in range(3)]
    actions.book_session(alice, sessions[0])
    actions.book_session(alice, sessions[1])
    error = error_of(lambda: actions.book_session(alice, sessions[2]))
    assert (error.code, error.data["limit"]) == ("booking.max_upcoming", 2)


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        (lambda c: None, "no_package"),
        (lambda c: helpers.give_package(c, credits=0), "no_credits"),
        (
            lambda c: helpers.give_package(
                c,
                starts_at=timezone.now() - dt.timedelta(days=30),
                expires_at=timezone.now() - dt.timedelta(days=1),
            ),
            "expired",
        ),
        (
            lambda c: helpers.give_package(c, expires_at=timezone.now() + dt.timedelta(hours=1)),
            "expires_before_class",
        ),
    ],
)
def test_it_refuses_without_a_usable_package(tenant, session, setup, reason):
    client = helpers.make_client(tenant, "Dana")
    setup(client)
    error = error_of(lambda: actions.book_session(client, session))
    assert error.code == "booking.insufficient_credits"
    assert error.data["reason"] == reason
    assert error.data["purchase_available"] is True
    assert error.message.startswith("Insufficient credits")
    assert not Booking.objects.exists()


def test_it_respects_a_weekly_limit_in_the_studios_week(tenant):
    """Sunday 23:00 New York is Monday 04:00 UTC: it belongs to the local week ending."""
    client = helpers.make_client(tenant, "Wes")
    tz = "America/New_York"
    with time_machine.travel(dt.datetime(2025, 3, 3, 12, 0, tzinfo=dt.UTC)):  # Monday
        from reformer.core.timezones import local_to_utc

        helpers.give_package(client, kind="membership", credits=20, weekly_limit=1)

        sunday_late = factories.make_session(
            tenant, starts_at=local_to_utc(dt.date(2025, 3, 9), dt.time(22, 0), tz)
        )
        monday = factories.make_session(
            tenant, starts_at=local_to_utc(dt.date(2025, 3, 10), dt.time(9, 0), tz)
        )
        saturday = factories.make_session(
            tenant, starts_at=local_to_utc(dt.date(2025, 3, 8), dt.time(9, 0), tz)
        )
        actions.book_session(client, sunday_late)
        assert actions.book_session(client, monday).pk  # next local week
        error = error_of(lambda: actions.book_session(client, saturday))
    assert (error.code, error.data["reason"]) == ("booking.insufficient_credits", "weekly_limit")


def test_it_spends_from_the_package_that_expires_soonest(tenant, session):
    client = helpers.make_client(tenant, "Eve")
    later = helpers.give_package(
        client, credits=5, expires_at=timezone.now() + dt.timedelta(days=60)
    )
    sooner = helpers.give_package(
        client, credits=5, expires_at=timezone.now() + dt.timedelta(days=10)
    )
    booking = actions.book_session(client, session)
    assert booking.client_package_id == sooner.pk
    assert (refresh(sooner).credits_remaining, refresh(later).credits_remaining) == (4, 5)


def test_it_falls_back_to_the_next_package_when_the_first_ran_out_meanwhile(
    tenant, session, monkeypatch
):
    client = helpers.make_client(tenant, "Fay")
    sooner = helpers.give_package(
        client, credits=1, expires_at=timezone.now() + dt.timedelta(days=5)
    )
    later = helpers.give_package(
        client, credits=3, expires_at=timezone.now() + dt.timedelta(days=50)
    )
    # Another booking takes the last credit between our checks and our spend.
    from reformer.bookings import eligibility

    real = eligibility.check_can_book

    def check_then_race(*args, **kwargs):
        choice = real(*args, **kwargs)
        ClientPackage.objects.filter(pk=sooner.pk).update(credits_remaining=0)
        CreditLedger.objects.create(
            organization=client.organization, client_package=sooner, delta=-1, reason="booking"
        )
        return choice

    monkeypatch.setattr(eligibility, "check_can_book", check_then_race)
    booking = actions.book_session(client, session)
    assert refresh(booking).client_package_id == later.pk
    assert refresh(later).credits_remaining == 2


def test_it_books_an_unlimited_package_at_no_credit_cost(tenant, session):
    client = helpers.make_client(tenant, "Uma")
    package = helpers.give_package(client, kind="unlimited", credits=None)
    quote = actions.booking_quote(client, session)
    assert (quote.package, quote.credit_cost, quote.reason) == (package, 0, None)
    booking = actions.book_session(client, session)
    assert booking.client_package_id == package.pk
    assert not CreditLedger.objects.exists()
    helpers.assert_consistent()


def test_it_says_the_class_just_filled_up_and_offers_the_waitlist(tenant, alice, bob):
    session = factories.make_session(tenant, capacity=1)
    actions.book_session(alice, session)
    error = error_of(lambda: actions.book_session(bob, session))
    assert (error.code, error.message) == ("booking.class_full", "This class just filled up.")
    assert error.data["waitlist_available"] is True
    assert refresh(bob.packages.get()).credits_remaining == 5
    assert not CreditLedger.objects.filter(client_package__client=bob).exists()


def test_it_offers_no_waitlist_when_the_studio_has_none(tenant, alice, bob):
    helpers.set_policy(tenant, waitlist_mode="off")
    session = factories.make_session(tenant, capacity=1)
    actions.book_session(alice, session)
    error = error_of(lambda: actions.book_session(bob, session))
    assert error.data["waitlist_available"] is False


def test_it_reports_missing_credits_before_a_full_class(tenant, alice):
    session = factories.make_session(tenant, capacity=1)
    actions.book_session(alice, session)
    broke = helpers.make_client(tenant, "Broke")
    assert error_of(lambda: actions.book_session(broke, session)).code == (
        "booking.insufficient_credits"
    )


def test_it_refuses_a_full_class_even_when_the_read_was_stale(tenant, alice, bob):
    """The guarded update decides, not the copy of the class the caller holds."""
    session = factories.make_session(tenant, capacity=1)
    stale = ClassSession.objects.get(pk=session.pk)
    actions.book_session(alice, session)
    assert error_of(lambda: actions.book_session(bob, stale)).code == "booking.class_full"


def test_it_writes_nothing_when_a_step_fails_midway(session, alice, monkeypatch):
    package = alice.packages.get()

    def broken_publish(*args, **kwargs):  # after every write, before the commit
        raise RuntimeError("live events unavailable")

    monkeypatch.setattr("reformer.bookings.actions.booking.notify.publish_booking", broken_publish)
    with pytest.raises(RuntimeError):
        actions.book_session(alice, session)
    assert not Booking.objects.exists()
    assert refresh(session).booked_count == 0
    assert refresh(package).credits_remaining == 5
    assert not CreditLedger.objects.exists()
    assert not Message.objects.exists()
    assert not ProcrastinateJob.objects.exists()


def test_it_queues_a_confirmation_with_the_class_details(tenant):
    tenant.studio.address = "12 Harbour Street, Portland"
    tenant.studio.save()
    with time_machine.travel(dt.datetime(2025, 1, 10, 12, 0, tzinfo=dt.UTC)):
        from reformer.core.timezones import local_to_utc

        alice = helpers.make_client(tenant, "Alice")
        helpers.give_package(alice)
        session = factories.make_session(
            tenant,
            starts_at=local_to_utc(dt.date(2025, 1, 15), dt.time(6, 0), "America/New_York"),
        )
        booking = actions.book_session(alice, session)
    message = Message.objects.get(idempotency_key=f"booking-confirmed:{booking.pk}")
    assert (message.kind, message.status, message.to_address) == (
        "booking_confirmed",
        "queued",
        alice.user.email,
    )
    for text in render_message(message):
        assert "Reformer Flow" in text
        assert "Wed 15 Jan 2025, 06:00 EST" in text
        assert "alpha Main" in text and "12 Harbour Street, Portland" in text
        assert tenant.instructor.name in text
        assert "Reformer 1" in text
        assert booking.reference in text
        assert "Cancel before Tue 14 Jan, 18:00 EST to get your credit back." in text
    assert message.subject == "Booked: Reformer Flow, Wed 15 Jan 2025, 06:00 EST"
    job = ProcrastinateJob.objects.get(task_name="notifications.send_message")
    assert job.args == {"message_id": message.pk}


def test_it_skips_the_confirmation_when_the_client_turned_them_off(tenant, session):
    client = helpers.make_client(tenant, "Quiet", notify_booking_confirmations=False)
    helpers.give_package(client)
    booking = actions.book_session(client, session)
    message = Message.objects.get(idempotency_key=f"booking-confirmed:{booking.pk}")
    assert message.status == "skipped"
    assert not ProcrastinateJob.objects.filter(task_name="notifications.send_message").exists()


def test_it_publishes_live_events_after_commit(
    tenant, session, alice, live_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        booking = actions.book_session(alice, session)
        assert live_events.sent == []  # nothing before commit
    for callback in callbacks:
        callback()
    package = alice.packages.get()
    [schedule_event] = live_events.to(live.studio_schedule(tenant.studio.pk))
    # The class's public state rides along (read once after commit, bookings/class_state.py):
    # every open page renders from it without a query of its own.
    [state] = schedule_event.pop("states")
    assert (state["id"], state["booked_count"], state["capacity"]) == (session.pk, 1, 3)
    assert schedule_event == {"type": "session", "op": "availability", "ids": [session.pk]}
    assert live_events.to(live.session_roster(session.pk)) == [
        {"type": "booking", "op": "created", "ids": [booking.pk]}
    ]
    assert live_events.to(live.user_channel(alice.user_id)) == [
        {"type": "booking", "op": "created", "ids": [booking.pk]},
        {"type": "package", "op": "updated", "ids": [package.pk]},
    ]
    assert live_events.to(live.organization_metrics(tenant.organization.pk)) == [
        {"type": "booking", "op": "created", "ids": [booking.pk]}
    ]


def test_it_quotes_the_package_cost_and_policy_without_writing(tenant, session, alice):
    quote = actions.booking_quote(alice, session)
    assert quote.package == alice.packages.get()
    assert (quote.credit_cost, quote.reason, quote.can_book) == (1, None, True)
    assert quote.cancellation_policy.startswith("Free cancellation until ")
    assert "(12 hours before class)" in quote.cancellation_policy
    assert quote.cancellation_deadline == session.starts_at - dt.timedelta(hours=12)
    assert not Booking.objects.exists() and not CreditLedger.objects.exists()


def test_it_quotes_a_booking_inside_the_cancellation_window_as_such(tenant, alice):
    soon = factories.make_session(tenant, starts_at=timezone.now() + dt.timedelta(hours=3))
    quote = actions.booking_quote(alice, soon)
    assert quote.cancellation_policy == (
        "This class starts within 12 hours. Once booked, cancelling or not showing up uses "
        "the credit."
    )


def test_it_quotes_the_reason_a_client_cannot_book(tenant, alice):
    session = factories.make_session(tenant, capacity=1)
    xi = helpers.make_client(tenant, "Xi")
    helpers.give_package(xi)
    actions.book_session(tenant.front_desk, session, client=xi)
    broke = helpers.make_client(tenant, "Broke")
    quote = actions.booking_quote(broke, session)
    assert (quote.package, quote.credit_cost, quote.reason.code) == (
        None,
        0,
        "booking.insufficient_credits",
    )
    full = actions.booking_quote(alice, session)
    assert full.reason.code == "booking.class_full"
    assert full.package == alice.packages.get()


def test_it_pays_from_the_next_package_when_the_first_ran_dry_meanwhile(
    tenant, session, alice, monkeypatch
):
    """The first package is chosen before the lock; a concurrent booking spends its last
    credit before ours does: the spend (sent with the insert) finds nothing, so the next
    usable package pays and the booking points at it."""
    first = alice.packages.get()
    second = helpers.give_package(alice, credits=3, expires_at=first.expires_at + dt.timedelta(1))
    check_can_book = actions.booking.eligibility.check_can_book

    def then_drained(*args, **kwargs):
        choice = check_can_book(*args, **kwargs)
        ClientPackage.objects.filter(pk=first.pk).update(credits_remaining=0)
        return choice

    monkeypatch.setattr(actions.booking.eligibility, "check_can_book", then_drained)
    booking = actions.book_session(alice, session)
    assert refresh(booking).client_package_id == second.pk
    assert (refresh(first).credits_remaining, refresh(second).credits_remaining) == (0, 2)
    assert list(CreditLedger.objects.values_list("client_package_id", "delta")) == [(second.pk, -1)]
