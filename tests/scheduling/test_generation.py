from __future__ import annotations

import datetime as dt

import pytest

from reformer.core.models import AdminAlert, AuditEvent
from reformer.scheduling.actions import generate_sessions
from reformer.scheduling.models import (
    ClassSession,
    InstructorUnavailability,
    RecurringTemplate,
    RotationSlot,
)
from reformer.studios.actions import remove_closure
from reformer.studios.models import Closure
from tests import factories
from tests.factories import make_session
from tests.scheduling.helpers import NEXT_MONDAY, local

WEEK = dt.timedelta(weeks=1)
MONDAYS = [NEXT_MONDAY + WEEK * n for n in range(4)]  # 2, 9, 16, 23 March 2026


def make_template(tenant, *, instructors=(), **fields):
    data = {
        "organization": tenant.organization,
        "studio": tenant.studio,
        "room": tenant.room,
        "class_type": tenant.class_type,
        "weekday": 0,
        "local_start_time": dt.time(7, 0),
        "capacity": 8,
        "start_date": NEXT_MONDAY,
    } | fields
    template = RecurringTemplate.objects.create(**data)
    for position, instructor in enumerate(instructors):
        RotationSlot.objects.create(template=template, instructor=instructor, position=position)
    return template


def sessions_of(template):
    return list(ClassSession.objects.filter(template=template).order_by("starts_at"))


def teachers(template):
    return [session.instructor for session in sessions_of(template)]


@pytest.fixture
def second_instructor(world):
    return factories.MembershipFactory(
        organization=world.a.organization, role="instructor", studios=[world.a.studio]
    )


def test_it_generates_weekly_sessions_at_local_time(world, frozen):
    template = make_template(world.a)

    created = generate_sessions(until=MONDAYS[-1])

    assert created == 4
    sessions = sessions_of(template)
    # New York leaves EST for EDT on 8 March: 07:00 local is 12:00 UTC, then 11:00 UTC.
    assert [session.starts_at for session in sessions] == [local(day, 7) for day in MONDAYS]
    assert [session.starts_at.hour for session in sessions] == [12, 11, 11, 11]
    session = sessions[0]
    assert (session.organization, session.studio, session.room, session.class_type) == (
        world.a.organization,
        world.a.studio,
        world.a.room,
        world.a.class_type,
    )
    assert (session.capacity, session.status, session.instructor) == (8, "scheduled", None)
    assert session.ends_at - session.starts_at == dt.timedelta(minutes=50)
    event = AuditEvent.objects.get()
    assert (event.code, event.actor, event.data["sessions"]) == (
        "scheduling.template.generated",
        None,
        [session.pk for session in sessions],
    )


def test_it_is_idempotent(world, frozen, second_instructor):
    template = make_template(world.a, instructors=[world.a.instructor, second_instructor])
    generate_sessions(until=MONDAYS[1])
    first = [(s.pk, s.starts_at, s.instructor_id) for s in sessions_of(template)]

    assert generate_sessions(until=MONDAYS[1]) == 0
    assert generate_sessions(until=MONDAYS[3]) == 2

    after = [(s.pk, s.starts_at, s.instructor_id) for s in sessions_of(template)]
    assert after[:2] == first
    assert teachers(template) == [world.a.instructor, second_instructor] * 2
    assert AuditEvent.objects.count() == 2


def test_it_does_not_regenerate_a_cancelled_or_moved_occurrence(world, frozen):
    template = make_template(world.a)
    generate_sessions(until=MONDAYS[1])
    first, second = sessions_of(template)
    ClassSession.objects.filter(pk=first.pk).update(status="cancelled")
    ClassSession.objects.filter(pk=second.pk).update(
        starts_at=local(MONDAYS[1], 9), ends_at=local(MONDAYS[1], 9, 50)
    )

    assert generate_sessions(until=MONDAYS[1]) == 0


def test_it_skips_a_slot_taken_by_a_one_off_session(world, frozen):
    template = make_template(world.a)
    one_off = make_session(world.a, starts_at=local(MONDAYS[0], 7), instructor=None)

    assert generate_sessions(until=MONDAYS[1]) == 1
    assert [s.starts_at for s in sessions_of(template)] == [local(MONDAYS[1], 7)]
    assert ClassSession.objects.get(pk=one_off.pk).template is None


def test_it_skips_closures(world, frozen):
    template = make_template(world.a)
    Closure.objects.create(
        organization=world.a.organization, studio=world.a.studio, date=MONDAYS[1]
    )

    generate_sessions(until=MONDAYS[2])

    assert [s.starts_at for s in sessions_of(template)] == [
        local(MONDAYS[0], 7),
        local(MONDAYS[2], 7),
    ]


def test_it_fills_a_day_whose_closure_is_removed(world, frozen):
    template = make_template(world.a)
    closure = Closure.objects.create(
        organization=world.a.organization, studio=world.a.studio, date=MONDAYS[1]
    )
    generate_sessions(until=MONDAYS[2])

    remove_closure(world.a.owner, closure)

    assert len(sessions_of(template)) == 3


