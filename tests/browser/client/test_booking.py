"""PHX-10 in a real browser: the booking dialog, spot picking, the confirmation page and its
calendar file, and every refusal: full, no credits, already booked, busy, timed out."""

from __future__ import annotations

import re
from pathlib import Path

import icalendar
import pytest
from playwright.sync_api import expect

from reformer.bookings.models import Booking
from reformer.core.errors import Busy
from reformer.notifications.models import Message
from tests import factories
from tests.browser.client.conftest import settled, wait_live
from tests.web_client.helpers import book, fill, later_today, package_for

pytestmark = pytest.mark.browser


@pytest.fixture
def session(world):
    return later_today(world.a, minutes=180, instructor=world.a.instructor)


def _open_dialog(page, session):
    page.goto("/classes/")
    page.locator(f"#session-{session.pk}").get_by_role("link", name=re.compile("^Book")).click()
    dialog = page.get_by_role("dialog", name="Book Reformer Flow")
    expect(dialog).to_be_visible()
    return dialog


@pytest.mark.scenario("PHX-10", "Book a class with available spots")
@pytest.mark.scenario("PHX-10", "View booking confirmation details")
def test_it_books_a_picked_spot_and_confirms(as_client, world, session, assert_accessible):
    package = package_for(world.a.client, remaining=7)
    page = as_client
    dialog = _open_dialog(page, session)
    expect(dialog).to_contain_text("Tuesday 4 March 2031, 12:00")
    expect(dialog).to_contain_text("alpha instructor")
    expect(dialog).to_contain_text(f"1 credit from your {package.product.name} (7 of 10 left")
    expect(dialog).to_contain_text("This class starts within 12 hours")
    assert_accessible(page)
    dialog.get_by_role("radio", name="Reformer 6").check()
    dialog.get_by_role("button", name="Confirm booking").click()

    expect(page.get_by_text("You're booked!")).to_be_visible()
    booking = Booking.objects.get(session=session, client=world.a.client)
    expect(page).to_have_url(re.compile(rf"/bookings/{booking.reference}/\?new=1$"))
    expect(
        page.get_by_text("We've emailed your confirmation to client@alpha.example.com")
    ).to_be_visible()
    for text in (
        booking.reference,
        "Reformer 6",
        "alpha Main",
        "1 Main Street",
        "alpha instructor",
    ):
        expect(page.locator("main")).to_contain_text(text)
    expect(page.get_by_role("link", name="Cancel this booking")).to_be_visible()
    assert Message.objects.filter(kind="booking_confirmed", recipient=world.a.client.user).exists()
    package.refresh_from_db()
    assert package.credits_remaining == 6
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Add to calendar").click()
    download = download_info.value
    assert download.suggested_filename == f"class-{booking.reference}.ics"
    (event,) = icalendar.Calendar.from_ical(Path(download.path()).read_bytes()).walk("VEVENT")
    assert str(event["UID"]) == f"booking-{booking.reference}@reformer.calendar"


def test_it_is_operable_with_the_keyboard_and_returns_focus(as_client, world, session):
    package_for(world.a.client)
    page = as_client
    page.goto("/classes/")
    book_link = page.locator(f"#book-{session.pk}")
    book_link.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Book Reformer Flow")
    expect(dialog).to_be_visible()
    for _ in range(20):  # focus stays inside the modal dialog
        page.keyboard.press("Tab")
        assert page.evaluate(
            "document.getElementById('book-dialog').contains(document.activeElement)"
        )
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(book_link).to_be_focused()
    # "Not now" closes it too, and focus comes back the same way.
    book_link.click()
    page.get_by_role("button", name="Not now").click()
    expect(page.locator("#book-dialog")).to_have_count(0)
    expect(book_link).to_be_focused()


def test_it_books_once_on_a_double_click(as_client, world, session):
    package = package_for(world.a.client)
    page = as_client
    dialog = _open_dialog(page, session)
    dialog.get_by_role("button", name="Confirm booking").dblclick()
    expect(page.get_by_text("You're booked!")).to_be_visible()
    assert Booking.objects.filter(session=session).count() == 1
    package.refresh_from_db()
    assert package.credits_remaining == 9


def test_it_updates_taken_spots_in_an_open_dialog(as_client, world, session):
    package_for(world.a.client)
    page = as_client
    # The spot map refreshes itself inside the booking form: it must not inherit the form's
    # hx-disabled-elt (htmx logs "returned no matches" for a selector relative to the map).
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    dialog = _open_dialog(page, session)
    wait_live(page)
    spot = dialog.get_by_role("radio", name="Reformer 3")
    expect(spot).to_be_enabled()
    neighbour = factories.MembershipFactory(organization=world.a.organization, role="client")
    package_for(neighbour)
    book(neighbour, session, spot=world.a.spots[2])
    expect(
        dialog.get_by_role("radio", name=re.compile(r"^Reformer 3, row \d+, taken$"))
    ).to_be_disabled(timeout=1500)
    expect(dialog).to_contain_text("9 of 10 free")
    assert not [text for text in errors if "hx-disabled-elt" in text], errors


