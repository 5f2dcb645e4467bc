"""PHX-17 Recurring class generation, scenario by scenario: the generation job runs in the
real job worker at the scenario's time; what it made is checked where people see it."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.urls import reverse

from reformer.bookings.models import Booking
from reformer.core import alerts
from reformer.core.models import AdminAlert
from reformer.core.timezones import local_to_utc, to_local
from reformer.scheduling import jobs as scheduling_jobs
from reformer.scheduling.actions import add_unavailability
from reformer.scheduling.models import ClassSession, RecurringTemplate, RotationSlot
from reformer.studios.models import Closure
from tests import factories
from tests.bookings.helpers import give_package, make_client

NY = "America/New_York"
SUNDAY = dt.date(2031, 3, 9)  # New York moves its clocks that night: a DST-crossing week
MONDAY = SUNDAY + dt.timedelta(days=1)
GENERATE = "scheduling.generate_upcoming_sessions"


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return local_to_utc(day, dt.time(hour, minute), NY)


@pytest.fixture
def sarah(world):
    return _instructor(world, "Sarah Johnson")


def _instructor(world, name: str):
    return factories.MembershipFactory(
        organization=world.a.organization,
        role="instructor",
        user__name=name,
        studios=[world.a.studio],
    )


def _template(world, *, weekday=0, hour=10, instructors=(), **fields) -> RecurringTemplate:
    tenant = world.a
    template = RecurringTemplate.objects.create(
        organization=tenant.organization,
        studio=tenant.studio,
        room=tenant.room,
        class_type=fields.pop("class_type", tenant.class_type),
        weekday=weekday,
        local_start_time=dt.time(hour),
        capacity=fields.pop("capacity", 10),
        start_date=SUNDAY - dt.timedelta(days=30),
        **fields,
    )
    for position, instructor in enumerate(instructors):
        RotationSlot.objects.create(template=template, instructor=instructor, position=position)
    return template


def _run_generation(jobs, clock) -> None:
    """The job as the scheduler defers it, at midnight on Sunday in the studio's zone."""
    midnight = local(SUNDAY, 0)
    with clock.at(midnight):
        scheduling_jobs.generate_upcoming_sessions.defer(timestamp=int(midnight.timestamp()))
        jobs.run()
    assert jobs.statuses(GENERATE) == ["succeeded"]


def _on(template: RecurringTemplate, day: dt.date) -> ClassSession | None:
    start, end = local(day, 0), local(day + dt.timedelta(days=1), 0)
    return ClassSession.objects.filter(
        template=template, starts_at__gte=start, starts_at__lt=end
    ).first()


