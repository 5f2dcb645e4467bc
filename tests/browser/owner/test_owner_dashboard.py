"""PHX-13 in a real browser: metrics, filters, the live chart, schedule, instructors, CSV."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from reformer.bookings.models import Booking
from reformer.core.timezones import local_today, to_local
from reformer.scheduling.models import ClassSession
from tests import factories

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _session(tenant, room, starts_at, capacity=10, instructor=None):
    return factories.ClassSessionFactory(
        room=room,
        class_type=tenant.class_type,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=50),
        capacity=capacity,
        instructor=instructor,
    )


def _book(tenant, session, statuses):
    """Bookings written directly (history): statuses in order, one new client each."""
    for status in statuses:
        client = factories.MembershipFactory(organization=tenant.organization, role="client")
        Booking.objects.create(
            organization=tenant.organization,
            session=session,
            client=client,
            starts_at=session.starts_at,
            ends_at=session.ends_at,
            status=status,
        )
    held = sum(status in Booking.HOLDING for status in statuses)
    ClassSession.objects.filter(pk=session.pk).update(booked_count=held)


@pytest.fixture
def history(world):
    """Yesterday-ish classes in both studios of tenant a (inside "Last 30 days")."""
    past = timezone.now().replace(microsecond=0) - dt.timedelta(hours=30)
    annex_room = factories.RoomFactory(studio=world.a.other_studio, capacity=5)
    main = _session(world.a, world.a.room, past)
    annex = _session(world.a, annex_room, past - dt.timedelta(hours=3), capacity=5)
    _book(world.a, main, ["attended", "attended", "no_show", "cancelled"])
    _book(world.a, annex, ["attended"])
    return {"main": main, "annex": annex}


LAST_30 = "/owner/?range=last_30_days"


def _card(page, key):
    return page.locator(f'[data-metric="{key}"] .metric-card__value')


@pytest.mark.scenario("PHX-13", "View studio performance metrics")
@pytest.mark.scenario("PHX-13", "View dashboard for multiple studios")
def test_it_shows_the_metrics_and_filters_them(page, login, world, history, assert_accessible):
    login(page, world.a.owner.user)
    page.goto(LAST_30)
    expect(_card(page, "bookings")).to_have_text("4")
    expect(_card(page, "attendance")).to_have_text("75.0%")  # 3 of 4
    expect(_card(page, "utilisation")).to_have_text("26.7%")  # 4 of 15
    expect(_card(page, "revenue")).to_have_text("$0.00")
    comparison = page.locator(".owner-comparison")
    expect(comparison).to_contain_text("alpha Main")
    expect(comparison).to_contain_text("alpha Annex")
    # The chart is drawn once it comes near the screen.
    page.locator("#owner-chart").scroll_into_view_if_needed()
    expect(page.locator("#owner-chart canvas")).to_be_visible()
    expect(page.locator("#owner-chart")).to_have_attribute("data-drawn", "true")
    assert_accessible(page)

    page.select_option("#filter-studio", label="alpha Annex")
    page.click("text=Apply")
    expect(page).to_have_url(re.compile(rf"studio={world.a.other_studio.pk}"))
    expect(_card(page, "bookings")).to_have_text("1")
    expect(_card(page, "revenue")).to_have_text("$0.00")  # revenue is per studio now
    expect(page.locator(".owner-comparison")).to_have_count(0)

    # A custom range that holds nothing: picking a date selects "Custom range".
    page.fill("#filter-from", "2020-01-01")
    page.fill("#filter-to", "2020-01-31")
    expect(page.locator("#filter-range")).to_have_value("custom")
    page.click("text=Apply")
    expect(page).to_have_url(re.compile(r"range=custom&from=2020-01-01&to=2020-01-31"))
    expect(_card(page, "bookings")).to_have_text("0")
    expect(_card(page, "attendance")).to_have_text("No data")


@pytest.mark.scenario("PHX-13", "View booking trends chart")
def test_it_toggles_daily_weekly_and_monthly_views(page, login, world, history):
    login(page, world.a.owner.user)
    page.goto("/owner/")
    chart = page.locator("#owner-chart")
    expect(chart).to_have_attribute("data-interval", "day")
    page.get_by_role("button", name="Weekly").click()
    expect(chart).to_have_attribute("data-interval", "week")
    expect(page).to_have_url(re.compile(r"interval=week"))
    page.get_by_role("button", name="Monthly").click()
    expect(chart).to_have_attribute("data-interval", "month")
    page.locator(".owner-chart__table summary").click()
    # The chart covers the cards' period: this month is one month.
    expect(page.locator(".owner-chart__table tbody tr")).to_have_count(1)
    page.go_back()
    page.reload()
    expect(chart).to_have_attribute("data-interval", "week")


@pytest.mark.scenario("PHX-13", "View booking trends chart")
def test_it_moves_the_chart_live_when_a_booking_is_made(page, login, world):
    future = timezone.now().replace(microsecond=0) + dt.timedelta(days=2)
    session = _session(world.a, world.a.room, future)
    factories.ClientPackageFactory(client=world.a.client)
    login(page, world.a.owner.user)
    page.goto("/owner/")
    chart = page.locator("#owner-chart")
    expect(chart).to_have_attribute("data-total", "0")
    expect(page.locator("body")).to_have_attribute("data-owner-live", "open")
    time.sleep(0.3)  # the consumer joins its groups just after the socket opens

    errors: list[BaseException] = []

    def book() -> None:
        from reformer.bookings.actions import book_session

        try:
            book_session(world.a.client, session)
        except BaseException as error:  # surfaced in the main thread below
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=book)
    thread.start()
    thread.join(timeout=20)
    assert not errors, errors
    # The class is in this month's chart (or next month's, near the month's end).
    if (
        to_local(session.starts_at, "America/New_York").month
        == local_today("America/New_York").month
    ):
        expect(chart).to_have_attribute("data-total", "1", timeout=10_000)
    expect(_card(page, "bookings")).to_have_text("1")


@pytest.mark.scenario("PHX-13", "View dashboard with no data")
def test_it_welcomes_a_new_studio_with_onboarding(page, login, world, assert_accessible):
    login(page, world.b.owner.user)
    page.goto("/owner/")
    expect(page.get_by_role("heading", name="No data yet")).to_be_visible()
    expect(_card(page, "bookings")).to_have_text("0")
    expect(_card(page, "attendance")).to_have_text("No data")
    expect(page.get_by_role("link", name="Invite clients")).to_be_visible()
    expect(page.get_by_role("link", name="Invite instructors")).to_be_visible()
    expect(page.get_by_text("No classes in the next 7 days")).to_be_visible()
    assert_accessible(page)


@pytest.mark.scenario("PHX-13", "Handle metric calculation timeout")
def test_it_shows_loading_data_while_a_panel_is_slow(page, login, world, monkeypatch):
    """The cards' queries time out while the page is served: the page opens anyway with
    "Loading data...", and the panel fetches itself again a moment later."""
    from django.db import OperationalError
    from psycopg import errors as pg_errors

    from reformer.analytics import queries

    summary = queries.summary
    calls = {"count": 0}

    def times_out_once(*args, **kwargs):
        calls["count"] += 1
        if calls["count"] == 1:
            error = OperationalError("canceling statement due to statement timeout")
            error.__cause__ = pg_errors.QueryCanceled()
            raise error
        return summary(*args, **kwargs)

    monkeypatch.setattr(queries, "summary", times_out_once)
    login(page, world.a.owner.user)
    page.goto("/owner/")
    expect(page.locator("#metrics-panel .owner-loading")).to_have_text(
        re.compile("Loading data...")
    )
    expect(page.locator("#owner-chart")).to_have_attribute("data-total", "0")  # unaffected
    expect(_card(page, "bookings")).to_have_text("0", timeout=10_000)


def test_it_lists_the_upcoming_schedule_across_studios(page, login, world):
    soon = timezone.now().replace(microsecond=0) + dt.timedelta(hours=5)
    annex_room = factories.RoomFactory(studio=world.a.other_studio, capacity=5)
    _session(world.a, world.a.room, soon, instructor=world.a.instructor)
    _session(world.a, annex_room, soon + dt.timedelta(days=1))
    for n in range(10):
        _session(world.a, world.a.room, soon + dt.timedelta(days=2, hours=n))
    login(page, world.a.owner.user)
    page.goto("/owner/")
    rows = page.locator("#schedule-panel tbody tr")
    expect(rows).to_have_count(10)
    expect(rows.first).to_contain_text("alpha instructor")
    expect(page.locator("#schedule-panel")).to_contain_text("alpha Annex")
    page.get_by_role("link", name="Next").click()
    expect(rows).to_have_count(2)
    expect(page.locator("#schedule-panel")).to_contain_text("Page 2 of 2")


@pytest.mark.scenario("PHX-13", "Manage instructors")
def test_it_manages_instructors(page, login, world, assert_accessible):
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=1)
    _session(world.a, world.a.room, start, instructor=world.a.instructor)
    login(page, world.a.owner.user)
    page.goto("/owner/")
    page.get_by_role("link", name="Manage instructors").click()
    row = page.locator(f"#instructor-{world.a.instructor.pk}")
    expect(row).to_contain_text("alpha instructor")
    expect(row.locator("[data-upcoming]")).to_have_text("1")
    assert_accessible(page)

    page.fill("#invite-email", "new.teacher@example.com")
    page.get_by_label("alpha Annex").check()
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator("#toasts")).to_contain_text("Invitation sent to new.teacher@example.com")
    expect(page.locator(".owner-invitations")).to_contain_text("new.teacher@example.com")

    row.get_by_role("link", name=re.compile("Edit")).click()
    page.fill("textarea[name=bio]", "Reformer since 2010.")
    page.get_by_label("alpha Annex").check()
    assert_accessible(page)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#toasts")).to_contain_text("Saved alpha instructor")
    expect(row).to_contain_text("alpha Annex")

    # They still teach a class: a page counts it and links it, and cancels nothing.
    row.get_by_role("link", name=re.compile("Deactivate")).click()
    expect(page.locator("main")).to_contain_text("teaches 1 upcoming class")
    assert_accessible(page)
    page.get_by_role("button", name="Deactivate alpha instructor").click()
    expect(page.locator("#toasts")).to_contain_text("was deactivated")
    expect(row).to_have_count(0)
    inactive = page.locator(f"#inactive-instructor-{world.a.instructor.pk}")
    expect(inactive).to_contain_text("alpha instructor")
    inactive.get_by_role("button", name=re.compile("Reactivate")).click()
    expect(page.locator("#toasts")).to_contain_text("was reactivated")
    expect(row).to_contain_text("alpha instructor")
    expect(inactive).to_have_count(0)


def test_it_downloads_the_metrics_as_csv(page, login, world, history):
    login(page, world.a.owner.user)
    page.goto(LAST_30)
    with page.expect_download() as info:
        page.get_by_role("link", name="Export CSV").click()
    text = Path(info.value.path()).read_text()
    assert text.startswith("period_start,period_end,time_zone,studio,bookings")
    assert "All studios" in text
    with page.expect_download() as info:
        page.get_by_role("link", name="Export daily CSV").click()
    assert len(Path(info.value.path()).read_text().strip().splitlines()) == 31


def test_it_limits_a_manager_to_their_studio(page, login, world, history):
    login(page, world.a.manager.user)
    page.goto(LAST_30)
    expect(_card(page, "bookings")).to_have_text("3")
    expect(page.locator("#filter-studio option")).to_have_count(1)
    page.goto(f"/owner/?studio={world.a.other_studio.pk}")
    expect(page.get_by_role("heading", name="You cannot open this page")).to_be_visible()


def test_it_refuses_front_desk_with_an_accessible_page(page, login, world, assert_accessible):
    login(page, world.a.front_desk.user)
    response = page.goto("/owner/")
    assert response.status == 403
    assert_accessible(page)
