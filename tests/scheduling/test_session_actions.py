from __future__ import annotations

import datetime as dt

import pytest

from reformer.core.errors import DomainError, NotFound, PermissionDenied
from reformer.core.models import AuditEvent
from reformer.scheduling.actions import (
    assign_instructor,
    create_session,
    set_session_notes,
    update_session,
)
from reformer.scheduling.models import ClassSession, InstructorUnavailability
from reformer.studios.models import Closure
from tests import factories
from tests.factories import make_session
from tests.scheduling.helpers import NEXT_MONDAY, audit_codes, local

MONDAY_7 = local(NEXT_MONDAY, 7)


def new_session(tenant, actor=None, **fields):
    data = {
        "studio": tenant.studio,
        "room": tenant.room,
        "class_type": tenant.class_type,
        "starts_at": MONDAY_7,
    } | fields
    return create_session(actor or tenant.manager, **data)


# ----------------------------------------------------------------------------------- create


def test_it_creates_a_session(world, frozen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        session = new_session(world.a, instructor=world.a.instructor)

    assert session.organization == world.a.organization
    assert session.starts_at == dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
    assert session.ends_at - session.starts_at == dt.timedelta(minutes=50)
    assert (session.capacity, session.instructor, session.status) == (
        10,
        world.a.instructor,
        "scheduled",
    )
    assert audit_codes() == ["scheduling.session.created"]
    assert len(callbacks) == 1  # the live event to the studio's schedule


def test_it_takes_capacity_and_length_from_the_arguments(world, frozen):
    session = new_session(world.a, capacity=4, duration_minutes=90)

    assert session.capacity == 4
    assert session.ends_at - session.starts_at == dt.timedelta(minutes=90)


def test_it_caps_the_default_capacity_at_the_room(world, frozen):
    world.a.class_type.default_capacity = 20
    world.a.class_type.save()

    assert new_session(world.a).capacity == 10


def test_it_lets_an_owner_teach_anywhere(world, frozen):
    session = new_session(world.a, instructor=world.a.owner)

    assert session.instructor == world.a.owner


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"capacity": 11}, "Reformer Room holds 10; the class can't take more than that"),
        ({"capacity": 0}, "Capacity must be between 1"),
        ({"duration_minutes": 2}, "Length \\(minutes\\) must be between 5 and 600"),
        ({"starts_at": dt.datetime(2026, 3, 2, 7, 0)}, "with its time zone"),
        ({"starts_at": local(dt.date(2026, 2, 24), 7)}, "That time has passed"),
    ],
)
def test_it_validates_a_session(world, frozen, fields, message):
    with pytest.raises(DomainError, match=message):
        new_session(world.a, **fields)
    assert not ClassSession.objects.exists()
    assert not AuditEvent.objects.exists()


def test_it_refuses_a_room_of_another_studio(world, frozen):
    room = factories.RoomFactory(studio=world.a.other_studio, name="Annex Room")

    with pytest.raises(DomainError, match="Annex Room is not at alpha Main"):
        new_session(world.a, actor=world.a.owner, room=room)


def test_it_refuses_an_archived_class_type(world, frozen):
    world.a.class_type.active = False
    world.a.class_type.save()

    with pytest.raises(DomainError, match="Reformer Flow is archived"):
        new_session(world.a)


def test_it_refuses_an_inactive_studio(world, frozen):
    world.a.studio.active = False
    world.a.studio.save()

    with pytest.raises(DomainError, match="alpha Main is not active"):
        new_session(world.a, actor=world.a.owner)


def test_it_refuses_a_closure_day(world, frozen):
    Closure.objects.create(
        organization=world.a.organization, studio=world.a.studio, date=NEXT_MONDAY, reason="Works"
    )

    with pytest.raises(DomainError, match="alpha Main is closed on Mon 2 Mar 2026 \\(Works\\)"):
        new_session(world.a)


