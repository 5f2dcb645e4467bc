"""PHX-20 in a real browser: an owner asks for a report and opens it when it is ready."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from reformer.reports import actions
from reformer.reports.models import Report
from tests.analytics import dataset

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("REFORMER_SCREENSHOTS")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.scenario("PHX-25", "Handle large dataset performance")
def test_request_a_report_and_open_it(page, world, login, assert_accessible):
    dataset.build(world.a)
    login(page, world.a.owner.user)
    page.goto("/reports/")
    page.get_by_label("From").fill("2026-03-01")
    page.get_by_role("textbox", name="To").fill("2026-03-31")
    page.get_by_role("button", name="Make report").click()
    expect(page.get_by_role("status").first).to_contain_text("Your report is being prepared")
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("Being prepared")
    # The job runs (here: directly); the row polls and turns into a link to the PDF.
    actions.generate(Report.objects.get().pk)
    expect(row.get_by_role("link", name="Open PDF")).to_be_visible()
    assert_accessible(page)
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "reports-1280.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(Path(SHOTS) / "reports-390.png"), full_page=True)
    response = page.request.get(row.get_by_role("link", name="Open PDF").get_attribute("href"))
    assert response.status == 200 and response.body().startswith(b"%PDF")
