"""A brand-new organization set up end to end in the browser, from an empty database to a
first booked class, without the Django admin."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from reformer.accounts.models import Membership, User
from reformer.billing.actions import grant_package
from reformer.billing.models import PackageProduct
from reformer.bookings.models import Booking
from reformer.core.timezones import local_today
from reformer.scheduling.models import ClassSession
from reformer.studios.models import Spot
from tests import factories

pytestmark = pytest.mark.browser


def _subnav(page, name: str) -> None:
    page.get_by_role("navigation", name="Setup").get_by_role("link", name=name).click()


def test_it_sets_up_a_new_organization_up_to_a_first_booking(
    page, browser, live_url, login, assert_accessible, mailoutbox
):
    # Sign up through allauth's form, then create the organization.
    page.goto("/accounts/signup/")
    page.locator("input[name=name]").fill("Olive Owner")
    page.locator("input[name=email]").fill("olive@example.com")
    page.locator("input[name=password1]").fill("a-long-Secret-42")
    page.locator("input[name=password2]").fill("a-long-Secret-42")
    page.get_by_role("button", name=re.compile("Sign up", re.I)).click()
    # Sign-up answers "check your email" (the same for a registered address); the link in
    # the email confirms the address and signs the new owner in.
    expect(page.get_by_role("heading", name=re.compile("verify", re.I))).to_be_visible()
    link = re.search(r"(/accounts/confirm-email/\S+/)", mailoutbox[-1].body)[1]
    page.goto(link)
    page.get_by_role("button", name=re.compile("confirm", re.I)).click()
    page.get_by_label("Organization name").fill("Seaside Pilates")
    page.get_by_label("Time zone").select_option("America/New_York")
    page.get_by_role("button", name="Create organization").click()

    # The staff home: a checklist with nothing done yet.
    expect(page.get_by_role("heading", name="Your setup checklist")).to_be_visible()
    expect(page.get_by_text("0 of 6 done")).to_be_visible()
    assert_accessible(page)

    # 1. A studio.
    page.get_by_role("link", name="Add a studio").click()
    page.get_by_label("Name").fill("Seaside Harbour")
    page.get_by_label("Address").fill("1 Quay Street")
    page.get_by_label("Time zone").select_option("America/New_York")
    assert_accessible(page)
    page.get_by_role("button", name="Add studio").click()
    expect(page.get_by_role("heading", name="Seaside Harbour", level=1)).to_be_visible()
    assert_accessible(page)

    # 2. A room, and its reformers placed with the layout editor (mouse and keyboard).
    page.get_by_text("Add a room", exact=True).click()
    page.locator("#room_name").fill("Main Room")
    page.locator("#room_capacity").fill("6")
    page.locator("#room_grid_columns").fill("3")
    page.locator("#room_grid_rows").fill("2")
    page.get_by_role("button", name="Add room").click()
    expect(page.get_by_role("heading", name="Main Room")).to_be_visible()
    grid = page.get_by_role("grid", name="Room map")
    grid.get_by_role("button", name="Empty, row 1, column 1. Add a reformer").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Name")).to_have_value("Reformer 1")
    assert_accessible(page)
    dialog.get_by_role("button", name="Done").click()
    expect(
        grid.get_by_role("button", name=re.compile("^Reformer 1, row 1, column 1"))
    ).to_be_focused()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    dialog.get_by_label("Name").fill("Window Reformer")
    page.keyboard.press("Enter")
    expect(grid.get_by_role("button", name=re.compile("^Window Reformer"))).to_be_visible()
    expect(page.get_by_text("2 reformers placed.")).to_be_visible()
    page.get_by_role("button", name="Save layout").click()
    expect(page.locator("#toasts")).to_contain_text("Layout saved: 2 reformers.")
    spots = Spot.objects.filter(active=True).order_by("column")
    assert [(s.label, s.row, s.column) for s in spots] == [
        ("Reformer 1", 0, 0),
        ("Window Reformer", 0, 1),
    ]
    assert_accessible(page)

    # 3. A class type.
    _subnav(page, "Class types")
    page.get_by_label("Name").fill("Reformer Basics")
    page.get_by_label("Length (minutes)").fill("45")
    page.get_by_label("Default capacity").fill("6")
    page.get_by_role("button", name="Add class type").click()
    expect(page.get_by_role("cell", name="Reformer Basics", exact=True)).to_be_visible()
    assert_accessible(page)

    # 4. A package.
    _subnav(page, "Packages")
    page.get_by_label("Name").fill("5-Class Pack")
    page.get_by_label("Kind").select_option("class_pack")
    page.get_by_label("Credits").fill("5")
    page.get_by_label("Price").fill("99.00")
    page.get_by_role("button", name="Add package").click()
    expect(page.get_by_role("cell", name="5-Class Pack", exact=True)).to_be_visible()
    assert_accessible(page)

    # 5. A class tomorrow at 09:00 studio time.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Schedule").click()
    page.get_by_role("link", name="Schedule a class").click()
    tomorrow = local_today("America/New_York") + dt.timedelta(days=1)
    page.get_by_label("Class type").select_option(label="Reformer Basics")
    page.get_by_label("Date").fill(tomorrow.isoformat())
    page.get_by_label("Starts at").fill("09:00")
    assert_accessible(page)
    page.get_by_role("button", name="Schedule class").click()
    expect(page.locator(".grid-class")).to_contain_text("Reformer Basics")
    expect(page.locator(".grid-class--needs")).to_have_count(1)
    assert_accessible(page)

    # 6. An instructor invitation.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Team").click()
    invite = page.get_by_role("region", name="Invite someone")
    invite.get_by_label("Email").fill("ivy@example.com")
    invite.get_by_label("Role").select_option("instructor")
    invite.get_by_label("Seaside Harbour").check()
    invite.get_by_role("button", name="Send invitation").click()
    pending = page.get_by_role("region", name="Pending invitations")
    expect(pending).to_contain_text("ivy@example.com")
    assert_accessible(page)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Setup").click()
    expect(page.get_by_text("6 of 6 done")).to_be_visible()
    expect(page.get_by_role("heading", name="Your studio is ready")).to_be_visible()

    # A client joins, gets a package from the owner, and books the class on their phone.
    owner = Membership.objects.get(user__email="olive@example.com")
    client = factories.MembershipFactory(
        organization=owner.organization,
        role="client",
        user=factories.UserFactory(name="Cora Client", email="cora@example.com"),
    )
    grant_package(owner, client=client, product=PackageProduct.objects.get())
    session = ClassSession.objects.get()
    phone = browser.new_context(base_url=live_url, viewport={"width": 390, "height": 844})
    try:
        client_page = phone.new_page()
        login(client_page, User.objects.get(email="cora@example.com"))
        client_page.goto(f"/classes/{session.pk}/book/")
        client_page.get_by_role("button", name="Confirm booking").click()
        expect(client_page.get_by_text("You're booked!")).to_be_visible()
    finally:
        phone.close()
    assert Booking.objects.get(session=session).client == client

    # The owner sees Cora on the class roster.
    page.goto(f"/staff/classes/{session.pk}/")
    expect(page.locator(".roster-row")).to_contain_text("Cora Client")
