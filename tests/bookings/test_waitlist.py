from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from reformer.billing.models import ClientPackage, CreditLedger
from reformer.bookings import actions
from reformer.bookings.models import Booking, WaitlistEntry
from reformer.core.errors import DomainError, PermissionDenied
from reformer.notifications.models import Message
from reformer.scheduling.models import ClassSession
from tests import factories
from tests.bookings import helpers
from tests.bookings.helpers import text


def refresh(obj):
    obj.refresh_from_db()
    return obj


def error_of(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


@pytest.fixture
def full_class(tenant):
    """A 2-place class, full."""
    session = factories.make_session(tenant, capacity=2)
    for name in ("Fill One", "Fill Two"):
        client = helpers.make_client(tenant, name)
        helpers.give_package(client)
        actions.book_session(client, session)
    return session


def free_a_place(session) -> None:
    booking = Booking.objects.filter(session=session, status="confirmed").first()
    actions.cancel_booking(booking.client, booking)


@pytest.fixture
def queue(full_class, alice, bob, carol):
    """Alice, Bob and Carol waiting, in that order."""
    return [actions.join_waitlist(c, full_class) for c in (alice, bob, carol)]


def test_it_offers_booking_instead_when_places_are_left(session, alice):
    error = error_of(lambda: actions.join_waitlist(alice, session))
    assert (error.code, error.message) == (
        "waitlist.places_left",
        "There are places left: book instead.",
    )
    assert not WaitlistEntry.objects.exists()


def test_it_joins_a_full_class_without_taking_a_credit(full_class, alice):
    entry = actions.join_waitlist(alice, full_class)
    assert entry.status == WaitlistEntry.Status.WAITING
    assert actions.waitlist_position(entry) == 1
    assert refresh(full_class).waiting_count == 1
    assert refresh(alice.packages.get()).credits_remaining == 5
    message = Message.objects.get(idempotency_key=f"waitlist-joined:{entry.pk}")
    assert "number 1" in text(message)
    helpers.assert_consistent()


def test_it_lets_the_front_desk_add_a_client_to_the_waitlist(tenant, full_class, alice):
    entry = actions.join_waitlist(tenant.front_desk, full_class, client=alice)
    assert entry.client_id == alice.pk


def test_it_refuses_joining_twice(full_class, alice):
    first = actions.join_waitlist(alice, full_class)
    error = error_of(lambda: actions.join_waitlist(alice, full_class))
    assert (error.code, error.data["entry"]) == ("waitlist.already_waiting", first)


def test_it_refuses_a_client_already_booked(tenant, alice):
    session = factories.make_session(tenant, capacity=1)
    actions.book_session(alice, session)
    assert error_of(lambda: actions.join_waitlist(alice, session)).code == "booking.already_booked"


def test_it_refuses_when_the_studio_keeps_no_waitlist(tenant, full_class, alice):
    helpers.set_policy(tenant, waitlist_mode="off")
    assert error_of(lambda: actions.join_waitlist(alice, full_class)).code == "waitlist.off"


def test_it_refuses_after_the_waitlist_cut_off(full_class, alice):
    with time_machine.travel(full_class.starts_at - dt.timedelta(minutes=30)):
        assert error_of(lambda: actions.join_waitlist(alice, full_class)).code == (
            "waitlist.closed"
        )


def test_it_keeps_positions_live(full_class, queue, alice):
    alice_entry, bob_entry, carol_entry = queue
    assert [actions.waitlist_position(e) for e in queue] == [1, 2, 3]
    actions.leave_waitlist(alice, alice_entry)
    assert refresh(alice_entry).status == WaitlistEntry.Status.REMOVED
    assert actions.waitlist_position(alice_entry) == 0
    assert actions.waitlist_position(bob_entry) == 1
    assert actions.waitlist_position(carol_entry) == 2
    assert refresh(full_class).waiting_count == 2
    helpers.assert_consistent()


def test_it_gives_many_positions_in_one_query(tenant, full_class, queue, django_assert_num_queries):
    other = factories.make_session(tenant, capacity=1)
    filler = helpers.make_client(tenant, "Filler")
    helpers.give_package(filler)
    actions.book_session(filler, other)
    dave = helpers.make_client(tenant, "Dave")
    dave_entry = actions.join_waitlist(dave, other)
    with django_assert_num_queries(1):
        positions = actions.waitlist_positions([*queue, dave_entry])
    assert positions == {queue[0].pk: 1, queue[1].pk: 2, queue[2].pk: 3, dave_entry.pk: 1}


def test_it_refuses_leaving_someone_elses_place(bob, queue):
    with pytest.raises(PermissionDenied):
        actions.leave_waitlist(bob, queue[0])


def test_it_promotes_the_first_in_line_when_a_place_frees_up(full_class, queue, alice):
    """PHX-16: Alice is promoted; Bob moves to 1, Carol to 2."""
    alice_entry, bob_entry, carol_entry = queue
    free_a_place(full_class)
    promoted = actions.promote_waitlist(full_class.pk)

    assert [b.client_id for b in promoted] == [alice.pk]
    booking = promoted[0]
    assert (booking.status, booking.source) == ("confirmed", "waitlist")
    alice_entry.refresh_from_db()
    assert (alice_entry.status, alice_entry.booking_id) == ("promoted", booking.pk)
    assert refresh(alice.packages.get()).credits_remaining == 4
    assert CreditLedger.objects.get(booking=booking).reason == "waitlist_promotion"
    message = Message.objects.get(idempotency_key=f"booking-confirmed:{booking.pk}")
    assert message.kind == "waitlist_promoted"
    assert "a place opened up and you're now booked" in text(message)
    assert actions.waitlist_position(bob_entry) == 1
    assert actions.waitlist_position(carol_entry) == 2
    full_class.refresh_from_db()
    assert (full_class.booked_count, full_class.waiting_count) == (2, 2)
    helpers.assert_consistent()


def test_it_promotes_in_order_when_several_places_free_up(full_class, queue, alice, bob):
    free_a_place(full_class)
    free_a_place(full_class)
    promoted = actions.promote_waitlist(full_class.pk)
    assert [b.client_id for b in promoted] == [alice.pk, bob.pk]
    assert refresh(queue[2]).status == WaitlistEntry.Status.WAITING
    assert actions.waitlist_position(queue[2]) == 1
    helpers.assert_consistent()


def test_it_passes_over_a_client_without_credits_and_tells_them_once(full_class, queue, alice, bob):
    """PHX-16: Alice has no credits: Bob is promoted, Alice stays first in line."""
    ClientPackage.objects.filter(client=alice).update(credits_remaining=0, credits_total=5)
    CreditLedger.objects.bulk_create(
        CreditLedger(
            organization=alice.organization,
            client_package=alice.packages.get(),
            delta=-1,
            reason="staff_adjustment",
        )
        for _ in range(5)
    )
    free_a_place(full_class)
    promoted = actions.promote_waitlist(full_class.pk)
    assert [b.client_id for b in promoted] == [bob.pk]
    alice_entry = refresh(queue[0])
    assert alice_entry.status == WaitlistEntry.Status.WAITING
    assert alice_entry.skip_reason.startswith("Insufficient credits")
    assert actions.waitlist_position(alice_entry) == 1
    notices = Message.objects.filter(recipient=alice.user, kind="waitlist_skipped")
    assert notices.count() == 1
    assert "Insufficient credits" in text(notices.get())

    free_a_place(full_class)  # the next place: Alice is passed over again, not told again
    assert [b.client_id for b in actions.promote_waitlist(full_class.pk)] == [queue[2].client_id]
    assert notices.count() == 1
    helpers.assert_consistent()


def test_it_removes_a_client_whose_packages_all_expired(full_class, queue, alice, bob):
    ClientPackage.objects.filter(client=alice).update(
        starts_at=timezone.now() - dt.timedelta(days=60),
        expires_at=timezone.now() - dt.timedelta(minutes=1),
    )
    free_a_place(full_class)
    promoted = actions.promote_waitlist(full_class.pk)
    assert [b.client_id for b in promoted] == [bob.pk]
    assert refresh(queue[0]).status == WaitlistEntry.Status.EXPIRED
    assert Message.objects.filter(recipient=alice.user, kind="waitlist_expired").count() == 1
    assert refresh(full_class).waiting_count == 1
    helpers.assert_consistent()


def test_it_passes_over_a_client_with_an_overlapping_class(tenant, full_class, queue, alice, bob):
    other_room = helpers.factories.RoomFactory(studio=tenant.studio, name="Side Room")
    clash = factories.make_session(
        tenant,
        room=other_room,
        instructor=None,
        starts_at=full_class.starts_at,
        class_type=helpers.factories.ClassTypeFactory(organization=tenant.organization),
    )
    actions.book_session(alice, clash)
    free_a_place(full_class)
    assert [b.client_id for b in actions.promote_waitlist(full_class.pk)] == [bob.pk]
    assert refresh(queue[0]).skip_reason.startswith("You already have a class at that time")


def release_holds(session) -> None:
    ClassSession.objects.filter(pk=session.pk).update(held_count=0)


def test_it_drops_an_entry_of_a_client_who_booked_directly(tenant, full_class, queue, alice):
    free_a_place(full_class)
    release_holds(full_class)  # as a run that found nobody able to take it would
    direct = actions.book_session(alice, full_class)
    free_a_place(full_class)
    promoted = actions.promote_waitlist(full_class.pk)
    assert direct.pk not in [b.pk for b in promoted]
    assert refresh(queue[0]).status == WaitlistEntry.Status.REMOVED
    assert [b.client_id for b in promoted] == [queue[1].client_id]
    helpers.assert_consistent()


def test_it_stops_at_the_waitlist_cut_off(full_class, queue):
    free_a_place(full_class)
    with time_machine.travel(full_class.starts_at - dt.timedelta(minutes=59)):
        assert actions.promote_waitlist(full_class.pk) == []
    assert refresh(queue[0]).status == WaitlistEntry.Status.WAITING
    assert refresh(full_class).booked_count == 1


def test_it_promotes_nobody_when_the_studio_turned_the_waitlist_off(tenant, full_class, queue):
    free_a_place(full_class)
    helpers.set_policy(tenant, waitlist_mode="off")
    assert actions.promote_waitlist(full_class.pk) == []


def test_it_does_nothing_when_the_class_is_full_again(tenant, full_class, queue):
    free_a_place(full_class)
    walk_in = helpers.make_client(tenant, "Walk In")
    helpers.give_package(walk_in)
    with pytest.raises(DomainError, match="filled up"):  # the freed place is the waitlist's
        actions.book_session(walk_in, full_class)
    release_holds(full_class)
    actions.book_session(walk_in, full_class)
    assert actions.promote_waitlist(full_class.pk) == []
    assert refresh(queue[0]).status == WaitlistEntry.Status.WAITING


def test_the_job_calls_the_action(full_class, queue, alice):
    from types import SimpleNamespace

    from reformer.bookings import jobs

    free_a_place(full_class)
    context = SimpleNamespace(job=SimpleNamespace(attempts=0))
    jobs.promote_waitlist.func(context, session_id=full_class.pk)
    assert refresh(queue[0]).status == WaitlistEntry.Status.PROMOTED


def test_raising_capacity_queues_a_promotion(tenant, full_class, queue, alice):
    from django.db import connection

    from reformer.scheduling.actions import update_session

    tenant.room.capacity = 10
    tenant.room.save()
    update_session(tenant.owner, full_class, capacity=3)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE queueing_lock = %s AND status = 'todo'",
            [f"promote-{full_class.pk}"],
        )
        assert cursor.fetchone()[0] == 1
    assert [b.client for b in actions.promote_waitlist(full_class.pk)] == [alice]