def _book_over_http(client, clock, member, session: ClassSession) -> Booking:
    with clock.at(local(SUNDAY, 9)):
        client.force_login(member.user)
        response = client.post(f"/classes/{session.pk}/book/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200, response.content.decode()[:500]
    return Booking.objects.get(session=session, client=member, status="confirmed")


@pytest.mark.scenario("PHX-17", "Generate classes from weekly template")
def test_the_job_creates_next_mondays_class_with_the_templates_properties(
    client, jobs, clock, world, sarah
):
    tenant = world.a
    tenant.class_type.duration_minutes = 60
    tenant.class_type.name = "Reformer Pilates"
    tenant.class_type.save()
    template = _template(world, instructors=[sarah], capacity=10)

    _run_generation(jobs, clock)

    session = _on(template, MONDAY)
    assert session is not None
    assert to_local(session.starts_at, NY).time() == dt.time(10)  # 10:00 after the DST change
    assert session.ends_at - session.starts_at == dt.timedelta(minutes=60)
    assert (session.class_type, session.instructor, session.capacity, session.studio) == (
        tenant.class_type,
        sarah,
        10,
        tenant.studio,
    )
    assert session.status == ClassSession.Status.SCHEDULED
    member = make_client(tenant, "Booker")
    with clock.at(local(SUNDAY, 8)):
        give_package(member, credits=5)
    assert _book_over_http(client, clock, member, session).session == session


@pytest.mark.scenario("PHX-17", "Generate multiple classes from templates")
def test_the_job_creates_one_class_next_week_for_each_of_15_templates(
    client, jobs, clock, world, sarah
):
    templates = [
        _template(world, weekday=n % 7, hour=7 + 2 * (n // 7), instructors=[sarah])
        for n in range(15)
    ]

    _run_generation(jobs, clock)

    next_week = [
        _on(t, MONDAY + dt.timedelta(days=(t.weekday - MONDAY.weekday()) % 7)) for t in templates
    ]
    assert all(next_week) and len({s.pk for s in next_week}) == 15
    for template, session in zip(templates, next_week, strict=True):
        local_start = to_local(session.starts_at, NY)
        assert (local_start.weekday(), local_start.time()) == (
            template.weekday,
            template.local_start_time,
        )
        assert (session.room, session.capacity, session.instructor) == (
            template.room,
            template.capacity,
            sarah,
        )
        assert session.status == ClassSession.Status.SCHEDULED
        assert session.booked_count < session.capacity
    member = make_client(world.a, "Booker")
    with clock.at(local(SUNDAY, 8)):
        give_package(member, credits=20)
    _book_over_http(client, clock, member, next_week[-1])


@pytest.mark.scenario("PHX-17", "Skip holiday exclusion dates")
def test_the_job_skips_a_monday_the_studio_is_closed(jobs, clock, world, sarah):
    monday = _template(world, weekday=0, instructors=[sarah])
    tuesday = _template(world, weekday=1, instructors=[sarah])
    Closure.objects.create(
        organization=world.a.organization, studio=world.a.studio, date=MONDAY, reason="Holiday"
    )

    _run_generation(jobs, clock)

    assert _on(monday, MONDAY) is None
    assert _on(monday, MONDAY + dt.timedelta(days=7)) is not None
    assert _on(tuesday, MONDAY + dt.timedelta(days=1)) is not None


@pytest.mark.scenario("PHX-17", "Handle instructor rotation")
def test_the_job_gives_the_class_to_the_next_instructor_in_rotation(jobs, clock, world, sarah):
    mike, jennifer = _instructor(world, "Mike Chen"), _instructor(world, "Jennifer Park")
    template = _template(world, instructors=[sarah, mike, jennifer])
    with clock.at(local(MONDAY - dt.timedelta(days=8), 9)):
        last_week = ClassSession.objects.create(
            organization=template.organization,
            studio=template.studio,
            room=template.room,
            class_type=template.class_type,
            instructor=mike,
            template=template,
            starts_at=local(MONDAY - dt.timedelta(days=7), 10),
            ends_at=local(MONDAY - dt.timedelta(days=7), 10) + dt.timedelta(minutes=50),
            capacity=10,
        )
    template.next_rotation_index = 2  # Mike (position 1) taught last
    template.save()

    _run_generation(jobs, clock)

    assert last_week.instructor == mike
    assert _on(template, MONDAY).instructor == jennifer
    template.refresh_from_db()
    # Four weeks were generated (Jennifer, Sarah, Mike, Jennifer): Sarah is next.
    assert [_on(template, MONDAY + dt.timedelta(days=7 * w)).instructor for w in range(4)] == [
        jennifer,
        sarah,
        mike,
        jennifer,
    ]
    assert template.next_rotation_index == 0


@pytest.mark.scenario("PHX-17", "Handle instructor unavailability")
def test_the_job_creates_the_class_needing_an_instructor_and_alerts_staff(
    client, jobs, clock, world, sarah
):
    tenant = world.a
    template = _template(world, instructors=[sarah])
    with clock.at(local(SUNDAY - dt.timedelta(days=3), 12)):
        add_unavailability(tenant.manager, sarah, starts_on=MONDAY, ends_on=MONDAY)

    _run_generation(jobs, clock)

    session = _on(template, MONDAY)
    assert session is not None and session.instructor is None
    assert _on(template, MONDAY + dt.timedelta(days=7)).instructor == sarah
    alert = AdminAlert.objects.get(code=alerts.NEEDS_INSTRUCTOR, resolved_at__isnull=True)
    assert alert.data == {"session": session.pk}
    assert "Sarah Johnson is away" in alert.message

    with clock.at(local(SUNDAY, 8)):
        client.force_login(tenant.manager.user)
        schedule = client.get(
            reverse("staff:schedule"), {"studio": tenant.studio.pk, "week": MONDAY.isoformat()}
        )
        home = client.get(reverse("staff:dashboard")).content.decode()
    assert "Needs instructor" in schedule.content.decode()
    assert "Class needs an instructor" in home and "Assign an instructor" in home
    assert reverse("staff:session_detail", args=[session.pk]) in home

    # Assigning someone closes the alert.
    mike = _instructor(world, "Mike Chen")
    with clock.at(local(SUNDAY, 8)):
        response = client.post(
            reverse("staff:session_instructor", args=[session.pk]), {"instructor": mike.pk}
        )
    assert response.status_code in (200, 302)
    session.refresh_from_db()
    assert session.instructor == mike
    alert.refresh_from_db()
    assert alert.resolved_at is not None


@pytest.mark.scenario("PHX-17", "Handle duplicate class prevention")
def test_the_job_leaves_an_existing_class_alone_and_logs_the_skip(
    jobs, clock, world, sarah, caplog
):
    template = _template(world, instructors=[sarah])
    _run_generation(jobs, clock)
    existing = _on(template, MONDAY)
    existing.private_notes = "Bring the jumpboards"
    existing.save()
    before = ClassSession.objects.count()

    caplog.set_level(logging.INFO, logger="reformer.scheduling")
    midnight = local(SUNDAY, 0) + dt.timedelta(days=1)
    with clock.at(midnight):
        scheduling_jobs.generate_upcoming_sessions.defer(timestamp=int(midnight.timestamp()))
        jobs.run()

    assert ClassSession.objects.count() == before + 1  # only the new fifth week
    assert ClassSession.objects.filter(template=template, starts_at=existing.starts_at).count() == 1
    unchanged = ClassSession.objects.get(pk=existing.pk)
    assert (unchanged.private_notes, unchanged.instructor, unchanged.starts_at) == (
        "Bring the jumpboards",
        sarah,
        existing.starts_at,
    )
    assert any("already scheduled" in record.getMessage() for record in caplog.records)
