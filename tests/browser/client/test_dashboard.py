"""PHX-11 in a real browser: upcoming classes, cancelling under the policy, credits and their
history, the waitlist with live positions, past attendance, expired packages, empty states,
and live updates when anything of the client's changes elsewhere."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reformer.bookings.actions import leave_waitlist
from reformer.bookings.models import Booking
from reformer.core.timezones import zone
from tests import factories
from tests.browser.client.conftest import wait_live
from tests.web_client.helpers import book, fill, later_today, package_for, session_at, wait_for

pytestmark = pytest.mark.browser


@pytest.mark.scenario("PHX-11", "View upcoming bookings")
@pytest.mark.scenario("PHX-11", "View package credit balance")
def test_it_shows_upcoming_classes_credits_and_history(as_client, world, assert_accessible):
    package = package_for(world.a.client)
    soon = book(world.a.client, later_today(world.a, minutes=150))
    later = book(world.a.client, session_at(world.a, day=3, hour=18))
    attended = session_at(world.a, day=-2, hour=9)
    Booking.objects.create(
        organization=world.a.organization,
        session=attended,
        client=world.a.client,
        starts_at=attended.starts_at,
        ends_at=attended.ends_at,
        status="no_show",
    )
    page = as_client
    page.goto("/dashboard/")
    upcoming = page.locator("#dash-upcoming li")
    expect(upcoming).to_have_count(2)
    expect(upcoming.nth(0)).to_contain_text("Starting in 2 hours")  # 2.5 h rounds to 2 or 3
    expect(upcoming.nth(0)).to_have_id(f"booking-{soon.reference}")
    expect(upcoming.nth(1)).to_have_id(f"booking-{later.reference}")
    expect(upcoming.nth(1)).not_to_contain_text("Starting in")
    packages = page.locator("#dash-packages")
    expect(packages).to_contain_text("8 of 10 credits remaining")
    expect(packages.locator("progress")).to_have_attribute("value", "8")
    expires = package.expires_at.astimezone(zone("America/New_York")).strftime("%-d %B %Y")
    expect(packages).to_contain_text(f"Expires on {expires}")
    packages.get_by_text("Credit history").click()
    expect(packages.get_by_role("row")).to_have_count(3)  # header and two spends
    expect(page.locator("#dash-past")).to_contain_text("No-show")
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.scenario("PHX-11", "Cancel a booking")
def test_it_cancels_with_the_credit_back_inside_the_policy(as_client, world, assert_accessible):
    package = package_for(world.a.client)
    booking = book(world.a.client, session_at(world.a, day=2, hour=9))
    page = as_client
    page.goto("/dashboard/")
    expect(page.locator("#dash-packages")).to_contain_text("9 of 10 credits remaining")
    opener = page.locator(f"#cancel-{booking.reference}")
    opener.click()
    dialog = page.get_by_role("dialog", name="Cancel this booking?")
    expect(dialog).to_contain_text("Your credit will come back to your package.")
    assert_accessible(page)
    dialog.get_by_role("button", name="Cancel booking").click()
    expect(dialog).to_have_count(0)
    expect(page.locator("#toasts")).to_contain_text("Booking cancelled. Your credit is back")
    expect(page.get_by_text("No upcoming classes")).to_be_visible()
    expect(page.locator(f"#past-{booking.reference}")).to_contain_text("Cancelled")
    expect(page.locator("#dash-packages")).to_contain_text("10 of 10 credits remaining")
    package.refresh_from_db()
    assert package.credits_remaining == 10
    expect(page.locator("#main")).to_be_focused()  # the opener left with the booking


def test_it_warns_that_a_late_cancellation_keeps_the_credit(as_client, world):
    package_for(world.a.client)
    booking = book(world.a.client, later_today(world.a, minutes=120))
    page = as_client
    page.goto("/dashboard/")
    page.locator(f"#cancel-{booking.reference}").click()
    dialog = page.get_by_role("dialog", name="Cancel this booking?")
    expect(dialog).to_contain_text("The studio keeps the credit (late cancellation).")
    dialog.get_by_role("button", name="Keep my booking").click()
    expect(dialog).to_have_count(0)
    expect(page.locator(f"#cancel-{booking.reference}")).to_be_focused()
    page.locator(f"#cancel-{booking.reference}").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel booking").click()
    expect(page.locator(f"#past-{booking.reference}")).to_contain_text("Late cancelled")
    expect(page.locator("#dash-packages")).to_contain_text("9 of 10 credits remaining")


@pytest.mark.scenario("PHX-11", "View waitlist status")
def test_it_joins_the_waitlist_and_follows_the_position_live(as_client, world):
    package_for(world.a.client)
    session = fill(later_today(world.a, minutes=240, capacity=1), world.a)
    ahead = factories.MembershipFactory(organization=world.a.organization, role="client")
    ahead_entry = wait_for(ahead, session)
    page = as_client
    page.goto("/classes/")
    card = page.locator(f"#session-{session.pk}")
    card.get_by_role("button", name="Full \u2013 join waitlist").click()
    expect(card).to_contain_text("On waitlist · #2")
    expect(page.locator("#toasts")).to_contain_text("You're on the waitlist: number 2 in line.")

    page.get_by_role("link", name="My bookings").first.click()
    position = page.locator(f"#wait-pos-{session.pk}")
    expect(position).to_have_text("#2 on the waitlist")
    wait_live(page)
    leave_waitlist(ahead, ahead_entry)  # the client ahead leaves, elsewhere
    expect(position).to_have_text("#1 on the waitlist", timeout=1500)

    page.locator("#dash-waitlist").get_by_role("button", name=re.compile("^Leave waitlist")).click()
    expect(page.locator("#dash-waitlist")).to_contain_text("You're not on any waitlists.")
    expect(page.locator("#toasts")).to_contain_text("You've left the waitlist.")


@pytest.mark.scenario("PHX-11", "Handle expired package")
def test_it_warns_about_an_expired_package(as_client, world, assert_accessible):
    now = timezone.now()
    package_for(
        world.a.client,
        remaining=2,
        starts_at=now - dt.timedelta(days=90),
        expires_at=now - dt.timedelta(days=2),
    )
    factories.PackageProductFactory(
        organization=world.a.organization, name="Monthly Unlimited", kind="unlimited", credits=None
    )
    page = as_client
    page.goto("/dashboard/")
    banner = page.get_by_role("region", name="Your package has expired")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Monthly Unlimited")
    expired = page.locator("#dash-packages article")
    expect(expired).to_contain_text("Expired")
    expect(expired).to_contain_text("2 of 10 credits remaining")
    assert_accessible(page)


@pytest.mark.scenario("PHX-11", "View dashboard with no bookings")
def test_it_invites_to_browse_when_nothing_is_booked(as_client, world, assert_accessible):
    package_for(world.a.client, remaining=6)
    page = as_client
    page.goto("/dashboard/")
    expect(page.get_by_text("No upcoming classes")).to_be_visible()
    expect(page.locator("#dash-packages")).to_contain_text("6 of 10 credits remaining")
    assert_accessible(page)
    page.locator("#dash-upcoming").get_by_role("link", name="Browse classes").click()
    expect(page).to_have_url(re.compile(r"/classes/$"))


def test_it_updates_live_when_a_booking_is_made_elsewhere(as_client, world):
    package_for(world.a.client)
    session = session_at(world.a, day=1, hour=7)
    page = as_client
    page.goto("/dashboard/")
    expect(page.get_by_text("No upcoming classes")).to_be_visible()
    wait_live(page)
    booking = book(world.a.client, session)  # e.g. booked by the front desk or another tab
    expect(page.locator(f"#booking-{booking.reference}")).to_be_visible(timeout=1500)
    expect(page.locator("#dash-packages")).to_contain_text("9 of 10 credits remaining")
