"""PHX-17: "Sarah has marked next Monday as unavailable" — instructors mark their own time off
on a page (managers and owners for their studios' staff); classes they teach then are
flagged "needs an instructor", and generation leaves them off."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from reformer.core.models import AdminAlert
from reformer.core.timezones import local_to_utc, local_today
from reformer.scheduling.models import ClassSession, InstructorUnavailability
from tests import factories
from tests.factories import make_session


def _next_monday(tenant) -> dt.date:
    today = local_today(tenant.studio.time_zone)
    return today + dt.timedelta(days=7 - today.weekday())


def _at(tenant, day: dt.date, hour: int) -> dt.datetime:
    return local_to_utc(day, dt.time(hour), tenant.studio.time_zone)


def test_an_instructor_marks_next_monday_away_and_their_class_is_flagged(client, world):
    tenant = world.a
    monday = _next_monday(tenant)
    session = make_session(tenant, starts_at=_at(tenant, monday, 10), instructor=tenant.instructor)
    client.force_login(tenant.instructor.user)

    page = client.get(reverse("staff:time_off"))
    assert page.status_code == 200 and b"No time off ahead" in page.content
    assert (
        reverse("staff:time_off").encode()
        in client.get(reverse("staff:instructor_dashboard")).content
    )

    response = client.post(
        reverse("staff:time_off"), {"starts_on": monday.isoformat(), "reason": "Dentist"}
    )

    assert response.status_code == 302
    (away,) = InstructorUnavailability.objects.all()
    assert (away.instructor, away.starts_on, away.ends_on) == (tenant.instructor, monday, monday)
    session.refresh_from_db()
    assert session.instructor is None  # "Needs instructor"
    alert = AdminAlert.objects.get(code="scheduling.needs_instructor")
    assert "is away" in alert.message
    listed = client.get(reverse("staff:time_off"), follow=True).content.decode()
    assert "Dentist" in listed and "1 class on those days now needs another instructor" in listed

    removed = client.post(reverse("staff:time_off_remove", args=[away.pk]))
    assert removed.status_code == 302 and not InstructorUnavailability.objects.exists()


def test_a_bad_period_is_refused_with_the_reason_and_saves_nothing(client, world):
    tenant = world.a
    monday = _next_monday(tenant)
    client.force_login(tenant.instructor.user)

    backwards = client.post(
        reverse("staff:time_off"),
        {"starts_on": monday.isoformat(), "ends_on": (monday - dt.timedelta(days=2)).isoformat()},
    )
    missing = client.post(reverse("staff:time_off"), {"starts_on": "not a date"})

    assert backwards.status_code == missing.status_code == 422
    assert b"The last day must be on or after the first day." in backwards.content
    assert b"Enter a valid date." in missing.content
    assert not InstructorUnavailability.objects.exists()


def test_managers_reach_their_studios_staff_and_no_one_else(client, world):
    tenant = world.a
    monday = _next_monday(tenant)
    annex = factories.MembershipFactory(
        organization=tenant.organization, role="instructor", studios=[tenant.other_studio]
    )
    url = reverse("staff:time_off")

    client.force_login(tenant.manager.user)
    team = client.get(reverse("staff:team")).content.decode()
    assert f"{url}?instructor={tenant.instructor.pk}" in team
    assert f"{url}?instructor={annex.pk}" not in team
    saved = client.post(
        f"{url}?instructor={tenant.instructor.pk}", {"starts_on": monday.isoformat()}
    )
    assert saved.status_code == 302
    assert client.get(f"{url}?instructor={annex.pk}").status_code == 403
    assert client.get(f"{url}?instructor={world.b.instructor.pk}").status_code == 404

    client.force_login(tenant.front_desk.user)
    assert client.get(f"{url}?instructor={tenant.instructor.pk}").status_code == 403
    client.force_login(tenant.instructor.user)
    assert client.get(f"{url}?instructor={tenant.manager.pk}").status_code == 403
    other = InstructorUnavailability.objects.get()
    client.force_login(world.b.owner.user)
    assert client.post(reverse("staff:time_off_remove", args=[other.pk])).status_code == 404
    assert InstructorUnavailability.objects.count() == 1


def test_generation_leaves_an_away_instructor_off_and_alerts(client, world):
    """The spec's scenario end to end: Sarah marks next Monday; the weekly class generated
    for that Monday is created, needs an instructor, and the studio is alerted."""
    from reformer.scheduling.actions import create_template

    tenant = world.a
    monday = _next_monday(tenant)
    client.force_login(tenant.instructor.user)
    client.post(reverse("staff:time_off"), {"starts_on": monday.isoformat()})

    template = create_template(
        tenant.manager,
        studio=tenant.studio,
        room=tenant.room,
        class_type=tenant.class_type,
        weekday=0,
        local_start_time="10:00",
        capacity=8,
        instructors=[tenant.instructor],
        start_date=monday,
    )

    first = ClassSession.objects.filter(template=template).order_by("starts_at").first()
    assert first is not None and first.starts_at == _at(tenant, monday, 10)
    assert first.instructor is None
    assert AdminAlert.objects.filter(code="scheduling.needs_instructor").exists()


def test_the_instructors_page_links_each_instructors_time_off(client, world):
    client.force_login(world.a.owner.user)
    html = client.get(reverse("owner:instructors")).content.decode()
    assert f"{reverse('staff:time_off')}?instructor={world.a.instructor.pk}" in html
