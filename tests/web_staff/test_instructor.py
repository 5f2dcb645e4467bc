"""PHX-12: the instructor's dashboard, the class roster, attendance, notes; the front desk's
check-in list and booking a client from the roster."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from psycopg import errors as pg_errors

from reformer.bookings.models import Booking
from reformer.core.models import AuditEvent
from reformer.web.staff import instructor as instructor_views
from tests import factories
from tests.factories import make_session
from tests.web_staff.conftest import add_booking, add_waiting, in_two_hours, make_client

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _roster(client, session):
    return client.get(reverse("staff:session_roster", args=[session.pk]), **HTMX)


# ----------------------------------------------------------------------------- dashboard


def test_it_lists_my_classes_for_30_days_grouped_by_date_today_first(world, login_as):
    now = timezone.now()
    soon = make_session(world.a, starts_at=now + dt.timedelta(minutes=30))
    later = make_session(world.a, starts_at=now + dt.timedelta(days=3))
    make_session(world.a, starts_at=now + dt.timedelta(days=31))  # beyond 30 days
    make_session(world.a, starts_at=now + dt.timedelta(days=4), instructor="manager")  # not mine
    add_booking(soon, make_client(world.a, "Ada Lovelace"))
    response = login_as(world.a.instructor).get(reverse("staff:instructor_dashboard"))
    days = response.context["classes"].upcoming
    assert [s.pk for day in days for s in day.sessions] == [soon.pk, later.pk]
    assert days[0].day < days[1].day
    page = response.content.decode()
    assert "1/10" in page and "alpha Main" in page and "Reformer Flow" in page


def test_it_marks_today_at_the_top(world, login_as):
    start = timezone.now() + dt.timedelta(minutes=5)
    make_session(world.a, starts_at=start)
    response = login_as(world.a.instructor).get(reverse("staff:instructor_dashboard"))
    first = response.context["classes"].upcoming[0]
    local_day = start.astimezone(zoneinfo.ZoneInfo("America/New_York")).date()
    assert first.day == local_day
    assert first.is_today == (local_day == response.context["classes"].today)


def test_it_shows_an_empty_state_without_classes(world, login_as):
    page = login_as(world.a.instructor).get(reverse("staff:instructor_dashboard")).content.decode()
    assert "No classes in the next 30 days" in page


def test_it_summarises_attendance_of_past_classes(world, login_as):
    past = make_session(world.a, starts_at=timezone.now() - dt.timedelta(days=1))
    add_booking(past, make_client(world.a, "A One"), status="attended")
    add_booking(past, make_client(world.a, "B Two"), status="attended", is_late=True)
    add_booking(past, make_client(world.a, "C Three"), status="no_show")
    add_booking(past, make_client(world.a, "D Four"), status="cancelled")
    unmarked = add_booking(past, make_client(world.a, "E Five"))
    client = login_as(world.a.instructor)
    response = client.get(reverse("staff:instructor_dashboard") + "?view=past", **HTMX)
    [item] = response.context["classes"].past
    assert (item.attended, item.late, item.no_show, item.cancelled, item.unmarked) == (
        2,
        1,
        1,
        1,
        1,
    )
    assert item.status == "incomplete"
    assert "1 not marked" in response.content.decode()
    Booking.objects.filter(pk=unmarked.pk).update(status="attended")
    response = client.get(reverse("staff:instructor_dashboard") + "?view=past", **HTMX)
    assert response.context["classes"].past[0].status == "complete"
    assert "Complete" in response.content.decode()


@pytest.mark.parametrize("count", [1, 12])
def test_it_lists_my_classes_in_a_fixed_number_of_queries(
    world, login_as, django_assert_num_queries, count
):
    for i in range(count):
        session = make_session(world.a, starts_at=timezone.now() + dt.timedelta(days=i, hours=1))
        add_booking(session, make_client(world.a, f"Client {i}"))
    client = login_as(world.a.instructor)
    # session, user, memberships, classes
    with django_assert_num_queries(4):
        client.get(reverse("staff:instructor_dashboard"), **HTMX)
    with django_assert_num_queries(4):
        client.get(reverse("staff:instructor_dashboard") + "?view=past", **HTMX)


# -------------------------------------------------------------------------------- roster


def test_it_shows_the_roster_with_status_spot_and_attendance(world, login_as, session_a):
    ada = add_booking(session_a, make_client(world.a, "Ada Lovelace"), spot=world.a.spots[2])
    add_booking(session_a, make_client(world.a, "Grace Hopper"), status="no_show")
    add_booking(session_a, make_client(world.a, "Gone Away"), status="cancelled")
    add_waiting(session_a, make_client(world.a, "Wanda First"), minutes_ago=10)
    add_waiting(session_a, make_client(world.a, "Will Second"), minutes_ago=5)
    response = _roster(login_as(world.a.instructor), session_a)
    roster = response.context["roster"]
    assert [b.client.name for b in roster.bookings] == ["Ada Lovelace", "Grace Hopper"]
    assert [(e.position, e.client.name) for e in roster.waitlist] == [
        (1, "Wanda First"),
        (2, "Will Second"),
    ]
    page = response.content.decode()
    assert f'id="booking-{ada.pk}"' in page
    assert "Reformer 3" in page and "Booked · not marked" in page and "No-show" in page
    assert (
        page.index("Grace Hopper") < page.index('id="waitlist-title"') < page.index("Wanda First")
    )
    assert "Cancelled bookings (1)" in page


def test_it_says_no_bookings_yet_with_the_waitlist_count(world, login_as, session_a):
    add_waiting(session_a, make_client(world.a, "Wanda First"))
    client = login_as(world.a.instructor)
    page = _roster(client, session_a).content.decode()
    assert "No bookings yet" in page
    assert "1 client on the waitlist" in page
    detail = client.get(reverse("staff:session_detail", args=[session_a.pk])).content.decode()
    assert 'name="private_notes"' in detail


def _times_out(*args, **kwargs):
    error = OperationalError("canceling statement due to statement timeout")
    error.__cause__ = pg_errors.QueryCanceled()
    raise error


def test_the_class_page_comes_with_its_roster(world, login_as, session_a):
    """The roster is the page's main content: in the first response, no htmx request after
    load; its own URL stays for sorting, live resyncs and the Retry."""
    ada = add_booking(session_a, make_client(world.a, "Ada Lovelace"), spot=world.a.spots[2])
    client = login_as(world.a.instructor)
    detail = client.get(reverse("staff:session_detail", args=[session_a.pk])).content.decode()
    roster_url = reverse("staff:session_roster", args=[session_a.pk])
    assert f'id="booking-{ada.pk}"' in detail and "Ada Lovelace" in detail
    tag = re.search(r'<div id="roster"[^>]*>', detail).group(0)
    assert 'data-hx-trigger="live:resync from:body"' in tag and "aria-busy" not in tag
    assert f'data-hx-get="{roster_url}" data-hx-trigger="load"' not in detail
    assert "roster__stats--skeleton" not in detail
    assert f'data-hx-get="{roster_url}?sort=name"' in detail  # sorting refetches the roster
    assert "Unable to load roster" in detail and "data-roster-retry" in detail
    assert f"session={session_a.pk}" in detail  # live updates for this roster


def test_the_class_page_opens_without_its_roster_when_it_times_out(
    world, login_as, session_a, monkeypatch
):
    """The roster's queries hit their timeout: the page still opens, with the roster's
    skeleton fetching it after load; a fetch that times out too answers 503 (the page then
    says "Unable to load roster" with a Retry)."""
    add_booking(session_a, make_client(world.a, "Ada Lovelace"))
    monkeypatch.setattr(instructor_views, "roster_for", _times_out)
    client = login_as(world.a.instructor)
    response = client.get(reverse("staff:session_detail", args=[session_a.pk]))
    assert response.status_code == 200
    detail = response.content.decode()
    roster_url = reverse("staff:session_roster", args=[session_a.pk])
    tag = re.search(r'<div id="roster"[^>]*>', detail).group(0)
    assert f'data-hx-get="{roster_url}" data-hx-trigger="load"' in tag and "aria-busy" in tag
    assert "Loading the roster" in detail and "Ada Lovelace" not in detail
    assert 'name="private_notes"' in detail  # the rest of the page is there
    assert _roster(client, session_a).status_code == 503
    by_name = client.get(reverse("staff:session_detail", args=[session_a.pk]), {"sort": "name"})
    assert f'data-hx-get="{roster_url}?sort=name" data-hx-trigger="load"' in by_name.text


def test_the_roster_runs_under_its_statement_timeout(world, login_as, session_a, monkeypatch):
    seen = []
    roster_for = instructor_views.roster_for

    def recording(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            seen.append(cursor.fetchone()[0])
        return roster_for(*args, **kwargs)

    monkeypatch.setattr(instructor_views, "roster_for", recording)
    client = login_as(world.a.instructor)
    client.get(reverse("staff:session_detail", args=[session_a.pk]))
    _roster(client, session_a)
    assert seen == [f"{instructor_views.ROSTER_TIMEOUT_MS // 1000}s"] * 2


def test_plain_roster_requests_go_to_the_class_page_in_their_order(world, login_as, session_a):
    add_booking(session_a, make_client(world.a, "Zed Last"), spot=world.a.spots[0])
    add_booking(session_a, make_client(world.a, "Amy First"), spot=world.a.spots[1])
    client = login_as(world.a.instructor)
    roster_url = reverse("staff:session_roster", args=[session_a.pk])
    detail_url = reverse("staff:session_detail", args=[session_a.pk])
    assert client.get(roster_url).url == detail_url
    response = client.get(f"{roster_url}?sort=name")
    assert response.status_code == 302 and response.url == f"{detail_url}?sort=name"
    by_name = client.get(response.url).content.decode()
    assert by_name.index("Amy First") < by_name.index("Zed Last")
    by_spot = client.get(f"{detail_url}?sort=nonsense").content.decode()
    assert by_spot.index("Zed Last") < by_spot.index("Amy First")


@pytest.mark.parametrize("count", [2, 20])
def test_it_loads_the_roster_in_a_fixed_number_of_queries(
    world, login_as, django_assert_num_queries, count
):
    session = make_session(world.a, capacity=25, starts_at=in_two_hours())
    for i in range(count):
        add_booking(
            session,
            make_client(world.a, f"Client {i}"),
            spot=world.a.spots[i % 10] if i < 10 else None,
        )
        add_waiting(session, make_client(world.a, f"Waiter {i}"))
    client = login_as(world.a.instructor)
    # session, user, memberships, class, bookings, waitlist; plus the statement timeout's
    # SET LOCAL inside a savepoint and its release (a transaction of its own in production)
    with django_assert_num_queries(9):
        _roster(client, session)


def test_the_class_page_with_its_roster_takes_as_many_queries_for_2_or_20(world, login_as):
    client = login_as(world.a.instructor)
    counts = []
    for hours, size in ((0, 2), (1, 20)):
        starts_at = in_two_hours() + dt.timedelta(hours=hours)
        session = make_session(world.a, capacity=25, starts_at=starts_at)
        for i in range(size):
            add_booking(session, make_client(world.a, f"Client {size}-{i}"))
        client.get(reverse("staff:session_detail", args=[session.pk]))  # warm caches
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("staff:session_detail", args=[session.pk]))
        counts.append(len(queries))
    assert counts[0] == counts[1]


# ---------------------------------------------------------------------------- attendance


@pytest.fixture
def class_now(world):
    """A class that started 20 minutes ago (after the 10-minute grace)."""
    return make_session(world.a, starts_at=timezone.now() - dt.timedelta(minutes=20))


def test_it_marks_attended_and_rerenders_the_row(world, login_as, class_now):
    ada = make_client(world.a, "Ada Lovelace")
    add_booking(
        make_session(world.a, starts_at=timezone.now() - dt.timedelta(days=3)),
        ada,
        status="attended",
    )
    booking = add_booking(class_now, ada)
    response = login_as(world.a.instructor).post(
        reverse("staff:booking_attendance", args=[booking.pk]), {"status": "attended"}, **HTMX
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith(f'<li id="booking-{booking.pk}"')
    assert "2 classes attended" in page
    assert 'value="attended" aria-pressed="true"' in page
    assert "Ada Lovelace marked attended." in page  # the toast
    booking.refresh_from_db()
    assert booking.status == "attended"
    assert AuditEvent.objects.filter(
        code="bookings.booking.attended", subject_id=booking.pk
    ).exists()


def test_it_marks_a_no_show_and_undoes_it(world, login_as, class_now):
    booking = add_booking(class_now, make_client(world.a, "Grace Hopper"))
    client = login_as(world.a.front_desk)
    client.post(
        reverse("staff:booking_attendance", args=[booking.pk]), {"status": "no_show"}, **HTMX
    )
    booking.refresh_from_db()
    assert booking.status == "no_show"
    response = client.post(reverse("staff:booking_undo", args=[booking.pk]), **HTMX)
    assert "Booked · not marked" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def _oob(page: str, element_id: str) -> str:
    """The out-of-band element with this id in an htmx response."""
    match = re.search(rf'<(\w+) id="{element_id}"[^>]*data-hx-swap-oob="true".*?</\1>', page, re.S)
    assert match, f"no out-of-band #{element_id} in the response"
    return match[0]


def test_marking_a_row_sends_the_rosters_counts_and_check_in_all_along(world, login_as, class_now):
    # PHX-12: the counts and "Check in all unmarked" kept their page-load values.
    first = add_booking(class_now, make_client(world.a, "Grace Hopper"))
    add_booking(class_now, make_client(world.a, "Ada Lovelace"))
    client = login_as(world.a.front_desk)
    url = reverse("staff:booking_attendance", args=[first.pk])
    page = client.post(url, {"status": "attended"}, **HTMX).content.decode()
    stats = _oob(page, "roster-stats")
    assert '<dd data-stat="attended">1</dd>' in stats
    assert '<dd data-stat="booked">2/' in stats
    assert "Check in all unmarked" in _oob(page, "roster-checkin-all-slot")

    second = Booking.objects.get(session=class_now, client__user__name="Ada Lovelace")
    url = reverse("staff:booking_attendance", args=[second.pk])
    page = client.post(url, {"status": "no_show"}, **HTMX).content.decode()
    assert '<dd data-stat="no_show">1</dd>' in _oob(page, "roster-stats")
    assert "Check in all unmarked" not in _oob(page, "roster-checkin-all-slot")

    page = client.post(reverse("staff:booking_undo", args=[first.pk]), **HTMX).content.decode()
    assert '<dd data-stat="attended">0</dd>' in _oob(page, "roster-stats")
    assert "Check in all unmarked" in _oob(page, "roster-checkin-all-slot")


def test_it_records_late_arrivals_within_the_grace_period(world, login_as):
    session = make_session(world.a, starts_at=timezone.now() - dt.timedelta(minutes=4))
    booking = add_booking(session, make_client(world.a, "Lola Late"))
    response = login_as(world.a.instructor).post(
        reverse("staff:booking_attendance", args=[booking.pk]), {"status": "late"}, **HTMX
    )
    assert "Attended · late" in response.content.decode()
    booking.refresh_from_db()
    assert (booking.status, booking.is_late) == ("attended", True)


def test_it_explains_a_refused_mark_and_changes_nothing(world, login_as, session_a):
    booking = add_booking(session_a, make_client(world.a, "Early Bird"))
    response = login_as(world.a.instructor).post(
        reverse("staff:booking_attendance", args=[booking.pk]), {"status": "no_show"}, **HTMX
    )
    assert response.status_code == 422
    assert "once the class starts" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_it_refuses_marking_another_instructors_class(world, login_as, class_now):
    class_now.instructor = world.a.manager
    class_now.save()
    booking = add_booking(class_now, make_client(world.a, "Ada Lovelace"))
    response = login_as(world.a.instructor).post(
        reverse("staff:booking_attendance", args=[booking.pk]), {"status": "attended"}, **HTMX
    )
    assert response.status_code == 403
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_it_hides_another_organizations_booking(world, login_as):
    session = make_session(world.b, starts_at=timezone.now() - dt.timedelta(minutes=20))
    booking = add_booking(session, make_client(world.b, "Bea Other"))
    response = login_as(world.a.owner).post(
        reverse("staff:booking_attendance", args=[booking.pk]), {"status": "attended"}, **HTMX
    )
    assert response.status_code == 404
    booking.refresh_from_db()
    assert booking.status == "confirmed"


# --------------------------------------------------------------------------------- notes


@pytest.mark.parametrize("role", ["instructor", "manager", "owner"])
def test_it_saves_private_notes(world, login_as, session_a, role):
    response = login_as(world.a.members[role]).post(
        reverse("staff:session_notes", args=[session_a.pk]),
        {"private_notes": "Bring the jumpboards."},
        **HTMX,
    )
    assert response.status_code == 200
    assert "Saved" in response.content.decode()
    session_a.refresh_from_db()
    assert session_a.private_notes == "Bring the jumpboards."


@pytest.mark.parametrize("role", ["front_desk", "client"])
def test_it_keeps_notes_private_from_others(world, login_as, session_a, role):
    response = login_as(world.a.members[role]).post(
        reverse("staff:session_notes", args=[session_a.pk]), {"private_notes": "x"}, **HTMX
    )
    assert response.status_code == 403
    session_a.refresh_from_db()
    assert session_a.private_notes == ""
    if role == "front_desk":
        page = login_as(world.a.front_desk).get(
            reverse("staff:session_detail", args=[session_a.pk])
        )
        assert 'name="private_notes"' not in page.content.decode()


def test_it_refuses_overlong_notes(world, login_as, session_a):
    response = login_as(world.a.instructor).post(
        reverse("staff:session_notes", args=[session_a.pk]), {"private_notes": "x" * 5001}, **HTMX
    )
    assert response.status_code == 422
    assert "at most 5000 characters" in response.content.decode()


# ------------------------------------------------------------------------ front desk


def test_it_lists_todays_classes_at_my_studios(world, login_as):
    from reformer.core.timezones import local_day_bounds, local_today

    start, _ = local_day_bounds(local_today("America/New_York"), "America/New_York")
    mine = make_session(world.a, starts_at=start + dt.timedelta(hours=20))
    elsewhere = make_session(
        world.a, starts_at=start + dt.timedelta(hours=21), studio=world.a.other_studio
    )
    tomorrow = make_session(world.a, starts_at=start + dt.timedelta(days=1, hours=8))
    response = login_as(world.a.front_desk).get(reverse("staff:checkin"))
    assert [s.pk for s in response.context["checkin"].sessions] == [mine.pk]
    page = response.content.decode()
    assert reverse("staff:session_detail", args=[mine.pk]) in page
    owner_view = login_as(world.a.owner).get(reverse("staff:checkin"))
    assert {s.pk for s in owner_view.context["checkin"].sessions} == {mine.pk, elsewhere.pk}
    next_day = (local_today("America/New_York") + dt.timedelta(days=1)).isoformat()
    response = login_as(world.a.front_desk).get(
        reverse("staff:checkin") + f"?date={next_day}", **HTMX
    )
    assert [s.pk for s in response.context["checkin"].sessions] == [tomorrow.pk]


def test_it_finds_clients_by_name_or_email(world, login_as, session_a):
    make_client(world.a, "Ada Lovelace")
    make_client(world.b, "Ada Other")  # another organization
    client = login_as(world.a.front_desk)
    url = reverse("staff:session_book", args=[session_a.pk])
    response = client.get(url + "?q=ada", **HTMX)
    assert [m.name for m in response.context["results"]] == ["Ada Lovelace"]
    response = client.get(url + "?q=ada.lovelace@", **HTMX)
    assert [m.name for m in response.context["results"]] == ["Ada Lovelace"]


def test_it_books_a_client_into_the_class(world, login_as, session_a):
    ada = make_client(world.a, "Ada Lovelace")
    factories.ClientPackageFactory(client=ada)
    response = login_as(world.a.front_desk).post(
        reverse("staff:session_book", args=[session_a.pk]), {"client": ada.pk}, **HTMX
    )
    assert response.status_code == 200
    assert "Ada Lovelace is booked in." in response.content.decode()
    booking = Booking.objects.get(session=session_a, client=ada)
    assert booking.source == Booking.Source.STAFF


def test_it_explains_why_a_client_cannot_be_booked(world, login_as, session_a):
    ada = make_client(world.a, "Ada Lovelace")  # no package: no credits
    response = login_as(world.a.front_desk).post(
        reverse("staff:session_book", args=[session_a.pk]), {"client": ada.pk}, **HTMX
    )
    assert response.status_code == 422
    assert not Booking.objects.filter(client=ada).exists()


def test_it_refuses_booking_another_organizations_client(world, login_as, session_a):
    other = make_client(world.b, "Bea Other")
    response = login_as(world.a.front_desk).post(
        reverse("staff:session_book", args=[session_a.pk]), {"client": other.pk}, **HTMX
    )
    assert response.status_code == 404
    assert not Booking.objects.filter(client=other).exists()


def test_it_records_late_when_staff_say_so_even_past_grace(world, login_as, class_now):
    booking = add_booking(class_now, make_client(world.a, "Past Grace"))
    response = login_as(world.a.instructor).post(
        reverse("staff:booking_attendance", args=[booking.pk]), {"status": "late"}, **HTMX
    )
    assert "marked attended (late)" in response.content.decode()
    booking.refresh_from_db()
    assert (booking.status, booking.is_late) == ("attended", True)


@pytest.mark.parametrize("count", [1, 15])
def test_it_lists_the_day_for_check_in_in_a_fixed_number_of_queries(
    world, login_as, django_assert_num_queries, count
):
    from reformer.core.timezones import local_day_bounds, local_today

    start, _ = local_day_bounds(local_today("America/New_York"), "America/New_York")
    for i in range(count):
        make_session(world.a, starts_at=start + dt.timedelta(hours=6, minutes=60 * i))
    client = login_as(world.a.front_desk)
    # session, user, memberships, scope, studios, classes
    with django_assert_num_queries(6):
        response = client.get(reverse("staff:checkin"), **HTMX)
    assert len(response.context["checkin"].sessions) == count


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "not-a-date"])
def test_the_checkin_list_falls_back_to_today_on_an_unusable_date(world, login_as, day):
    from reformer.core.timezones import local_today

    response = login_as(world.a.front_desk).get(reverse("staff:checkin") + f"?date={day}")
    assert response.status_code == 200
    assert response.context["checkin"].day == local_today(world.a.organization.time_zone)
