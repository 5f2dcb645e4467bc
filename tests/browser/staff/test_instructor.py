"""PHX-12 in a real browser: assigned classes, the roster, attendance, no bookings, a late
booking arriving live, and a roster that fails to load (with Retry)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reformer.bookings.models import Booking
from reformer.scheduling.models import ClassSession
from tests import factories
from tests.browser.staff.conftest import times_out_at_first
from tests.factories import make_session
from tests.web_staff.conftest import add_booking, add_waiting, make_client

pytestmark = pytest.mark.browser

NAMES = [
    "Ada Lovelace",
    "Grace Hopper",
    "Hedy Lamarr",
    "Joan Clarke",
    "Katherine Johnson",
    "Mary Jackson",
    "Radia Perlman",
    "Sophie Wilson",
]


@pytest.fixture
def todays_class(world):
    """A class of a's instructor that started 20 minutes ago, with 8 bookings and a waitlist
    of one, plus a class tomorrow."""
    session = make_session(world.a, starts_at=timezone.now() - dt.timedelta(minutes=20))
    for index, name in enumerate(NAMES):
        add_booking(session, make_client(world.a, name), spot=world.a.spots[index])
    ClassSession.objects.filter(pk=session.pk).update(capacity=8)
    add_waiting(session, make_client(world.a, "Wanda Waiting"))
    tomorrow = make_session(world.a, starts_at=timezone.now() + dt.timedelta(days=1))
    return session, tomorrow


@pytest.mark.scenario("PHX-12", "View assigned classes")
@pytest.mark.scenario("PHX-12", "View class roster")
@pytest.mark.scenario("PHX-12", "Mark attendance")
def test_it_shows_my_classes_and_marks_attendance_on_a_tablet(
    world, todays_class, tablet, login, assert_accessible
):
    session, _tomorrow = todays_class
    page = tablet
    login(page, world.a.instructor.user)
    page.goto("/staff/")  # instructors land on their classes
    expect(page).to_have_url(re.compile(r"/staff/classes/$"))
    expect(page.get_by_role("heading", name="My classes")).to_be_visible()
    cards = page.locator(".class-card")
    expect(cards).to_have_count(2)
    expect(cards.first).to_contain_text("8/8")
    expect(cards.first).to_contain_text("alpha Main")
    assert_accessible(page)

    cards.first.get_by_role("link").click()
    rows = page.locator(".roster-row")
    expect(rows).to_have_count(8)
    expect(page.locator(".waitlist__item")).to_have_text(re.compile("1\\s+Wanda Waiting"))
    assert_accessible(page)

    row = rows.filter(has_text="Ada Lovelace")
    attended = row.get_by_role("button", name="Attended")
    box = attended.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44  # tablet-sized targets
    attended.click()
    expect(row.get_by_role("button", name="Attended")).to_have_attribute("aria-pressed", "true")
    expect(row).to_contain_text("1 class attended")
    expect(page.locator("#toasts")).to_contain_text("Ada Lovelace marked attended.")
    booking = Booking.objects.get(session=session, client__user__name="Ada Lovelace")
    assert booking.status == "attended"

    row = page.locator(".roster-row").filter(has_text="Grace Hopper")
    row.get_by_role("button", name="No-show").click()
    expect(row.get_by_role("button", name="No-show")).to_have_attribute("aria-pressed", "true")
    row.get_by_role("button", name="Undo").click()
    expect(row).to_contain_text("Booked · not marked")
    assert Booking.objects.get(pk=row_booking_id(row)).status == "confirmed"

    page.get_by_label("Notes for this class").fill("Two reformers need new springs.")
    page.get_by_role("button", name="Save notes").click()
    expect(page.locator(".notes-status")).to_contain_text("Saved")
    session.refresh_from_db()
    assert session.private_notes == "Two reformers need new springs."

    page.goto("/staff/classes/?view=past")
    expect(page.locator(".class-card--past")).to_contain_text("1 attended")
    expect(page.locator(".class-card--past")).to_contain_text("7 not marked")
    assert_accessible(page)


def row_booking_id(row) -> int:
    return int(row.get_attribute("id").removeprefix("booking-"))


@pytest.mark.scenario("PHX-12", "View class with no bookings")
@pytest.mark.scenario("PHX-12", "Handle late booking during class")
def test_it_shows_no_bookings_yet_and_a_late_booking_live(
    world, tablet, browser, live_url, login, assert_accessible
):
    # The booking engine closes booking at the start, so "late" is the last minutes before it.
    session = make_session(world.a, starts_at=timezone.now() + dt.timedelta(minutes=3))
    add_waiting(session, make_client(world.a, "Wanda Waiting"))
    page = tablet
    login(page, world.a.instructor.user)
    page.goto(f"/staff/classes/{session.pk}/")
    expect(page.get_by_text("No bookings yet")).to_be_visible()
    expect(page.get_by_text("1 client on the waitlist.")).to_be_visible()
    expect(page.get_by_label("Notes for this class")).to_be_editable()
    assert_accessible(page)
    page.wait_for_function("() => window.__wsOpen === true")

    latecomer = make_client(world.a, "Lola Latecomer")
    factories.ClientPackageFactory(client=latecomer)
    # The client books on their phone, through the client pages.
    phone = browser.new_context(base_url=live_url, viewport={"width": 390, "height": 844})
    try:
        client_page = phone.new_page()
        login(client_page, latecomer.user)
        client_page.goto(f"/classes/{session.pk}/book/")
        client_page.get_by_role("button", name="Confirm booking").click()
        expect(client_page.get_by_text("You're booked!")).to_be_visible()
    finally:
        phone.close()

    expect(page.locator("#toasts")).to_contain_text("New booking: Lola Latecomer", timeout=20_000)
    expect(page.locator(".roster-row")).to_have_count(1)
    expect(page.locator(".roster-row")).to_contain_text("Lola Latecomer")
    expect(page.locator("[data-stat=booked]")).to_have_text("1/10")


def test_the_roster_comes_with_the_page_without_a_request_after_load(world, tablet, login):
    session = make_session(world.a, starts_at=timezone.now() + dt.timedelta(hours=1))
    add_booking(session, make_client(world.a, "Ada Lovelace"))
    page = tablet
    login(page, world.a.instructor.user)
    fetched = []
    page.on("request", lambda request: "/roster/" in request.url and fetched.append(request))
    page.goto(f"/staff/classes/{session.pk}/")
    expect(page.locator(".roster-row")).to_contain_text("Ada Lovelace")
    page.wait_for_load_state("networkidle")
    assert fetched == []
    page.get_by_role("link", name="By name").click()  # a refresh still fetches the fragment
    expect(page.get_by_role("link", name="By name")).to_have_attribute("aria-current", "true")
    assert len(fetched) == 1


@pytest.mark.scenario("PHX-12", "Handle roster load failure")
def test_it_fetches_the_roster_after_the_page_when_it_times_out(world, tablet, login, monkeypatch):
    """The page's roster timed out; its skeleton fetches it once the page is up."""
    session = make_session(world.a, starts_at=timezone.now() + dt.timedelta(hours=1))
    add_booking(session, make_client(world.a, "Ada Lovelace"))
    times_out_at_first(monkeypatch, 1)
    page = tablet
    login(page, world.a.instructor.user)
    page.goto(f"/staff/classes/{session.pk}/")
    expect(page.locator(".roster-row")).to_contain_text("Ada Lovelace")
    expect(page.locator("#roster")).not_to_have_attribute("aria-busy", "true")
    expect(page.get_by_text("Unable to load roster")).to_be_hidden()