def test_it_uses_the_studio_local_day_for_closures(world, frozen):
    Closure.objects.create(
        organization=world.a.organization, studio=world.a.studio, date=NEXT_MONDAY
    )

    # 21:00 on Sunday in New York is already Monday in UTC: not on the closure day.
    session = new_session(world.a, starts_at=local(NEXT_MONDAY - dt.timedelta(days=1), 21))

    assert session.starts_at.date() == NEXT_MONDAY


def test_it_refuses_an_instructor_who_is_away(world, frozen):
    InstructorUnavailability.objects.create(
        organization=world.a.organization,
        instructor=world.a.instructor,
        starts_on=NEXT_MONDAY,
        ends_on=NEXT_MONDAY + dt.timedelta(days=4),
        reason="Holiday",
    )

    with pytest.raises(DomainError, match="alpha instructor is away Mon 2 Mar 2026 to Fri 6 Mar"):
        new_session(world.a, instructor=world.a.instructor)


def test_it_refuses_an_instructor_from_another_studio(world, frozen):
    with pytest.raises(DomainError, match="alpha instructor does not teach at alpha Annex"):
        new_session(
            world.a,
            actor=world.a.owner,
            studio=world.a.other_studio,
            room=factories.RoomFactory(studio=world.a.other_studio),
            instructor=world.a.instructor,
        )


@pytest.mark.parametrize("role", ["client"])
def test_it_refuses_a_client_as_instructor(world, frozen, role):
    with pytest.raises(DomainError, match="not an active member of staff"):
        new_session(world.a, instructor=world.a.members[role])


def test_it_refuses_a_deactivated_instructor(world, frozen):
    world.a.instructor.active = False
    world.a.instructor.save()

    with pytest.raises(DomainError, match="not an active member of staff"):
        new_session(world.a, instructor=world.a.instructor)


def test_it_refuses_objects_of_another_organization(world, frozen):
    with pytest.raises(NotFound):
        new_session(world.a, room=world.b.room)
    with pytest.raises(NotFound):
        new_session(world.a, class_type=world.b.class_type)
    with pytest.raises(NotFound):
        new_session(world.a, instructor=world.b.instructor)


# ------------------------------------------------------------------------ database refusals


def test_it_explains_a_room_double_booking(world, frozen):
    mat = factories.ClassTypeFactory(organization=world.a.organization, name="Mat")
    new_session(world.a)

    with pytest.raises(DomainError) as error:
        new_session(world.a, class_type=mat, starts_at=local(NEXT_MONDAY, 7, 30))

    assert error.value.code == "session.room_taken"
    assert (
        error.value.message
        == "Reformer Room is already booked 07:00\N{EN DASH}07:50 by Reformer Flow."
    )
    assert ClassSession.objects.count() == 1
    assert audit_codes() == ["scheduling.session.created"]


def test_it_explains_an_instructor_double_booking(world, frozen):
    new_session(world.a, instructor=world.a.instructor)
    room = factories.RoomFactory(studio=world.a.studio, name="Tower Room")
    mat = factories.ClassTypeFactory(organization=world.a.organization, name="Mat")

    with pytest.raises(DomainError) as error:
        new_session(
            world.a,
            room=room,
            class_type=mat,
            instructor=world.a.instructor,
            starts_at=local(NEXT_MONDAY, 7, 45),
        )

    assert error.value.code == "session.instructor_busy"
    assert error.value.message == (
        "alpha instructor is already teaching Reformer Flow 07:00\N{EN DASH}07:50 at alpha Main."
    )


def test_it_explains_a_taken_slot(world, frozen):
    make_session(world.a, starts_at=MONDAY_7, status="cancelled", instructor=None)

    with pytest.raises(DomainError) as error:
        new_session(world.a)

    assert error.value.code == "session.slot_taken"
    assert "Reformer Flow already starts at 07:00 on Mon 2 Mar 2026 at alpha Main" in str(
        error.value
    )
    assert "cancelled" in str(error.value)


