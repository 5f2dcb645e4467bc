"""PHX-25 criterion 6 in a real browser: an owner schedules a weekly report for two staff,
at 1280 and 390 px; a session priced in money shows its price to the client."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from reformer.reports.models import ReportSchedule
from tests.appointments import helpers as ah

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("REFORMER_SCREENSHOTS")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.parametrize("width", [1280, 390])
def test_an_owner_schedules_a_weekly_report(page, world, login, assert_accessible, width):
    tenant = world.a
    page.set_viewport_size({"width": width, "height": 900})
    login(page, tenant.owner.user)
    page.goto("/reports/")
    card = page.locator("section", has=page.get_by_role("heading", name="Daily and weekly reports"))
    card.get_by_label("Name").fill("Monday numbers")
    card.get_by_label("How often").select_option("weekly")
    card.get_by_label("Weekly on").select_option("0")
    card.get_by_label("At (local time)").select_option("8")
    card.get_by_label("Summary: revenue, bookings, attendance, utilisation").check()
    card.get_by_label("Clients: active, new and lost").check()
    card.get_by_label(tenant.manager.user.display_name).check()
    card.get_by_role("button", name="Schedule report").click()
    expect(page.get_by_role("status").first).to_contain_text("Scheduled report saved")
    card = page.locator("section", has=page.get_by_role("heading", name="Daily and weekly reports"))
    expect(card).to_contain_text("Monday numbers: every Monday at 08:00")
    schedule = ReportSchedule.objects.get()
    assert schedule.sections == ["summary", "clients"]
    assert list(schedule.recipients.values_list("pk", flat=True)) == [tenant.manager.pk]
    assert_accessible(page)
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"reports-schedules-{width}.png"), full_page=True)


def test_a_priced_session_shows_its_price(page, world, login, assert_accessible):
    tenant = world.a
    kind, _room, _spots = ah.setup_privates(tenant)
    kind.price = Decimal("85.00")
    kind.save()
    page.set_viewport_size({"width": 390, "height": 900})
    login(page, tenant.client.user)
    page.goto(f"/privates/{kind.pk}/")
    expect(page.get_by_text("$85.00, paid by card when you book")).to_be_visible()
    assert_accessible(page)
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "priced-slots-390.png"), full_page=True)
