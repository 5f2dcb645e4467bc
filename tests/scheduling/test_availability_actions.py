from __future__ import annotations

import datetime as dt

import pytest

from reformer.core.errors import DomainError, NotFound, PermissionDenied
from reformer.core.models import AuditEvent
from reformer.scheduling.actions import add_unavailability, remove_unavailability
from reformer.scheduling.models import ClassSession, InstructorUnavailability
from tests import factories
from tests.factories import make_session
from tests.scheduling.helpers import NEXT_MONDAY, local

TUESDAY = NEXT_MONDAY + dt.timedelta(days=1)


def test_it_marks_an_instructor_away_and_frees_their_classes(world, frozen):
    inside = make_session(world.a, starts_at=local(NEXT_MONDAY, 7), instructor=world.a.instructor)
    # 20:00 on Tuesday in New York is 01:00 UTC on Wednesday: still inside the period.
    evening = make_session(world.a, starts_at=local(TUESDAY, 20), instructor=world.a.instructor)
    after = make_session(
        world.a, starts_at=local(TUESDAY + dt.timedelta(days=1), 7), instructor=world.a.instructor
    )
    other = make_session(world.a, starts_at=local(NEXT_MONDAY, 9), instructor=world.a.manager)

    away = add_unavailability(
        world.a.manager,
        world.a.instructor,
        starts_on=NEXT_MONDAY,
        ends_on=TUESDAY,
        reason="Holiday",
    )

    assert (away.organization, away.reason) == (world.a.organization, "Holiday")
    instructors = dict(ClassSession.objects.values_list("pk", "instructor"))
    assert instructors == {
        inside.pk: None,
        evening.pk: None,
        after.pk: world.a.instructor.pk,
        other.pk: world.a.manager.pk,
    }
    event = AuditEvent.objects.get()
    assert event.data["sessions_unassigned"] == [inside.pk, evening.pk]


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        ((TUESDAY, NEXT_MONDAY), "last day must be on or after the first"),
        ((dt.date(2026, 2, 1), dt.date(2026, 2, 20)), "That period is over"),
        ((NEXT_MONDAY, NEXT_MONDAY + dt.timedelta(days=400)), "at most a year"),
    ],
)
def test_it_validates_a_period(world, frozen, dates, message):
    with pytest.raises(DomainError, match=message):
        add_unavailability(world.a.owner, world.a.instructor, starts_on=dates[0], ends_on=dates[1])
    assert not InstructorUnavailability.objects.exists()


def test_it_refuses_a_client_as_instructor(world, frozen):
    with pytest.raises(DomainError, match="not an active member of staff"):
        add_unavailability(world.a.owner, world.a.client, starts_on=TUESDAY, ends_on=TUESDAY)


def test_it_keeps_managers_to_their_studios_staff(world, frozen):
    annex = factories.MembershipFactory(
        organization=world.a.organization, role="instructor", studios=[world.a.other_studio]
    )

    with pytest.raises(PermissionDenied):
        add_unavailability(world.a.manager, annex, starts_on=TUESDAY, ends_on=TUESDAY)
    with pytest.raises(NotFound):
        add_unavailability(world.b.owner, world.a.instructor, starts_on=TUESDAY, ends_on=TUESDAY)
    assert add_unavailability(world.a.owner, annex, starts_on=TUESDAY, ends_on=TUESDAY)
    # Owners teach everywhere, so any manager reaches them.
    assert add_unavailability(world.a.manager, world.a.owner, starts_on=TUESDAY, ends_on=TUESDAY)


def test_it_removes_a_period(world, frozen):
    away = add_unavailability(world.a.owner, world.a.instructor, starts_on=TUESDAY, ends_on=TUESDAY)

    remove_unavailability(world.a.manager, away)

    assert not InstructorUnavailability.objects.exists()
    assert AuditEvent.objects.filter(code="scheduling.unavailability.removed").count() == 1


def test_an_instructor_marks_their_own_time_off_and_no_one_elses(world, frozen):
    colleague = factories.MembershipFactory(
        organization=world.a.organization, role="instructor", studios=[world.a.studio]
    )
    mine = add_unavailability(
        world.a.instructor, world.a.instructor, starts_on=TUESDAY, ends_on=TUESDAY
    )
    assert mine.instructor == world.a.instructor
    with pytest.raises(PermissionDenied):
        add_unavailability(world.a.instructor, colleague, starts_on=TUESDAY, ends_on=TUESDAY)
    with pytest.raises(PermissionDenied):
        add_unavailability(
            world.a.front_desk, world.a.instructor, starts_on=TUESDAY, ends_on=TUESDAY
        )
    remove_unavailability(world.a.instructor, mine)
    assert not InstructorUnavailability.objects.exists()


def test_it_refuses_days_already_marked(world, frozen):
    add_unavailability(world.a.owner, world.a.instructor, starts_on=NEXT_MONDAY, ends_on=TUESDAY)
    with pytest.raises(DomainError, match="already away on those days"):
        add_unavailability(
            world.a.instructor, world.a.instructor, starts_on=TUESDAY, ends_on=TUESDAY
        )
    assert InstructorUnavailability.objects.count() == 1
