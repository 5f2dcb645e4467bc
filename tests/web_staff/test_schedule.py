"""The schedule: the week view, single classes, weekly classes, instructors, cancelling."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from reformer.bookings.models import Booking
from reformer.core.timezones import local_to_utc, local_today, to_local
from reformer.scheduling.models import ClassSession, RecurringTemplate
from tests import factories
from tests.factories import make_session
from tests.web_staff.conftest import add_booking, add_waiting, make_client

pytestmark = pytest.mark.django_db


def _week_sessions(tenant, count: int) -> list[ClassSession]:
    base = timezone.now() + dt.timedelta(days=7)
    monday = to_local(base, tenant.studio.time_zone).date()
    monday -= dt.timedelta(days=monday.weekday())
    sessions = []
    for i in range(count):
        start = local_to_utc(
            monday + dt.timedelta(days=i % 7), dt.time(6 + i // 7), "America/New_York"
        )
        sessions.append(
            make_session(tenant, starts_at=start, instructor=None if i % 3 == 0 else "instructor")
        )
    return sessions


def test_it_shows_the_week_with_classes_needing_an_instructor(world, login_as):
    sessions = _week_sessions(world.a, 6)
    week = to_local(sessions[0].starts_at, "America/New_York").date()
    url = reverse("staff:schedule") + f"?studio={world.a.studio.pk}&week={week.isoformat()}"
    response = login_as(world.a.manager).get(url + "&view=list")
    page = response.content.decode()
    assert response.context["week"].needs_instructor == 2
    assert page.count("session-row--needs") == 2
    assert "2 classes need an instructor" in page
    assert page.count('id="schedule-session-') == 6
    grid = login_as(world.a.manager).get(url).content.decode()  # the grid is the default
    assert grid.count('id="grid-session-') == 6
    assert grid.count("grid-class--needs") == 2
    assert "2 classes need an instructor" in grid


def test_a_class_alone_in_its_time_takes_the_days_width_and_clashing_rooms_share_it(
    world, login_as
):
    """Two rooms in lanes every day would make fourteen: too narrow for a name. A day is
    split into lanes (one per room) only where two rooms' classes run at the same time; a
    class no other room's class overlaps spans its day."""
    tz = "America/New_York"
    day = local_today(tz) + dt.timedelta(days=8)
    tower = factories.RoomFactory(studio=world.a.studio, name="Tower Room")
    alone = make_session(world.a, starts_at=local_to_utc(day, dt.time(7), tz))
    main = make_session(world.a, starts_at=local_to_utc(day, dt.time(9), tz))
    beside = make_session(
        world.a, starts_at=local_to_utc(day, dt.time(9, 30), tz), room=tower, instructor=None
    )
    next_day = make_session(
        world.a, starts_at=local_to_utc(day + dt.timedelta(days=1), dt.time(9), tz), room=tower
    )
    url = reverse("staff:schedule") + f"?studio={world.a.studio.pk}&week={day.isoformat()}"
    grid = login_as(world.a.manager).get(url).context["grid"]
    assert [room.name for room in grid.rooms][-1] == "Tower Room" and len(grid.rooms) == 2
    assert len(grid.days) == 7 and grid.lane_count == 8  # one day of two lanes
    by_day = {d.day: d for d in grid.days}
    grid_day = by_day[day]
    assert grid_day.column_end - grid_day.column_start == 2
    assert [room.name for _, room in grid_day.lane_headers] == [world.a.room.name, "Tower Room"]
    cells = {cell.session.pk: cell for cell in grid_day.classes}
    assert (cells[alone.pk].column, cells[alone.pk].column_end) == (
        grid_day.column_start,
        grid_day.column_end,
    )
    assert (cells[main.pk].column, cells[main.pk].column_end) == (
        grid_day.column_start,
        grid_day.column_start + 1,
    )
    assert (cells[beside.pk].column, cells[beside.pk].column_end) == (
        grid_day.column_start + 1,
        grid_day.column_end,
    )
    if day.weekday() < 6:  # the next day is in the same week: one lane, no room headers
        following = by_day[day + dt.timedelta(days=1)]
        assert following.column_start == grid_day.column_end
        assert following.column_end - following.column_start == 1 and not following.lane_rooms
        [cell] = following.classes
        assert cell.session.pk == next_day.pk and cell.column == following.column_start
    page = login_as(world.a.manager).get(url).content.decode()
    assert f"grid-column: {grid_day.column_start} / {grid_day.column_end}" in page
    assert page.count('class="week-grid__room"') == 2  # the headers of that day's lanes
    assert page.count('class="grid-class__room"> · Tower Room<') == 1 + (day.weekday() < 6)


