"""The booking flow at phone and desktop widths: a class overlapping one of the client's
bookings says so and offers the switch; the room map is picked with the arrow keys; the
confirmation leads with calendar, directions and arrival. Screenshots go to /tmp."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from reformer.bookings.models import Booking
from tests import factories
from tests.browser.client.conftest import settled
from tests.web_client.helpers import book, package_for, session_at

pytestmark = pytest.mark.browser

WIDTHS = [390, 1280]


def _at(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 844 if width < 500 else 900})


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.fixture
def evening(world):
    """Tomorrow 17:30 Reformer Foundations, booked; a Tower class at 17:45 in another room."""
    a = world.a
    foundations = factories.ClassTypeFactory(
        organization=a.organization, name="Reformer Foundations"
    )
    tower = factories.ClassTypeFactory(organization=a.organization, name="Tower", colour="#8f3b6e")
    booked = session_at(
        a, day=1, hour=17, minute=30, class_type=foundations, instructor=a.instructor
    )
    other = session_at(
        a, day=1, hour=17, minute=45, class_type=tower, room=factories.RoomFactory(studio=a.studio)
    )
    package_for(a.client)
    return booked, other, book(a.client, booked)


@pytest.mark.parametrize("width", WIDTHS)
def test_an_overlapping_class_says_so_and_switches(
    as_client, world, evening, width, assert_accessible
):
    _booked, other, old = evening
    page = as_client
    _at(page, width)
    page.goto("/classes/?when=tomorrow")
    card = page.locator(f"#session-{other.pk}")
    expect(card.get_by_test_id("overlap")).to_have_text("Overlaps your 17:30 Reformer Foundations")
    expect(card.get_by_role("link", name=re.compile("^Book"))).to_have_count(0)
    _no_sideways_scroll(page)
    page.screenshot(path=f"/tmp/issue13-overlap-{width}.png", full_page=True)
    assert_accessible(page)

    card.get_by_role("link", name=re.compile("^Switch to this class")).click()
    dialog = page.get_by_role("dialog", name="Book Tower")
    expect(dialog).to_contain_text("This class overlaps your Reformer Foundations")
    page.screenshot(path=f"/tmp/issue13-switch-dialog-{width}.png")
    settled(page)
    dialog.get_by_role("button", name="Switch to this class").click()

    expect(page.get_by_text("You're booked!")).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"Your Reformer Foundations \(\w+\) is cancelled"))
    ).to_be_visible()
    old.refresh_from_db()
    assert old.status == Booking.Status.CANCELLED and old.credit_returned
    assert Booking.objects.get(session=other, client=world.a.client).status == "confirmed"


@pytest.mark.parametrize("width", WIDTHS)
def test_the_room_map_is_picked_with_the_arrow_keys(as_client, world, width, assert_accessible):
    package_for(world.a.client)
    session = session_at(world.a, day=1, hour=7, instructor=world.a.instructor)
    neighbour = factories.MembershipFactory(organization=world.a.organization, role="client")
    package_for(neighbour)
    book(neighbour, session, spot=world.a.spots[0])  # Reformer 1 is taken
    page = as_client
    _at(page, width)
    page.goto("/classes/?when=tomorrow")
    page.locator(f"#session-{session.pk}").get_by_role("link", name=re.compile("^Book")).click()
    dialog = page.get_by_role("dialog", name="Book Reformer Flow")
    expect(dialog.get_by_text("Front · instructor")).to_be_visible()
    taken = dialog.get_by_role("radio", name=re.compile(r"^Reformer 1, row \d+, taken$"))
    expect(taken).to_be_disabled()

    dialog.get_by_role("radio", name="Assign me any free spot").focus()
    page.keyboard.press("ArrowRight")  # skips the taken Reformer 1
    second = dialog.get_by_role("radio", name=re.compile(r"^Reformer 2, row \d+$"))
    expect(second).to_be_checked()
    expect(second).to_be_focused()
    page.keyboard.press("ArrowRight")
    third = dialog.get_by_role("radio", name=re.compile(r"^Reformer 3, row \d+$"))
    expect(third).to_be_checked()
    # The pick shows in the studio colour; the taken one is filled grey.
    spot = third.locator("xpath=..")
    brand = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--brand')")
    assert spot.evaluate("e => getComputedStyle(e).backgroundColor") == _rgb(brand.strip())
    labels = dialog.locator(".spot__number")
    for i in range(labels.count()):  # one line each: never broken mid-word
        box = labels.nth(i).bounding_box()
        assert box is not None and box["height"] < 30
    _no_sideways_scroll(page)
    page.screenshot(path=f"/tmp/issue13-spot-map-{width}.png")
    assert_accessible(page)

    dialog.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_text("You're booked!")).to_be_visible()
    booking = Booking.objects.get(session=session, client=world.a.client)
    assert booking.spot == world.a.spots[2]
    # The confirmation leads with what to do next; cancelling is a quiet link.
    steps = page.locator(".next-steps")
    expect(steps.get_by_role("link", name="Add to calendar")).to_be_visible()
    expect(steps.get_by_role("link", name=re.compile("^Directions"))).to_be_visible()
    expect(steps).to_contain_text("Check-in opens 60 minutes before class")
    expect(page.get_by_role("link", name="Cancel this booking")).to_have_class("quiet-link")
    _no_sideways_scroll(page)
    page.screenshot(path=f"/tmp/issue13-confirmation-{width}.png", full_page=True)
    assert_accessible(page)


def _rgb(hex_colour: str) -> str:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"
