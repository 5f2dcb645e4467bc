from __future__ import annotations

import datetime as dt

import pytest

from reformer.bookings.models import Booking
from reformer.core.errors import DomainError, NotFound, PermissionDenied
from reformer.core.models import AuditEvent
from reformer.scheduling.actions import (
    UNCHANGED,
    create_template,
    deactivate_template,
    update_template,
)
from reformer.scheduling.models import ClassSession, RecurringTemplate
from tests import factories
from tests.factories import make_session
from tests.scheduling.helpers import NEXT_MONDAY, local

WEEK = dt.timedelta(weeks=1)
# With the clock at Wed 25 Feb 2026, the horizon (4 weeks) ends on Wed 25 March.
MONDAYS = [NEXT_MONDAY + WEEK * n for n in range(4)]


def new_template(tenant, actor=None, **fields):
    data = {
        "studio": tenant.studio,
        "room": tenant.room,
        "class_type": tenant.class_type,
        "weekday": 0,
        "local_start_time": "07:00",
        "capacity": 8,
        "instructors": [tenant.instructor],
        "start_date": NEXT_MONDAY,
    } | fields
    return create_template(actor or tenant.manager, **data)


def times(template):
    return [
        session.starts_at
        for session in ClassSession.objects.filter(template=template).order_by("starts_at")
    ]


def book(session, client):
    ClassSession.objects.filter(pk=session.pk).update(booked_count=1)
    return Booking.objects.create(
        organization=session.organization,
        session=session,
        client=client,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
    )


# ----------------------------------------------------------------------------------- create


def test_it_creates_a_template_and_generates_four_weeks(world, frozen):
    template = new_template(world.a)

    assert template.organization == world.a.organization
    assert template.local_start_time == dt.time(7, 0)
    assert list(template.rotation.values_list("instructor", flat=True)) == [world.a.instructor.pk]
    assert times(template) == [local(day, 7) for day in MONDAYS]
    codes = list(AuditEvent.objects.order_by("id").values_list("code", flat=True))
    assert codes == ["scheduling.template.created", "scheduling.template.generated"]


def test_it_accepts_a_template_without_instructors(world, frozen):
    template = new_template(world.a, instructors=[], local_start_time=dt.time(18, 30))

    assert set(
        ClassSession.objects.filter(template=template).values_list("instructor", flat=True)
    ) == {None}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"weekday": 7}, "Weekday must be between 0 and 6"),
        ({"local_start_time": "7am"}, "Start time must look like 07:30"),
        ({"capacity": 11}, "Reformer Room holds 10"),
        ({"end_date": NEXT_MONDAY - dt.timedelta(days=1)}, "last date must be on or after"),
        ({"instructors": "alpha instructor"}, "Give the instructors as a list"),
        ({"start_date": dt.date(1900, 1, 1)}, "The first date can be at most a year ago"),
        ({"start_date": dt.date(2025, 2, 23)}, r"at most a year ago \(Mon 24 Feb 2025 or later\)"),
    ],
)
def test_it_validates_a_template(world, frozen, fields, message):
    with pytest.raises(DomainError, match=message):
        new_template(world.a, **fields)
    assert not RecurringTemplate.objects.exists()
    assert not ClassSession.objects.exists()


def test_it_refuses_an_instructor_outside_the_studio(world, frozen):
    outsider = factories.MembershipFactory(
        organization=world.a.organization, role="instructor", studios=[world.a.other_studio]
    )

    with pytest.raises(DomainError, match="does not teach at alpha Main"):
        new_template(world.a, instructors=[world.a.instructor, outsider])
    assert not RecurringTemplate.objects.exists()


def test_it_refuses_a_second_template_in_the_same_slot(world, frozen):
    new_template(world.a, end_date=MONDAYS[1])

    with pytest.raises(DomainError, match="already has a weekly Reformer Flow on Mondays at 07:00"):
        new_template(world.a, start_date=MONDAYS[1])
    # After the first one ends, the slot is free.
    assert new_template(world.a, start_date=MONDAYS[2]).start_date == MONDAYS[2]


def test_it_refuses_a_room_of_another_studio_and_another_tenants_objects(world, frozen):
    with pytest.raises(DomainError, match="is not at alpha Main"):
        new_template(world.a, room=factories.RoomFactory(studio=world.a.other_studio))
    with pytest.raises(NotFound):
        new_template(world.a, class_type=world.b.class_type)
    with pytest.raises(NotFound):
        new_template(world.a, instructors=[world.b.instructor])
    with pytest.raises(PermissionDenied):
        new_template(world.a, actor=world.a.front_desk)