def test_it_serves_the_week_as_an_htmx_fragment(world, login_as):
    response = login_as(world.a.owner).get(
        reverse("staff:schedule") + f"?studio={world.a.studio.pk}", HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert page.lstrip().startswith('<section id="week"')
    assert "<html" not in page


def test_it_shows_the_schedule_read_only_to_instructors(world, login_as):
    _week_sessions(world.a, 3)
    response = login_as(world.a.instructor).get(reverse("staff:schedule"))
    assert response.status_code == 200
    assert "assign-form" not in response.content.decode()


@pytest.mark.parametrize("count", [3, 30])
@pytest.mark.parametrize(("view", "queries"), [("list", 8), ("grid", 9)])
def test_it_lists_the_week_in_a_fixed_number_of_queries(
    world, login_as, django_assert_num_queries, count, view, queries
):
    sessions = _week_sessions(world.a, count)
    week = to_local(sessions[0].starts_at, "America/New_York").date()
    client = login_as(world.a.manager)
    url = reverse("staff:schedule") + f"?studio={world.a.studio.pk}&week={week.isoformat()}"
    # session, user, memberships, studio, scope, week, studios in scope, instructors (+ the
    # rooms for the grid's lanes)
    with django_assert_num_queries(queries):
        client.get(url + f"&view={view}", HTTP_HX_REQUEST="true")


def test_it_schedules_a_single_class_in_studio_time(world, login_as):
    client = login_as(world.a.manager)
    day = local_today("America/New_York") + dt.timedelta(days=5)
    response = client.post(
        reverse("staff:session_create") + f"?studio={world.a.studio.pk}",
        {
            "class_type": world.a.class_type.pk,
            "room": world.a.room.pk,
            "date": day.isoformat(),
            "start_time": "07:30",
            "instructor": world.a.instructor.pk,
            "capacity": "",
            "duration_minutes": "",
        },
    )
    assert response.status_code == 302
    session = ClassSession.objects.get(studio=world.a.studio)
    local = to_local(session.starts_at, "America/New_York")
    assert (local.date(), local.time()) == (day, dt.time(7, 30))
    assert session.instructor == world.a.instructor
    assert session.capacity == world.a.class_type.default_capacity


def test_it_refuses_a_class_in_the_past_on_the_start_field(world, login_as):
    day = local_today("America/New_York") - dt.timedelta(days=1)
    response = login_as(world.a.owner).post(
        reverse("staff:session_create") + f"?studio={world.a.studio.pk}",
        {
            "class_type": world.a.class_type.pk,
            "room": world.a.room.pk,
            "date": day.isoformat(),
            "start_time": "07:30",
        },
    )
    assert response.status_code == 422
    assert response.context["form"].errors["start_time"] == [
        "That time has passed; pick a time in the future."
    ]
    assert not ClassSession.objects.exists()


def test_it_refuses_a_room_of_another_studio(world, login_as):
    other_room = factories.RoomFactory(studio=world.a.other_studio)
    day = local_today("America/New_York") + dt.timedelta(days=2)
    response = login_as(world.a.owner).post(
        reverse("staff:session_create") + f"?studio={world.a.studio.pk}",
        {
            "class_type": world.a.class_type.pk,
            "room": other_room.pk,
            "date": day.isoformat(),
            "start_time": "07:30",
        },
    )
    assert response.status_code == 422
    assert response.context["form"].errors["room"]
    assert not ClassSession.objects.exists()


def test_it_adds_a_weekly_class_with_a_rotation_and_generates_it(world, login_as):
    second = factories.MembershipFactory(
        organization=world.a.organization, role="instructor", studios=[world.a.studio]
    )
    client = login_as(world.a.manager)
    response = client.post(
        reverse("staff:templates") + f"?studio={world.a.studio.pk}",
        {
            "class_type": world.a.class_type.pk,
            "room": world.a.room.pk,
            "weekday": 2,
            "local_start_time": "18:00",
            "capacity": 8,
            "start_date": local_today("America/New_York").isoformat(),
            "instructor_0": second.pk,
            "instructor_1": world.a.instructor.pk,
        },
    )
    assert response.status_code == 302
    template = RecurringTemplate.objects.get(studio=world.a.studio)
    assert [s.instructor_id for s in template.rotation.order_by("position")] == [
        second.pk,
        world.a.instructor.pk,
    ]
    sessions = list(ClassSession.objects.filter(template=template).order_by("starts_at"))
    assert len(sessions) >= 4
    assert [s.instructor_id for s in sessions[:2]] == [second.pk, world.a.instructor.pk]
    response = client.post(reverse("staff:template_generate", args=[template.pk]), follow=True)
    assert "already on the schedule" in response.content.decode()
    assert ClassSession.objects.filter(template=template).count() == len(sessions)


def test_the_weekly_form_takes_the_class_types_size_not_a_fixed_10(world, login_as):
    # It pre-filled 10, so a first save in a 6-place room failed "holds 6".
    world.a.room.capacity = 6
    world.a.room.save(update_fields=["capacity"])
    small = factories.ClassTypeFactory(organization=world.a.organization, default_capacity=6)
    client = login_as(world.a.manager)
    url = reverse("staff:templates") + f"?studio={world.a.studio.pk}"
    form = client.get(url).context["form"]
    assert form["capacity"].value() in (None, "")
    data = {
        "class_type": small.pk,
        "room": world.a.room.pk,
        "weekday": 2,
        "local_start_time": "18:00",
        "capacity": "",
        "start_date": local_today("America/New_York").isoformat(),
    }
    assert client.post(url, data).status_code == 302
    assert RecurringTemplate.objects.get(class_type=small).capacity == 6
    # A class type bigger than the room: the room's size.
    data |= {"class_type": world.a.class_type.pk, "weekday": 3}  # 10 places
    assert client.post(url, data).status_code == 302
    assert RecurringTemplate.objects.get(class_type=world.a.class_type).capacity == 6


def test_it_refuses_the_same_instructor_twice_in_a_rotation(world, login_as):
    response = login_as(world.a.owner).post(
        reverse("staff:templates") + f"?studio={world.a.studio.pk}",
        {
            "class_type": world.a.class_type.pk,
            "room": world.a.room.pk,
            "weekday": 2,
            "local_start_time": "18:00",
            "capacity": 8,
            "start_date": local_today("America/New_York").isoformat(),
            "instructor_0": world.a.instructor.pk,
            "instructor_1": world.a.instructor.pk,
        },
    )
    assert response.status_code == 422
    assert "already in the rotation" in response.content.decode()
    assert not RecurringTemplate.objects.exists()


def test_it_refuses_a_weekly_class_starting_in_1900(world, login_as):
    response = login_as(world.a.owner).post(
        reverse("staff:templates") + f"?studio={world.a.studio.pk}",
        {
            "class_type": world.a.class_type.pk,
            "room": world.a.room.pk,
            "weekday": 2,
            "local_start_time": "18:00",
            "capacity": 8,
            "start_date": "1900-01-01",
            "instructor_0": world.a.instructor.pk,
        },
    )
    assert response.status_code == 422
    assert "The first date can be at most a year ago" in response.content.decode()
    assert not RecurringTemplate.objects.exists()


def test_it_edits_and_stops_a_weekly_class(world, login_as):
    from reformer.scheduling.actions import create_template

    template = create_template(
        world.a.owner,
        studio=world.a.studio,
        room=world.a.room,
        class_type=world.a.class_type,
        weekday=4,
        local_start_time="09:00",
        capacity=8,
        instructors=[],
        start_date=local_today("America/New_York"),
    )
    client = login_as(world.a.owner)
    response = client.post(
        reverse("staff:template", args=[template.pk]),
        {"room": world.a.room.pk, "local_start_time": "10:15", "capacity": 6},
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.local_start_time, template.capacity) == (dt.time(10, 15), 6)
    client.post(reverse("staff:template_stop", args=[template.pk]))
    template.refresh_from_db()
    assert not template.active
    assert not ClassSession.objects.filter(template=template).exists()


def test_it_assigns_an_instructor_and_rerenders_the_row(world, login_as):
    session = make_session(
        world.a, instructor=None, starts_at=timezone.now() + dt.timedelta(days=2)
    )
    response = login_as(world.a.manager).post(
        reverse("staff:session_instructor", args=[session.pk]),
        {"instructor": world.a.instructor.pk},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith(f'<li id="schedule-session-{session.pk}"')
    assert "session-row--needs" not in page
    session.refresh_from_db()
    assert session.instructor == world.a.instructor


def test_it_refuses_an_instructor_of_another_studio(world, login_as):
    session = make_session(
        world.a, instructor=None, starts_at=timezone.now() + dt.timedelta(days=2)
    )
    elsewhere = factories.MembershipFactory(
        organization=world.a.organization, role="instructor", studios=[world.a.other_studio]
    )
    response = login_as(world.a.owner).post(
        reverse("staff:session_instructor", args=[session.pk]),
        {"instructor": elsewhere.pk},
        HTTP_HX_REQUEST="true",
    )
    session.refresh_from_db()
    assert session.instructor is None
    assert response.status_code in (200, 422)


def test_it_confirms_a_cancellation_with_who_will_be_refunded(world, login_as, session_a):
    add_booking(session_a, make_client(world.a, "Ada Lovelace"))
    add_booking(session_a, make_client(world.a, "Grace Hopper"))
    add_waiting(session_a, make_client(world.a, "Wendy Wait"))
    response = login_as(world.a.manager).get(
        reverse("staff:session_cancel", args=[session_a.pk]), HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert "data-open-on-load" in page
    assert "2 booked clients</strong> will be refunded and notified" in page
    assert "1 client on the waitlist will be notified" in page


def test_it_cancels_a_class_through_the_booking_engine(world, login_as, session_a):
    ada = make_client(world.a, "Ada Lovelace")
    package = factories.ClientPackageFactory(client=ada)
    booking = add_booking(session_a, ada, client_package=package)
    package.credits_remaining -= 1
    package.save()
    response = login_as(world.a.owner).post(
        reverse("staff:session_cancel", args=[session_a.pk]),
        {"reason": "Instructor is ill"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("staff:schedule"))
    session_a.refresh_from_db()
    booking.refresh_from_db()
    package.refresh_from_db()
    assert session_a.status == "cancelled"
    assert booking.status == Booking.Status.CANCELLED and booking.credit_returned
    assert package.credits_remaining == package.credits_total


def test_it_requires_a_reason_to_cancel(world, login_as, session_a):
    response = login_as(world.a.owner).post(
        reverse("staff:session_cancel", args=[session_a.pk]), {"reason": ""}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "This field is required" in response.content.decode()
    session_a.refresh_from_db()
    assert session_a.status == "scheduled"


def test_it_does_not_let_front_desk_cancel_a_class(world, login_as, session_a):
    response = login_as(world.a.front_desk).post(
        reverse("staff:session_cancel", args=[session_a.pk]), {"reason": "No"}
    )
    assert response.status_code == 403
    session_a.refresh_from_db()
    assert session_a.status == "scheduled"


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01"])
def test_the_week_falls_back_to_this_week_on_an_unusable_date(world, login_as, week):
    response = login_as(world.a.manager).get(
        reverse("staff:schedule") + f"?studio={world.a.studio.pk}&week={week}"
    )
    assert response.status_code == 200
    today = local_today(world.a.studio.time_zone)
    assert response.context["week"].monday == today - dt.timedelta(days=today.weekday())


@pytest.mark.parametrize(
    "next_url", ["//evil.example/phish", "/\\evil.example", "https://evil.example/"]
)
def test_it_redirects_after_cancelling_only_within_the_site(world, login_as, session_a, next_url):
    response = login_as(world.a.owner).post(
        reverse("staff:session_cancel", args=[session_a.pk]),
        {"reason": "Instructor is ill", "next": next_url},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:schedule")


def test_generating_a_weekly_class_goes_through_an_authorized_action(world, login_as):
    from reformer.core.errors import PermissionDenied
    from reformer.scheduling import actions as scheduling

    template = scheduling.create_template(
        world.a.owner,
        studio=world.a.studio,
        room=world.a.room,
        class_type=world.a.class_type,
        weekday=3,
        local_start_time="07:00",
        capacity=8,
        instructors=[],
        start_date=local_today(world.a.studio.time_zone),
    )
    generated = ClassSession.objects.filter(template=template)
    count = generated.count()
    generated.delete()
    other_manager = factories.MembershipFactory(
        organization=world.a.organization, role="manager", studios=[world.a.other_studio]
    )
    with pytest.raises(PermissionDenied):
        scheduling.generate_template_sessions(other_manager, template)
    assert not generated.exists()
    response = login_as(world.a.manager).post(
        reverse("staff:template_generate", args=[template.pk])
    )
    assert response.status_code == 302
    assert generated.count() == count


def test_it_refuses_a_class_at_the_end_of_the_calendar(world, login_as):
    response = login_as(world.a.owner).post(
        reverse("staff:session_create") + f"?studio={world.a.studio.pk}",
        {
            "class_type": world.a.class_type.pk,
            "room": world.a.room.pk,
            "date": "9999-12-31",
            "start_time": "23:00",
        },
    )
    assert response.status_code == 422
    assert response.context["form"].errors["date"] == ["Enter a real date."]
    assert not ClassSession.objects.exists()