@pytest.mark.scenario("PHX-12", "Handle roster load failure")
@pytest.mark.parametrize("failure", ["network", "timeout"])
def test_it_offers_retry_when_the_roster_cannot_load(world, tablet, login, monkeypatch, failure):
    """The page's roster timed out, and so did its later fetch (503) or the network failed."""
    session = make_session(world.a, starts_at=timezone.now() + dt.timedelta(hours=1))
    add_booking(session, make_client(world.a, "Ada Lovelace"))
    times_out_at_first(monkeypatch, 1 if failure == "network" else 2)
    page = tablet
    login(page, world.a.instructor.user)
    if failure == "network":
        page.route(re.compile(r".*/roster/$"), lambda route: route.abort())
    page.goto(f"/staff/classes/{session.pk}/")
    expect(page.get_by_text("Unable to load roster")).to_be_visible()
    retry = page.get_by_role("button", name="Retry")
    expect(retry).to_be_visible()

    # The rest of the page still works: notes save, other classes are one click away.
    page.get_by_label("Notes for this class").fill("Check the straps.")
    page.get_by_role("button", name="Save notes").click()
    expect(page.locator(".notes-status")).to_contain_text("Saved")
    expect(page.get_by_role("link", name="My classes").first).to_be_visible()

    if failure == "network":
        page.unroute(re.compile(r".*/roster/$"))
    retry.click()
    expect(page.locator(".roster-row")).to_contain_text("Ada Lovelace")
    expect(page.get_by_text("Unable to load roster")).to_be_hidden()
