"""Control for the race tests: with the capacity guard removed, the same harness must see an
overbooking. Otherwise a passing race test would prove nothing (pretix keeps such a control).

Both racers are held at a barrier just before the guarded UPDATE, so each has passed every
check that reads without a lock (the class still looked empty to both): the interleaving
the guard exists for, forced on every run instead of hoped for.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection

from reformer.bookings import actions
from reformer.bookings.actions import _place
from reformer.bookings.actions import booking as booking_actions
from reformer.bookings.integrity import check_integrity
from reformer.bookings.models import Booking
from reformer.scheduling.models import ClassSession
from tests import factories
from tests.bookings import helpers
from tests.concurrency.conftest import race

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

GUARD = (
    "   AND (CASE WHEN %(promotion)s THEN booked_count < capacity\n"
    "             ELSE booked_count + held_count < capacity END)\n"
)
CAPACITY_CHECK = next(
    c for c in ClassSession._meta.constraints if c.name == "session_not_overbooked"
)


def meet_before_taking_a_place(monkeypatch, racers: int) -> None:
    """Every booking waits for the others at the door of the guarded UPDATE (sent alone,
    or with the other writes in one round trip: bookings/actions/_pipelined.py)."""
    door = threading.Barrier(racers, timeout=60)

    for name in ("take_place", "write_together"):
        monkeypatch.setattr(booking_actions, name, _after(door, getattr(booking_actions, name)))


def _after(door: threading.Barrier, step):
    def at_the_door(*args, **kwargs):
        door.wait()
        return step(*args, **kwargs)

    return at_the_door


@contextmanager
def without_the_guard(monkeypatch) -> Iterator[None]:
    """The capacity condition out of the guarded UPDATE, and the check constraint that backs
    it dropped; afterwards the class is given room for what it holds and the constraint is
    put back as the migration made it."""
    assert GUARD in _place._TAKE_SQL, "the guarded UPDATE changed: update this control"
    monkeypatch.setattr(_place, "_TAKE_SQL", _place._TAKE_SQL.replace(GUARD, ""))
    with connection.schema_editor() as editor:
        editor.remove_constraint(ClassSession, CAPACITY_CHECK)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE scheduling_classsession SET capacity = booked_count"
                " WHERE booked_count > capacity"
            )
        with connection.schema_editor() as editor:
            editor.add_constraint(ClassSession, CAPACITY_CHECK)


def two_clients_race_for_one_place(tenant) -> tuple[ClassSession, list]:
    session = factories.make_session(tenant, capacity=1)
    racers = [helpers.make_client(tenant, f"Racer{i}") for i in range(2)]
    for client in racers:
        helpers.give_package(client, credits=10)
    outcomes = race([lambda c=c: actions.book_session(c, session) for c in racers])
    return session, outcomes


def test_with_the_guard_one_of_two_clients_gets_the_last_place(
    tenant, monkeypatch, clean_job_tables
):
    meet_before_taking_a_place(monkeypatch, racers=2)

    session, outcomes = two_clients_race_for_one_place(tenant)

    assert sorted(str(o.code) for o in outcomes) == ["None", "booking.class_full"]
    assert ClassSession.objects.get(pk=session.pk).booked_count == 1
    assert check_integrity().ok


def test_without_the_guard_the_harness_sees_the_overbooking(tenant, monkeypatch, clean_job_tables):
    meet_before_taking_a_place(monkeypatch, racers=2)

    with without_the_guard(monkeypatch):
        session, outcomes = two_clients_race_for_one_place(tenant)
        report = check_integrity()
        with pytest.raises(AssertionError, match="places held but capacity is 1"):
            helpers.assert_consistent()  # what every race test runs afterwards

    assert [o.error for o in outcomes] == [None, None]  # both booked the one place
    assert Booking.objects.filter(session=session, status="confirmed").count() == 2
    assert f"class {session.pk}: 2 places held but capacity is 1" in report.problems