def test_it_lets_a_cancelled_session_free_its_room_and_instructor(world, frozen):
    mat = factories.ClassTypeFactory(organization=world.a.organization, name="Mat")
    make_session(world.a, starts_at=MONDAY_7, status="cancelled", instructor=world.a.instructor)

    session = new_session(world.a, class_type=mat, instructor=world.a.instructor)

    assert session.room == world.a.room


# ----------------------------------------------------------------------------------- update


@pytest.fixture
def session(world, frozen):
    return new_session(world.a, instructor=world.a.instructor)


def test_it_moves_a_session(world, session):
    room = factories.RoomFactory(studio=world.a.studio, name="Tower Room", capacity=12)

    moved = update_session(
        world.a.manager,
        session,
        starts_at=local(NEXT_MONDAY, 8),
        room=room,
        duration_minutes=55,
        capacity=12,
    )

    moved.refresh_from_db()
    assert moved.starts_at == local(NEXT_MONDAY, 8)
    assert moved.ends_at == local(NEXT_MONDAY, 8, 55)
    assert (moved.room, moved.capacity, moved.instructor) == (room, 12, world.a.instructor)
    event = AuditEvent.objects.get(code="scheduling.session.updated")
    assert set(event.data["changes"]) == {"starts_at", "ends_at", "room", "capacity"}


def test_it_changes_nothing_when_nothing_differs(world, session):
    update_session(world.a.manager, session, starts_at=session.starts_at, capacity=10)

    assert audit_codes() == ["scheduling.session.created"]


def test_it_does_not_move_a_session_with_clients(world, session):
    ClassSession.objects.filter(pk=session.pk).update(booked_count=2, waiting_count=1)

    with pytest.raises(DomainError, match="3 clients are booked or waiting") as error:
        update_session(world.a.manager, session, starts_at=local(NEXT_MONDAY, 9))

    assert error.value.code == "session.has_bookings"
    assert ClassSession.objects.get(pk=session.pk).starts_at == MONDAY_7


def test_it_resizes_a_session_with_clients_but_not_below_them(world, session):
    ClassSession.objects.filter(pk=session.pk).update(booked_count=6)

    with pytest.raises(DomainError, match="6 clients are booked; capacity can't go below 6"):
        update_session(world.a.manager, session, capacity=5)
    with pytest.raises(DomainError, match="Reformer Room holds 10"):
        update_session(world.a.manager, session, capacity=11)

    assert update_session(world.a.manager, session, capacity=6).capacity == 6


def test_it_refuses_a_smaller_room_without_a_smaller_capacity(world, session):
    room = factories.RoomFactory(studio=world.a.studio, name="Small Room", capacity=4)

    with pytest.raises(DomainError, match="Small Room holds 4; lower the capacity as well"):
        update_session(world.a.manager, session, room=room)

    assert update_session(world.a.manager, session, room=room, capacity=4).room == room


def test_it_does_not_move_a_started_session(world, session, time_machine):
    time_machine.move_to(MONDAY_7 + dt.timedelta(minutes=1), tick=False)

    with pytest.raises(DomainError, match="already started"):
        update_session(world.a.manager, session, starts_at=local(NEXT_MONDAY, 9))


def test_it_does_not_change_a_cancelled_session(world, session):
    ClassSession.objects.filter(pk=session.pk).update(status="cancelled")

    with pytest.raises(DomainError, match="was cancelled"):
        update_session(world.a.manager, session, capacity=5)


def test_it_refuses_moving_onto_a_closure_or_an_absence(world, session):
    tuesday = NEXT_MONDAY + dt.timedelta(days=1)
    Closure.objects.create(organization=world.a.organization, studio=world.a.studio, date=tuesday)
    InstructorUnavailability.objects.create(
        organization=world.a.organization,
        instructor=world.a.instructor,
        starts_on=tuesday + dt.timedelta(days=1),
        ends_on=tuesday + dt.timedelta(days=1),
    )

    with pytest.raises(DomainError, match="closed on Tue 3 Mar 2026"):
        update_session(world.a.manager, session, starts_at=local(tuesday, 7))
    with pytest.raises(DomainError, match="is away Wed 4 Mar 2026"):
        update_session(world.a.manager, session, starts_at=local(tuesday + dt.timedelta(days=1), 7))