# ----------------------------------------------------------------------------------- update


def test_it_moves_the_untouched_future_sessions_and_keeps_booked_ones(world, frozen):
    template = new_template(world.a)
    booked = ClassSession.objects.filter(template=template).order_by("starts_at")[1]
    book(booked, world.a.client)

    change = update_template(world.a.manager, template, local_start_time="08:15", capacity=6)

    assert (change.sessions_changed, change.sessions_kept) == (3, 1)
    sessions = list(ClassSession.objects.filter(template=template).order_by("starts_at"))
    assert [s.starts_at for s in sessions] == [
        local(MONDAYS[0], 8, 15),
        local(MONDAYS[1], 7),
        local(MONDAYS[2], 8, 15),
        local(MONDAYS[3], 8, 15),
    ]
    assert [s.capacity for s in sessions] == [6, 8, 6, 6]
    assert sessions[0].ends_at - sessions[0].starts_at == dt.timedelta(minutes=50)
    event = AuditEvent.objects.get(code="scheduling.template.updated")
    assert event.data["sessions_changed"] == 3


def test_it_ends_a_template_removing_the_untouched_sessions_after_the_end(world, frozen):
    template = new_template(world.a)
    last = ClassSession.objects.filter(template=template).order_by("starts_at").last()
    book(last, world.a.client)

    change = update_template(world.a.owner, template, end_date=MONDAYS[1])

    assert (change.sessions_changed, change.sessions_kept) == (1, 1)
    assert times(template) == [local(MONDAYS[0], 7), local(MONDAYS[1], 7), local(MONDAYS[3], 7)]


def test_it_extends_a_template_generating_the_new_weeks(world, frozen):
    template = new_template(world.a, end_date=MONDAYS[0])
    assert len(times(template)) == 1

    update_template(world.a.owner, template, end_date=None)

    assert times(template) == [local(day, 7) for day in MONDAYS]
    assert RecurringTemplate.objects.get(pk=template.pk).end_date is None


def test_a_new_rotation_takes_turns_from_the_first_future_class(world, frozen):
    template = new_template(world.a, end_date=MONDAYS[0])
    other = factories.MembershipFactory(
        organization=world.a.organization, role="instructor", studios=[world.a.studio]
    )

    update_template(
        world.a.owner, template, instructors=[other, world.a.instructor], end_date=MONDAYS[2]
    )

    sessions = ClassSession.objects.filter(template=template).order_by("starts_at")
    assert [s.instructor for s in sessions] == [other, world.a.instructor, other]


def _instructor(tenant):
    return factories.MembershipFactory(
        organization=tenant.organization, role="instructor", studios=[tenant.studio]
    )


def test_a_new_rotation_restaffs_unbooked_classes_not_booked_or_hand_picked_ones(world, frozen):
    """PHX-17: the page says changes reach future classes nobody booked; a new rotation did
    not (only times did). Booked classes and instructors chosen by hand stay."""
    from reformer.scheduling.actions import assign_instructor

    sarah, mike, picked = _instructor(world.a), _instructor(world.a), _instructor(world.a)
    template = new_template(world.a)  # world.a.instructor teaches all four Mondays
    _, second, third, _ = ClassSession.objects.filter(template=template).order_by("starts_at")
    book(second, world.a.client)
    assign_instructor(world.a.owner, third, instructor=picked)

    change = update_template(world.a.owner, template, instructors=[sarah, mike])

    staffed = ClassSession.objects.filter(template=template).order_by("starts_at")
    assert [s.instructor for s in staffed] == [sarah, world.a.instructor, picked, mike]
    assert (change.sessions_changed, change.sessions_kept) == (2, 2)
    # Weeks generated later continue the turns: the fifth Monday is Sarah's.
    template.refresh_from_db()
    assert template.next_rotation_index == 0


def test_a_new_rotation_leaves_a_class_needing_an_instructor_who_is_away(world, frozen):
    from reformer.core.models import AdminAlert
    from reformer.scheduling.models import InstructorUnavailability

    sarah = _instructor(world.a)
    InstructorUnavailability.objects.create(
        organization=world.a.organization,
        instructor=sarah,
        starts_on=MONDAYS[0],
        ends_on=MONDAYS[0],
    )
    template = new_template(world.a)

    update_template(world.a.owner, template, instructors=[sarah])

    staffed = ClassSession.objects.filter(template=template).order_by("starts_at")
    assert [s.instructor for s in staffed] == [None, sarah, sarah, sarah]
    alert = AdminAlert.objects.get(code="scheduling.needs_instructor")
    assert "is away" in alert.message and "Mon 2 Mar 2026" in alert.message


