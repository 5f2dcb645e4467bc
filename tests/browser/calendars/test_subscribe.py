"""PHX-24 in a real browser: a client subscribes to their calendar feed."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import icalendar
import pytest
from playwright.sync_api import expect

from reformer.bookings.models import Booking
from tests import factories

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("REFORMER_SCREENSHOTS")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.scenario("PHX-24", "Subscribe to booking calendar feed")
def test_a_client_subscribes_and_the_feed_has_their_class(page, world, login, assert_accessible):
    tenant = world.a
    session = factories.ClassSessionFactory(
        room=tenant.room, class_type=tenant.class_type, instructor=tenant.instructor
    )
    booking = Booking.objects.create(
        organization=tenant.organization,
        session=session,
        client=tenant.client,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
    )
    login(page, tenant.client.user)
    page.goto("/dashboard/")
    page.get_by_role("link", name="Subscribe to calendar").click()
    page.get_by_role("button", name="Create my calendar link").click()
    expect(page.get_by_role("status").first).to_contain_text("Your calendar link is ready")
    apple = page.get_by_role("link", name="Add to Apple Calendar")
    webcal = apple.get_attribute("href")
    assert webcal.startswith("webcal://127.0.0.1:")
    google = page.get_by_role("link", name="Add to Google Calendar").get_attribute("href")
    assert google.startswith("https://calendar.google.com/calendar/render?cid=webcal%3A%2F%2F")
    https_url = page.locator("[data-calendar-url]").input_value()
    assert https_url == "http://" + webcal.removeprefix("webcal://")
    assert_accessible(page)
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "calendar-1280.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(Path(SHOTS) / "calendar-390.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
    feed = page.request.get(https_url)
    assert feed.status == 200
    (event,) = icalendar.Calendar.from_ical(feed.body()).walk("VEVENT")
    assert str(event["UID"]) == f"booking-{booking.reference}@reformer.calendar"
    assert event["DTSTART"].dt == session.starts_at
    # Getting a new link turns the old one off.
    page.get_by_role("button", name="Get a new link").click()
    expect(page.get_by_role("status").first).to_contain_text("You have a new calendar link")
    dead = page.request.get(https_url)
    assert dead.status == 404
    assert b"This calendar link is no longer valid" in dead.body()  # and how to get a new one
    assert dt.timedelta(0) < (session.starts_at - booking.created_at)
