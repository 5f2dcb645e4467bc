"""The public state a "session" live event carries (bookings/class_state.py)."""

from __future__ import annotations

from reformer.bookings.class_state import class_states
from tests import factories
from tests.web_client.helpers import book, fill, package_for, session_at, wait_for


def test_it_reads_counts_holders_and_the_waiting_order_in_one_query(
    world, django_assert_num_queries
):
    package_for(world.a.client)
    session = session_at(world.a, day=1, capacity=1, instructor=world.a.instructor)
    fill(session, world.a)
    second = factories.MembershipFactory(organization=world.a.organization, role="client")
    package_for(second)
    wait_for(world.a.client, session)
    wait_for(second, session)
    with django_assert_num_queries(1):
        (state,) = class_states([session.pk, 987654])  # a missing class is simply absent
    assert state["booked_count"] == 1 and state["capacity"] == 1 and state["waiting_count"] == 2
    assert len(state["holders"]) == 1
    assert state["waiting"] == [world.a.client.pk, second.pk]  # first come, first served
    assert state["instructor_name"] == world.a.instructor.user.display_name
    assert state["studio_id"] == world.a.studio.pk
    assert state["organization_id"] == world.a.organization.pk


def test_every_change_of_a_class_raises_its_version(world):
    package_for(world.a.client)
    session = session_at(world.a, day=1)
    (before,) = class_states([session.pk])
    book(world.a.client, session)  # the guarded raw UPDATE of the counter
    (after,) = class_states([session.pk])
    session.refresh_from_db()
    session.private_notes = "bring socks"
    session.save()  # an ORM save
    (edited,) = class_states([session.pk])
    assert before["version"] < after["version"] < edited["version"]
    assert after["holders"] == [world.a.client.pk]