def test_it_explains_a_move_into_a_taken_room(world, session):
    mat = factories.ClassTypeFactory(organization=world.a.organization, name="Mat")
    make_session(
        world.a, starts_at=local(NEXT_MONDAY, 9), class_type=mat, minutes=60, instructor=None
    )

    with pytest.raises(
        DomainError, match="Reformer Room is already booked 09:00\N{EN DASH}10:00 by Mat"
    ):
        update_session(world.a.manager, session, starts_at=local(NEXT_MONDAY, 9, 30))
    assert ClassSession.objects.get(pk=session.pk).starts_at == MONDAY_7


def test_it_refuses_a_room_of_another_studio_when_moving(world, session):
    room = factories.RoomFactory(studio=world.a.other_studio, name="Annex Room")

    with pytest.raises(DomainError, match="Annex Room is not at alpha Main"):
        update_session(world.a.owner, session, room=room)


# ------------------------------------------------------------------------------ instructors


def test_it_assigns_and_removes_an_instructor(world, session):
    assign_instructor(world.a.manager, session, instructor=None)
    assert ClassSession.objects.get(pk=session.pk).instructor is None

    assign_instructor(world.a.manager, session, instructor=world.a.manager)
    assert ClassSession.objects.get(pk=session.pk).instructor == world.a.manager


def test_it_refuses_an_instructor_who_is_busy(world, session):
    room = factories.RoomFactory(studio=world.a.studio, name="Tower Room")
    mat = factories.ClassTypeFactory(organization=world.a.organization, name="Mat")
    other = new_session(world.a, room=room, class_type=mat, instructor=world.a.manager)

    with pytest.raises(DomainError, match="alpha instructor is already teaching Reformer Flow"):
        assign_instructor(world.a.manager, other, instructor=world.a.instructor)
    assert ClassSession.objects.get(pk=other.pk).instructor == world.a.manager


def test_it_refuses_an_instructor_of_another_organization(world, session):
    with pytest.raises(NotFound):
        assign_instructor(world.a.manager, session, instructor=world.b.instructor)


def test_it_lets_staff_assign_within_their_studios_only(world, frozen):
    room = factories.RoomFactory(studio=world.a.other_studio)
    session = new_session(world.a, actor=world.a.owner, studio=world.a.other_studio, room=room)

    with pytest.raises(PermissionDenied):
        assign_instructor(world.a.manager, session, instructor=world.a.owner)


# ------------------------------------------------------------------------------------ notes


@pytest.mark.parametrize("role", ["instructor", "manager", "owner"])
def test_it_sets_private_notes(world, session, role):
    set_session_notes(world.a.members[role], session, notes="  Bring the spring kit.  ")

    assert ClassSession.objects.get(pk=session.pk).private_notes == "Bring the spring kit."
    event = AuditEvent.objects.get(code="scheduling.session.notes_set")
    assert event.data == {"length": 21}


def test_it_keeps_notes_to_the_session_instructor(world, session):
    set_session_notes(world.a.manager, session, notes="Hello")
    assign_instructor(world.a.manager, session, instructor=world.a.owner)

    for actor in (world.a.instructor, world.a.front_desk, world.a.client):
        with pytest.raises(PermissionDenied):
            set_session_notes(actor, session, notes="Mine now")
    with pytest.raises(NotFound):
        set_session_notes(world.b.owner, session, notes="Mine now")
    assert ClassSession.objects.get(pk=session.pk).private_notes == "Hello"


def test_it_limits_the_length_of_notes(world, session):
    with pytest.raises(DomainError, match="Notes is too long"):
        set_session_notes(world.a.manager, session, notes="x" * 5001)
