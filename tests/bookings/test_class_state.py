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


def test_a_booking_sends_the_state_its_commit_leaves_without_a_query_after_commit(
    world, monkeypatch, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """The booking reads the class's state with its insert (under the class lock): after
    commit, the live event goes out with no query, and its state is the one a fresh read
    gives (the new holder included, the version of its own update)."""
    from reformer.core import live

    package_for(world.a.client)
    session = session_at(world.a, day=1, capacity=3, instructor=world.a.instructor)
    fill(session, world.a, count=1)
    second = factories.MembershipFactory(organization=world.a.organization, role="client")
    sent: list[dict] = []
    monkeypatch.setattr(live, "send_now", lambda groups, message: sent.append(message["event"]))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        book(world.a.client, session)
    with django_assert_num_queries(0):
        for callback in callbacks:
            callback()
    (event,) = [e for e in sent if e["type"] == "session"]
    (fresh,) = class_states([session.pk])
    assert event["states"] == [fresh]
    assert len(fresh["holders"]) == 2 and world.a.client.pk in fresh["holders"]
    assert fresh["holders"] == sorted(fresh["holders"]) and second.pk not in fresh["holders"]


def test_a_promotion_reads_the_state_after_commit_as_its_waitlist_changes_too(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    """A promotion also takes its entry off the waitlist after the insert: its event's
    state is read after commit, so it shows the waitlist as committed."""
    from reformer.bookings.actions import cancel_booking, promote_waitlist
    from reformer.core import live

    package_for(world.a.client)
    session = session_at(world.a, day=1, capacity=1)
    fill(session, world.a)
    wait_for(world.a.client, session)
    holder = session.bookings.get()
    cancel_booking(holder.client, holder)
    sent: list[dict] = []
    monkeypatch.setattr(live, "send_now", lambda groups, message: sent.append(message["event"]))
    with django_capture_on_commit_callbacks(execute=True):
        (promoted,) = promote_waitlist(session.pk)
    assert promoted.client_id == world.a.client.pk
    (fresh,) = class_states([session.pk])
    assert fresh["waiting"] == [] and fresh["holders"] == [world.a.client.pk]
    assert [e["states"] for e in sent if e["type"] == "session"][-1] == [fresh]