def test_it_reports_a_clash_when_moving_sessions(world, frozen):
    template = new_template(world.a)
    mat = factories.ClassTypeFactory(organization=world.a.organization, name="Mat")
    make_session(world.a, starts_at=local(MONDAYS[2], 9), class_type=mat, instructor=None)

    with pytest.raises(DomainError, match="Mon 16 Mar 2026: Reformer Room is already booked"):
        update_template(world.a.owner, template, local_start_time="09:00")

    assert times(template) == [local(day, 7) for day in MONDAYS]
    assert RecurringTemplate.objects.get(pk=template.pk).local_start_time == dt.time(7)


def test_it_moves_a_template_to_another_room(world, frozen):
    template = new_template(world.a)
    room = factories.RoomFactory(studio=world.a.studio, name="Small", capacity=5)

    with pytest.raises(DomainError, match="Small holds 5; lower the capacity as well"):
        update_template(world.a.owner, template, room=room)
    change = update_template(world.a.owner, template, room=room, capacity=5)

    assert change.sessions_changed == 4
    assert set(ClassSession.objects.values_list("room", "capacity")) == {(room.pk, 5)}


def test_it_changes_nothing_without_changes(world, frozen):
    template = new_template(world.a)

    change = update_template(
        world.a.owner,
        template,
        local_start_time="07:00",
        end_date=UNCHANGED,
        instructors=[world.a.instructor],
    )

    assert (change.sessions_changed, change.sessions_kept) == (0, 0)
    assert not AuditEvent.objects.filter(code="scheduling.template.updated").exists()


def test_it_does_not_change_a_stopped_template(world, frozen):
    template = new_template(world.a)
    deactivate_template(world.a.owner, template)

    with pytest.raises(DomainError, match="was stopped"):
        update_template(world.a.owner, template, capacity=4)


# ------------------------------------------------------------------------------- deactivate


def test_it_stops_a_template_removing_untouched_sessions(world, frozen):
    template = new_template(world.a)
    sessions = list(ClassSession.objects.filter(template=template).order_by("starts_at"))
    book(sessions[0], world.a.client)
    # A cancelled booking still counts as history: the session stays.
    cancelled = book(sessions[1], world.a.client)
    Booking.objects.filter(pk=cancelled.pk).update(status="cancelled")
    ClassSession.objects.filter(pk=sessions[1].pk).update(booked_count=0)

    change = deactivate_template(world.a.manager, template)

    assert (change.sessions_changed, change.sessions_kept) == (2, 2)
    assert set(ClassSession.objects.values_list("pk", flat=True)) == {
        sessions[0].pk,
        sessions[1].pk,
    }
    template.refresh_from_db()
    assert template.active is False
    assert generate_nothing(template)
    assert AuditEvent.objects.filter(code="scheduling.template.deactivated").count() == 1
    assert deactivate_template(world.a.manager, template).sessions_changed == 0
    assert AuditEvent.objects.filter(code="scheduling.template.deactivated").count() == 1


def generate_nothing(template):
    from reformer.scheduling.actions import generate_sessions

    return generate_sessions(until=MONDAYS[-1] + WEEK * 4, template=template) == 0


def test_it_takes_the_rotation_from_a_queryset(world, frozen):
    from reformer.accounts.models import Membership

    staff = Membership.objects.filter(pk__in=[world.a.instructor.pk, world.a.manager.pk])

    template = new_template(world.a, instructors=staff.order_by("pk"))

    assert template.rotation.count() == 2


def test_it_counts_a_kept_session_once_when_ending_and_moving(world, frozen):
    template = new_template(world.a)
    last = ClassSession.objects.filter(template=template).order_by("starts_at").last()
    book(last, world.a.client)

    change = update_template(world.a.owner, template, end_date=MONDAYS[1], capacity=6)

    # Removed: the untouched 16 March; changed: 2 and 9 March; kept: the booked 23 March.
    assert (change.sessions_changed, change.sessions_kept) == (3, 1)
    assert list(ClassSession.objects.order_by("starts_at").values_list("capacity", flat=True)) == [
        6,
        6,
        8,
    ]
