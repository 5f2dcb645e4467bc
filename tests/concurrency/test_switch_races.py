"""Switching classes on real threads: the two class locks are taken in id order (no
deadlock between opposite switches), and a switch that loses the last place changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from reformer.bookings import actions
from reformer.bookings.models import Booking
from tests import factories
from tests.bookings import helpers
from tests.concurrency.conftest import race

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def _pair(tenant, capacity: int):
    first = factories.make_session(tenant, capacity=capacity)
    second = factories.make_session(
        tenant,
        starts_at=first.starts_at + dt.timedelta(minutes=15),
        room=factories.RoomFactory(studio=tenant.studio),
        instructor=None,
        capacity=capacity,
    )
    return first, second


def _client(tenant, name: str):
    client = helpers.make_client(tenant, name)
    helpers.give_package(client, credits=5)
    return client


def test_opposite_switches_at_once_both_go_through(tenant, clean_job_tables):
    # Three booked in each class and three arriving: 6 places hold every ordering (with 5,
    # the three of one direction finishing first would rightly find the class full).
    first, second = _pair(tenant, capacity=6)
    pairs = []
    for i in range(6):  # three clients each way, all released together
        client = _client(tenant, f"Switcher{i}")
        source, target = (first, second) if i % 2 else (second, first)
        pairs.append((client, actions.book_session(client, source), target))

    outcomes = race([lambda p=p: actions.switch_booking(p[0], p[1], p[2]) for p in pairs])

    assert [o.error for o in outcomes] == [None] * 6
    for client, old, target in pairs:
        old.refresh_from_db()
        assert old.status == Booking.Status.CANCELLED
        assert Booking.objects.get(client=client, status="confirmed").session_id == target.pk


def test_a_switch_that_loses_the_last_place_keeps_the_old_booking(tenant, clean_job_tables):
    first, second = _pair(tenant, capacity=1)
    switcher = _client(tenant, "Switcher")
    old = actions.book_session(switcher, first)
    rivals = [_client(tenant, f"Rival{i}") for i in range(8)]

    outcomes = race(
        [lambda: actions.switch_booking(switcher, old, second)]
        + [lambda r=r: actions.book_session(r, second) for r in rivals]
    )

    assert sum(o.error is None for o in outcomes) == 1
    assert {o.code for o in outcomes if o.error} == {"booking.class_full"}
    old.refresh_from_db()
    switched = outcomes[0].error is None
    assert old.status == (Booking.Status.CANCELLED if switched else Booking.Status.CONFIRMED)
    assert Booking.objects.filter(client=switcher, status="confirmed").count() == 1
