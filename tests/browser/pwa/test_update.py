"""PHX-26 in Chromium: a deploy (a new service worker) is offered as "New version
available: Reload", and pages are never served from an old version's cache."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.pwa.conftest import CONTROLLED

pytestmark = pytest.mark.browser


@pytest.mark.scenario("PHX-26", "Handle service worker update")
def test_a_new_version_is_offered_and_reload_switches_to_it(
    world, app_page, login, settings, assert_accessible
):
    page = app_page
    settings.PWA_VERSION = "1.0"
    login(page, world.a.client.user)
    page.goto("/dashboard/")
    first = page.evaluate(CONTROLLED)
    expect(page.locator("#app-update")).to_be_hidden()

    # Version 1.1 is deployed: new HTML (never the cached copy) and a new service worker.
    settings.PWA_VERSION = "1.1"
    world.a.organization.name = "Alpha Reformed"
    world.a.organization.save()
    page.reload()
    expect(page.locator(".site-footer")).to_contain_text("Alpha Reformed")
    prompt = page.locator("#app-update")
    expect(prompt).to_be_visible()
    expect(prompt).to_contain_text("New version available")
    assert_accessible(page)
    new_version = page.locator('meta[name="reformer-app"]').get_attribute("content")
    assert new_version not in first

    prompt.get_by_role("button", name="Reload").click()
    page.wait_for_function(
        "v => navigator.serviceWorker.controller"
        " && navigator.serviceWorker.controller.scriptURL.includes('v=' + v)",
        arg=new_version,
    )
    expect(page.locator("#app-update")).to_be_hidden()
    expect(page.locator(".site-footer")).to_contain_text("Alpha Reformed")
