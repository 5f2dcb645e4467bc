"""What each member's key sees in the lists, and lists costing a fixed number of queries."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reformer.bookings import actions
from tests.bookings.helpers import give_package, make_client
from tests.factories import make_session


def days(n: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=n)


def test_a_client_key_lists_only_its_own_bookings_and_packages(world, api_as):
    other = make_client(world.a, "Other")
    for person in (world.a.client, other):
        give_package(person)
    session = make_session(world.a, starts_at=days(2))
    mine = actions.book_session(world.a.client, session)
    actions.book_session(other, session)

    client = api_as("a", "client")
    assert [b["id"] for b in client.get("/bookings").json()["data"]] == [mine.pk]
    packages = client.get("/packages").json()["data"]
    assert {p["client_id"] for p in packages} == {world.a.client.pk}
    desk = api_as("a", "front_desk")
    assert len(desk.get("/bookings", {"class": session.pk}).json()["data"]) == 2
    instructor = api_as("a", "instructor")
    assert len(instructor.get("/bookings").json()["data"]) == 2  # they teach the class
    annex_room = world.a.other_studio.rooms.create(
        organization=world.a.organization, name="Annex", capacity=5
    )
    elsewhere = make_session(world.a, starts_at=days(3), room=annex_room, instructor=None)
    actions.book_session(other, elsewhere)
    # The front desk reaches only its studio; the owner every studio.
    assert len(desk.get("/bookings").json()["data"]) == 2
    assert len(api_as("a", "owner").get("/bookings").json()["data"]) == 3


def test_lists_cost_the_same_number_of_queries_for_3_or_30_rows(world, api_as):
    owner = api_as("a", "owner")

    def cost(path: str) -> int:
        owner.get(path)  # warm: key's last-used write, rate window row
        with CaptureQueriesContext(connection) as queries:
            assert owner.get(path).status_code == 200
        return len(queries)

    people = [make_client(world.a, f"P{i}") for i in range(30)]
    for person in people:
        give_package(person, credits=30)
    sessions = [make_session(world.a, starts_at=days(1 + i * 0.2), capacity=40) for i in range(3)]
    for person in people[:3]:
        actions.book_session(person, sessions[0])
    small = {p: cost(p) for p in ("/classes", "/bookings", "/clients", "/packages", "/waitlist")}
    for i in range(27):
        make_session(world.a, starts_at=days(2 + i * 0.2))
    for person in people[3:]:
        actions.book_session(person, sessions[1])
    large = {p: cost(p) for p in small}
    assert large == small
