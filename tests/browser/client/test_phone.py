"""The client on a phone: the bottom tab bar (Classes, My bookings, Profile) at 390 px and
not at 1280 px, and no page of the demo that scrolls sideways at 390 px."""

from __future__ import annotations

import io
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reformer.accounts.models import User
from reformer.bookings.models import Booking
from reformer.demo import demo_logins, load_demo
from reformer.demo.loader import wipe_demo
from reformer.scheduling.models import ClassSession

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_clients_get_a_bottom_tab_bar_on_a_phone(as_client, assert_accessible):
    page = as_client
    page.set_viewport_size(PHONE)
    page.goto("/classes/")
    tabs = page.get_by_role("navigation", name="Sections", exact=True)
    expect(tabs).to_be_visible()
    expect(tabs.get_by_role("link")).to_have_text(["Classes", "My bookings", "Profile"])
    expect(tabs.get_by_role("link", name="Classes")).to_have_attribute("aria-current", "page")
    box = tabs.bounding_box()
    assert box is not None and abs(box["y"] + box["height"] - PHONE["height"]) < 2  # at the bottom
    assert_accessible(page)

    tabs.get_by_role("link", name="My bookings").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(tabs.get_by_role("link", name="My bookings")).to_have_attribute("aria-current", "page")
    # The last thing on the page can still be scrolled clear of the bar.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    footer = page.locator(".site-footer").bounding_box()
    assert footer is not None and footer["y"] + footer["height"] <= tabs.bounding_box()["y"] + 1
    page.screenshot(path="/tmp/issue13-dashboard-390.png", full_page=True)

    tabs.get_by_role("link", name="Profile").click()
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(tabs.get_by_role("link", name="Profile")).to_have_attribute("aria-current", "page")

    page.set_viewport_size({"width": 1280, "height": 900})
    expect(tabs).to_be_hidden()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_staff_get_no_tab_bar(page, login, world):
    login(page, world.a.instructor.user)
    page.set_viewport_size(PHONE)
    page.goto("/")
    expect(page.get_by_role("navigation", name="Main")).to_be_attached()
    expect(page.get_by_role("navigation", name="Sections", exact=True)).to_have_count(0)
    page.wait_for_load_state("networkidle")  # no request still reading when the test ends


@pytest.fixture
def demo(live_url):
    load_demo(io.StringIO())
    yield
    wipe_demo()


def _client_pages(page) -> list[str]:
    """Every page a client reaches from the navigation, plus a class, its booking page, a
    booking and its cancel page."""
    page.goto("/classes/?when=week")
    links = page.locator(".site-nav a, .tab-bar a, .menu__panel a")
    paths = {
        re.sub(r"^https?://[^/]+", "", href)
        for href in links.evaluate_all("links => links.map(a => a.href)")
    }
    member = User.objects.get(email=_client_email()).memberships.get()
    upcoming = (
        ClassSession.objects.filter(
            organization=member.organization, status="scheduled", starts_at__gt=timezone.now()
        )
        .order_by("starts_at")
        .exclude(bookings__client=member)
    )
    session = upcoming.filter(booked_count__lt=5).first() or upcoming.first()
    booking = (
        Booking.objects.filter(client=member, status="confirmed").order_by("starts_at").first()
    )
    paths |= {f"/classes/{session.pk}/", f"/classes/{session.pk}/book/", "/classes/?when=month"}
    if booking is not None:
        paths |= {f"/bookings/{booking.reference}/", f"/bookings/{booking.reference}/cancel/"}
    return sorted(p for p in paths if p.startswith("/") and "logout" not in p)


def _client_email() -> str:
    return next(email for role, email, _password in demo_logins() if role == "client")


def test_no_client_page_of_the_demo_scrolls_sideways_on_a_phone(demo, page, login):
    login(page, User.objects.get(email=_client_email()))
    page.set_viewport_size(PHONE)
    wide = {}
    paths = _client_pages(page)
    assert len(paths) >= 10, paths
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > PHONE["width"]:
            wide[path] = scroll_width
        page.screenshot(path=f"/tmp/issue13-demo{path.replace('/', '_')[:60]}-390.png")
    assert not wide, f"pages wider than the phone: {wide}"