def test_it_rotates_instructors_and_advances_only_for_created_sessions(
    world, frozen, second_instructor
):
    template = make_template(world.a, instructors=[world.a.instructor, second_instructor])
    Closure.objects.create(
        organization=world.a.organization, studio=world.a.studio, date=MONDAYS[1]
    )

    generate_sessions(until=MONDAYS[3])

    assert teachers(template) == [world.a.instructor, second_instructor, world.a.instructor]
    template.refresh_from_db()
    assert template.next_rotation_index == 1


def test_it_leaves_an_away_instructor_off_and_passes_the_turn(world, frozen, second_instructor):
    template = make_template(world.a, instructors=[world.a.instructor, second_instructor])
    InstructorUnavailability.objects.create(
        organization=world.a.organization,
        instructor=world.a.instructor,
        starts_on=MONDAYS[2],
        ends_on=MONDAYS[2],
    )

    generate_sessions(until=MONDAYS[3])

    assert teachers(template) == [world.a.instructor, second_instructor, None, second_instructor]


def test_it_leaves_a_double_booked_instructor_off(world, frozen):
    template = make_template(world.a, instructors=[world.a.instructor])
    room = factories.RoomFactory(studio=world.a.studio, name="Tower")
    mat = factories.ClassTypeFactory(organization=world.a.organization, name="Mat")
    make_session(
        world.a,
        starts_at=local(MONDAYS[1], 7, 30),
        room=room,
        class_type=mat,
        instructor=world.a.instructor,
    )

    generate_sessions(until=MONDAYS[2])

    assert teachers(template) == [world.a.instructor, None, world.a.instructor]


def test_it_leaves_off_an_instructor_who_left_the_studio(world, frozen):
    template = make_template(world.a, instructors=[world.a.instructor])
    world.a.instructor.studios.clear()

    generate_sessions(until=MONDAYS[0])

    assert teachers(template) == [None]


def test_it_alerts_staff_once_when_the_room_is_taken(world, frozen):
    template = make_template(world.a)
    mat = factories.ClassTypeFactory(organization=world.a.organization, name="Mat")
    make_session(
        world.a, starts_at=local(MONDAYS[0], 6, 30), class_type=mat, minutes=60, instructor=None
    )

    assert generate_sessions(until=MONDAYS[1]) == 1
    assert generate_sessions(until=MONDAYS[1]) == 0

    alert = AdminAlert.objects.get()
    assert alert.organization == world.a.organization
    assert alert.message == (
        "The weekly Reformer Flow at 07:00 on Mon 2 Mar 2026 was not scheduled: Reformer Room "
        "is already booked by Mat 06:30\N{EN DASH}07:30. Move one of the two classes."
    )
    assert [s.starts_at for s in sessions_of(template)] == [local(MONDAYS[1], 7)]


def test_it_respects_start_and_end_dates(world, frozen):
    template = make_template(world.a, start_date=MONDAYS[1], end_date=MONDAYS[2])

    generate_sessions(until=MONDAYS[3] + WEEK)

    assert [s.starts_at for s in sessions_of(template)] == [
        local(MONDAYS[1], 7),
        local(MONDAYS[2], 7),
    ]


def test_it_skips_past_occurrences(world, time_machine):
    time_machine.move_to(local(MONDAYS[0], 7, 1), tick=False)
    template = make_template(world.a, start_date=MONDAYS[0] - WEEK)

    generate_sessions(until=MONDAYS[1])

    assert [s.starts_at for s in sessions_of(template)] == [local(MONDAYS[1], 7)]


@pytest.mark.parametrize("inactive", ["template", "studio", "class_type"])
def test_it_skips_inactive_templates_studios_and_class_types(world, frozen, inactive):
    template = make_template(world.a)
    target = {"template": template, "studio": world.a.studio, "class_type": world.a.class_type}
    target[inactive].active = False
    target[inactive].save()

    assert generate_sessions(until=MONDAYS[1]) == 0
    assert sessions_of(template) == []


def test_it_filters_by_template_organization_and_studio(world, frozen):
    a_template = make_template(world.a)
    b_template = make_template(world.b)

    assert generate_sessions(until=MONDAYS[0], template=b_template) == 1
    assert generate_sessions(until=MONDAYS[0], organization=world.a.organization) == 1
    assert generate_sessions(until=MONDAYS[1], studio=world.a.other_studio) == 0
    assert len(sessions_of(a_template)) == 1 and len(sessions_of(b_template)) == 1


def test_it_publishes_the_new_sessions_to_the_studio(
    world, frozen, django_capture_on_commit_callbacks
):
    make_template(world.a)

    with django_capture_on_commit_callbacks() as callbacks:
        generate_sessions(until=MONDAYS[1])

    assert len(callbacks) == 1
