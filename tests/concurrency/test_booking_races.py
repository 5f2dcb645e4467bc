"""Races on real threads against PostgreSQL: the guarantees of ARCHITECTURE §5.2."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.db import connection

from reformer.billing.models import ClientPackage, CreditLedger
from reformer.bookings import actions
from reformer.bookings.models import Booking, WaitlistEntry
from reformer.core.errors import Busy, TimedOut
from reformer.notifications.models import Message
from reformer.scheduling.models import ClassSession
from tests import factories
from tests.bookings import helpers
from tests.concurrency.conftest import race

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def clients(tenant, n: int, *, credits: int = 10) -> list:
    made = []
    for i in range(n):
        client = helpers.make_client(tenant, f"Racer{i}")
        helpers.give_package(client, credits=credits)
        made.append(client)
    return made


def test_64_clients_race_for_the_last_place(tenant, clean_job_tables):
    session = factories.make_session(tenant, capacity=2)
    early = clients(tenant, 1)[0]
    actions.book_session(early, session)
    racers = clients(tenant, 64)

    outcomes = race([lambda c=c: actions.book_session(c, session) for c in racers])

    winners = [o for o in outcomes if o.error is None]
    losers = [o for o in outcomes if o.error is not None]
    assert len(winners) == 1, [o.error for o in losers if o.code != "booking.class_full"]
    assert {(o.code, o.error.message) for o in losers} == {
        ("booking.class_full", "This class just filled up.")
    }
    assert all(o.error.data["waitlist_available"] for o in losers)
    assert Booking.objects.filter(session=session).count() == 2
    winner_client = winners[0].value.client_id
    untouched = ClientPackage.objects.filter(client__in=racers).exclude(client_id=winner_client)
    assert untouched.count() == 63
    assert set(untouched.values_list("credits_remaining", flat=True)) == {10}
    assert not CreditLedger.objects.filter(client_package__in=untouched).exists()
    assert ClassSession.objects.get(pk=session.pk).booked_count == 2


def test_the_same_booking_submitted_20_times_books_once(tenant, clean_job_tables):
    session = factories.make_session(tenant, capacity=5)
    client = clients(tenant, 1)[0]

    outcomes = race([lambda: actions.book_session(client, session)] * 20)

    assert sum(o.error is None for o in outcomes) == 1
    assert {o.code for o in outcomes if o.error} == {"booking.already_booked"}
    assert Booking.objects.filter(session=session, client=client).count() == 1
    assert ClientPackage.objects.get(client=client).credits_remaining == 9
    assert CreditLedger.objects.filter(client_package__client=client).count() == 1
    assert Message.objects.filter(kind="booking_confirmed").count() == 1


def test_one_credit_books_only_one_of_two_classes(tenant, clean_job_tables):
    first = factories.make_session(tenant)
    second = factories.make_session(tenant)
    client = clients(tenant, 1, credits=1)[0]

    outcomes = race(
        [lambda: actions.book_session(client, first), lambda: actions.book_session(client, second)]
    )

    assert sum(o.error is None for o in outcomes) == 1
    assert [o.code for o in outcomes if o.error] == ["booking.insufficient_credits"]
    assert ClientPackage.objects.get(client=client).credits_remaining == 0
    assert Booking.objects.filter(client=client).count() == 1


def test_two_freed_places_and_two_jobs_promote_the_one_waiting_client_once(
    tenant, clean_job_tables
):
    session = factories.make_session(tenant, capacity=2)
    holders = clients(tenant, 2)
    bookings = [actions.book_session(c, session) for c in holders]
    alice = clients(tenant, 1)[0]
    entry = actions.join_waitlist(alice, session)

    race([lambda b=b: actions.cancel_booking(b.client, b) for b in bookings])
    outcomes = race([lambda: actions.promote_waitlist(session.pk)] * 2)

    assert sorted(len(o.value) for o in outcomes) == [0, 1]
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.PROMOTED
    assert Booking.objects.filter(session=session, client=alice).count() == 1
    assert Message.objects.filter(recipient=alice.user, kind="waitlist_promoted").count() == 1
    assert ClassSession.objects.get(pk=session.pk).booked_count == 1


def race_round(tenant) -> None:
    """A full 2-place class with two waiting: one cancellation, two promotion jobs and three
    walk-ins all at the same instant."""
    session = factories.make_session(tenant, capacity=2)
    holders = clients(tenant, 2)
    bookings = [actions.book_session(c, session) for c in holders]
    for client in clients(tenant, 2):
        actions.join_waitlist(client, session)
    walk_ins = clients(tenant, 3)

    outcomes = race(
        [
            lambda: actions.cancel_booking(bookings[0].client, bookings[0]),
            lambda: actions.promote_waitlist(session.pk),
            lambda: actions.promote_waitlist(session.pk),
            *[lambda c=c: actions.book_session(c, session) for c in walk_ins],
        ]
    )

    unexpected = [o.error for o in outcomes if o.error and o.code != "booking.class_full"]
    assert not unexpected, unexpected
    session.refresh_from_db()
    held = Booking.objects.filter(session=session, status__in=Booking.HOLDING).count()
    assert held == session.booked_count <= session.capacity
    helpers.assert_consistent()


def test_cancellations_promotions_and_bookings_racing_never_overfill(tenant, clean_job_tables):
    for _round in range(6):
        race_round(tenant)


def test_a_lock_held_too_long_means_busy_not_a_hang(tenant, clean_job_tables):
    session = factories.make_session(tenant)
    client = clients(tenant, 1)[0]
    params = connection.get_connection_params()
    params = {k: v for k, v in params.items() if k not in ("cursor_factory", "context")}
    with psycopg.connect(**params) as holder:
        holder.execute(
            "SELECT id FROM scheduling_classsession WHERE id = %s FOR UPDATE", [session.pk]
        )
        began = time.monotonic()
        with pytest.raises(Busy) as caught:
            actions.book_session(client, session)
        waited = time.monotonic() - began
        holder.rollback()
    assert caught.value.message == "The studio is busy right now. Please try again in a moment."
    assert 2.5 < waited < 6  # the configured lock_timeout (3 s), then the answer
    assert not Booking.objects.exists()
    assert ClientPackage.objects.get(client=client).credits_remaining == 10
    assert not Message.objects.exists()


def test_a_booking_past_the_statement_timeout_is_rolled_back_with_a_clear_error(
    tenant, clean_job_tables
):
    """PHX-10 "booking timeout": the statement cap (30 s under `reformer serve`) stops a
    booking stuck behind another transaction; nothing is booked or charged."""
    session = factories.make_session(tenant)
    client = clients(tenant, 1)[0]
    params = connection.get_connection_params()
    params = {k: v for k, v in params.items() if k not in ("cursor_factory", "context")}
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 300")  # below lock_timeout: the cap fires
    try:
        with psycopg.connect(**params) as holder:
            holder.execute(
                "SELECT id FROM scheduling_classsession WHERE id = %s FOR UPDATE", [session.pk]
            )
            with pytest.raises(TimedOut) as caught:
                actions.book_session(client, session)
            holder.rollback()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")
    assert "nothing was booked or charged" in caught.value.message
    assert not Booking.objects.exists()
    assert ClientPackage.objects.get(client=client).credits_remaining == 10
    assert not Message.objects.exists()
