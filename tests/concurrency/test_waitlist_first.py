"""Freed places go to the waitlist first (PHX-16), raced on real threads.

A cancellation in a class with people waiting holds the place for the waitlist until the
promotion job resolves it: direct bookers racing the cancellations see "full" (and are
offered the waitlist), even while the worker is down.
"""

from __future__ import annotations

import pytest

from reformer.bookings import actions
from reformer.bookings.models import Booking, WaitlistEntry
from reformer.core.errors import DomainError
from reformer.scheduling.models import ClassSession
from tests import factories
from tests.concurrency.conftest import race, run_worker_once
from tests.concurrency.test_booking_races import clients

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def _full_class_with_waitlist(tenant, *, capacity: int, waiting: int):
    session = factories.make_session(tenant, capacity=capacity)
    bookings = [actions.book_session(c, session) for c in clients(tenant, capacity)]
    waiters = clients(tenant, waiting)
    for client in waiters:
        actions.join_waitlist(client, session)
    return session, bookings, waiters


def _spend_every_credit(tenant, client) -> None:
    """Leave the client with no credit (consistently with the ledger): book it elsewhere."""
    package = client.packages.get()
    for _ in range(package.credits_remaining):
        actions.book_session(client, factories.make_session(tenant))


def _holders(session) -> set[int]:
    return set(
        Booking.objects.filter(session=session, status__in=Booking.HOLDING).values_list(
            "client_id", flat=True
        )
    )


def test_three_cancellations_racing_ten_bookers_leave_every_place_to_the_waitlist(
    tenant, clean_job_tables
):
    session, bookings, waiters = _full_class_with_waitlist(tenant, capacity=5, waiting=10)
    walk_ins = clients(tenant, 10)

    outcomes = race(
        [
            *[lambda b=b: actions.cancel_booking(b.client, b) for b in bookings[:3]],
            *[lambda c=c: actions.book_session(c, session) for c in walk_ins],
        ]
    )

    # The worker is down: nobody has the places yet, and no walk-in got one.
    walk_in_outcomes = outcomes[3:]
    assert {o.code for o in walk_in_outcomes} == {"booking.class_full"}
    assert all(o.error.data["waitlist_available"] for o in walk_in_outcomes)
    assert not _holders(session) & {c.pk for c in walk_ins}
    assert ClassSession.objects.get(pk=session.pk).held_count == 3
    with pytest.raises(DomainError, match="filled up"):  # and still, with no race at all
        actions.book_session(clients(tenant, 1)[0], session)

    run_worker_once()

    holders = _holders(session)
    assert holders >= {w.pk for w in waiters[:3]}
    assert not holders & {c.pk for c in walk_ins}
    session.refresh_from_db()
    assert (session.booked_count, session.held_count, session.waiting_count) == (5, 0, 7)


def test_an_ineligible_first_waiter_is_skipped_and_the_next_gets_the_place(
    tenant, clean_job_tables
):
    session, bookings, waiters = _full_class_with_waitlist(tenant, capacity=2, waiting=2)
    broke = waiters[0]
    _spend_every_credit(tenant, broke)
    walk_in = clients(tenant, 1)[0]

    race(
        [
            lambda: actions.cancel_booking(bookings[0].client, bookings[0]),
            lambda: actions.book_session(walk_in, session),
        ]
    )
    run_worker_once()

    assert walk_in.pk not in _holders(session)
    assert waiters[1].pk in _holders(session)
    assert WaitlistEntry.objects.get(client=broke, session=session).status == "waiting"


def test_when_no_waiter_can_take_it_the_held_place_opens_to_everyone(tenant, clean_job_tables):
    session, bookings, waiters = _full_class_with_waitlist(tenant, capacity=2, waiting=1)
    _spend_every_credit(tenant, waiters[0])
    actions.cancel_booking(bookings[0].client, bookings[0])
    walk_in = clients(tenant, 1)[0]
    with pytest.raises(DomainError, match="filled up"):
        actions.book_session(walk_in, session)

    run_worker_once()

    session.refresh_from_db()
    assert session.held_count == 0
    actions.book_session(walk_in, session)
    assert walk_in.pk in _holders(session)


def test_a_waiter_leaving_gives_back_the_place_held_for_them(tenant, clean_job_tables):
    session, bookings, waiters = _full_class_with_waitlist(tenant, capacity=2, waiting=1)
    actions.cancel_booking(bookings[0].client, bookings[0])
    entry = WaitlistEntry.objects.get(client=waiters[0], session=session)

    actions.leave_waitlist(waiters[0], entry)

    session.refresh_from_db()
    assert (session.held_count, session.waiting_count) == (0, 0)
    walk_in = clients(tenant, 1)[0]
    actions.book_session(walk_in, session)