@pytest.mark.scenario("PHX-10", "Attempt to book when class becomes full")
def test_it_offers_the_waitlist_when_the_class_just_filled_up(as_client, world, session):
    package = package_for(world.a.client)
    page = as_client
    dialog = _open_dialog(page, session)
    fill(session, world.a)  # everyone else was quicker
    dialog.get_by_role("button", name="Confirm booking").click()
    expect(dialog.get_by_text("This class just filled up.")).to_be_visible()
    expect(dialog.get_by_text("Nothing was charged.")).to_be_visible()
    settled(page)
    dialog.get_by_role("button", name="Join the waitlist").click()
    expect(dialog.get_by_text("You're on the waitlist")).to_be_visible()
    expect(dialog).to_contain_text("number 1 in line")
    package.refresh_from_db()
    assert package.credits_remaining == 10
    settled(page)
    dialog.get_by_role("button", name="Done").click()
    card = page.locator(f"#session-{session.pk}")
    expect(card).to_contain_text("On waitlist · #1", timeout=1500)


@pytest.mark.scenario("PHX-10", "Book with insufficient package credits")
def test_it_shows_packages_to_buy_without_credits(as_client, world, session, assert_accessible):
    package_for(world.a.client, remaining=0)
    factories.PackageProductFactory(organization=world.a.organization, name="Five Pack", credits=5)
    page = as_client
    dialog = _open_dialog(page, session)
    expect(dialog.get_by_text(re.compile("^Insufficient credits"))).to_be_visible()
    expect(dialog.get_by_text("Five Pack")).to_be_visible()
    expect(dialog.get_by_role("button", name="Confirm booking")).to_have_count(0)
    assert_accessible(page)
    assert not Booking.objects.filter(session=session).exists()


@pytest.mark.scenario("PHX-10", "Handle duplicate booking attempt")
def test_it_shows_the_existing_booking_instead_of_booking_twice(as_client, world, session):
    package_for(world.a.client)
    page = as_client
    dialog = _open_dialog(page, session)
    existing = book(world.a.client, session)  # booked meanwhile in another tab
    dialog.get_by_role("button", name="Confirm booking").click()
    expect(dialog.get_by_text("You have already booked this class.")).to_be_visible()
    dialog.get_by_role("link", name="View your booking").click()
    expect(page).to_have_url(re.compile(rf"/bookings/{existing.reference}/$"))


def test_it_says_busy_and_lets_the_client_try_again(as_client, world, session, monkeypatch):
    from reformer.web.client.views import booking as views

    real = views.book_session
    monkeypatch.setattr(views, "book_session", lambda *a, **k: (_ for _ in ()).throw(Busy()))
    package_for(world.a.client)
    page = as_client
    dialog = _open_dialog(page, session)
    dialog.get_by_role("button", name="Confirm booking").click()
    expect(
        dialog.get_by_text("The studio is busy right now. Please try again in a moment.")
    ).to_be_visible()
    monkeypatch.setattr(views, "book_session", real)
    settled(page)
    dialog.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_text("You're booked!")).to_be_visible()


@pytest.mark.scenario("PHX-10", "Handle booking timeout")
def test_it_times_out_a_slow_booking_and_books_on_retry(as_client, world, session):
    package_for(world.a.client)
    page = as_client
    dialog = _open_dialog(page, session)
    # The dialog allows 30 s; this test shortens it and holds the request back for longer.
    page.locator("[data-book-form]").evaluate(
        "form => form.setAttribute('data-hx-request', '{\"timeout\": 300}')"
    )
    held = []  # the request never reaches the studio: nothing is booked
    page.route(f"**/classes/{session.pk}/book/", lambda route: held.append(route))
    confirm = dialog.get_by_role("button", name="Confirm booking")
    confirm.click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "The booking timed out and was not completed. Please try again."
    )
    expect(confirm).to_be_enabled()
    held[0].abort()
    page.unroute(f"**/classes/{session.pk}/book/")
    assert not Booking.objects.filter(session=session).exists()
    # The retry gets the dialog's own 30 s again: 300 ms is too short on a busy machine.
    page.locator("[data-book-form]").evaluate(
        "form => form.setAttribute('data-hx-request', '{\"timeout\": 30000}')"
    )
    confirm.click()
    expect(page.get_by_text("You're booked!")).to_be_visible()
