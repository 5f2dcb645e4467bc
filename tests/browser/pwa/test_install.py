"""PHX-26 in Chromium: the app is installable per organization (DevTools protocol's
installability check), the service worker registers and controls the page, iOS gets the
Add to Home Screen steps."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.pwa.conftest import CONTROLLED

pytestmark = pytest.mark.browser


@pytest.mark.scenario("PHX-26", "Install PWA on mobile device")
def test_chromium_finds_the_organizations_app_installable(
    world, app_page, login, assert_accessible
):
    page = app_page
    login(page, world.a.client.user)
    page.goto("/dashboard/")
    script = page.evaluate(CONTROLLED)
    assert script.split("?")[0].endswith("/sw.js")

    manifest_url = page.locator('link[rel="manifest"]').get_attribute("href")
    assert manifest_url == f"/o/{world.a.organization.slug}/manifest.webmanifest"
    manifest = page.request.get(manifest_url).json()
    assert manifest["name"] == world.a.organization.name
    assert manifest["display"] == "standalone"
    start = page.request.get(manifest["start_url"], max_redirects=0)
    assert start.status == 302
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])

    cdp = page.context.new_cdp_session(page)
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert errors == []
    # The start URL lands each person on their role's home in this organization.
    launched = page.context.new_page()
    launched.goto(manifest["start_url"])
    expect(launched).to_have_url(re.compile(r"/(classes|welcome)/$"))
    icon = page.request.get(manifest["icons"][0]["src"])
    assert icon.headers["content-type"] == "image/png"
    assert_accessible(page)


def test_the_service_worker_registers_and_controls_the_page(world, page, login):
    login(page, world.a.front_desk.user)
    page.goto("/staff/checkin/")
    page.evaluate(CONTROLLED)
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    page.reload()
    assert page.evaluate("navigator.serviceWorker.controller !== null")


def test_ios_gets_the_add_to_home_screen_steps(browser, live_url, world, login):
    context = browser.new_context(
        base_url=live_url,
        user_agent=(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
        ),
        viewport={"width": 390, "height": 844},
    )
    page = context.new_page()
    login(page, world.a.client.user)
    page.goto("/dashboard/")
    banner = page.locator("#app-install")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("tap Share, then Add to Home Screen")
    banner.get_by_role("button", name="Not now").click()
    expect(banner).to_be_hidden()
    page.reload()
    expect(page.locator("#app-install")).to_be_hidden()
    context.close()
