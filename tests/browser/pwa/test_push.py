"""PHX-26 in Chromium: turning notifications on for this device creates a push
subscription and stores it (the device list in the profile, with Remove); a browser that
blocked notifications is told reminders come by email and is never asked again.

Chromium's own push service (Google's FCM) cannot be reached from the test machine, so
`PushManager.subscribe` is given a subscription at the local fake push service (with a
real device key pair), in the shape the browser returns; everything else is the page's
and the server's own code."""

from __future__ import annotations

import base64
import json

import pytest
from playwright.sync_api import expect

from reformer.integrations.webpush.fake import FakePushService
from reformer.notifications.models import PushSubscription
from reformer.notifications.transports.push import application_server_key
from tests.browser.pwa.conftest import CONTROLLED

pytestmark = pytest.mark.browser

FAKE_PUSH_MANAGER = """
(() => {
  const device = %s;
  let current = null;
  const made = () => ({
    endpoint: device.endpoint,
    expirationTime: null,
    options: {userVisibleOnly: true},
    toJSON() { return {endpoint: device.endpoint, expirationTime: null,
                       keys: {p256dh: device.p256dh, auth: device.auth}}; },
    unsubscribe() { current = null; return Promise.resolve(true); },
  });
  PushManager.prototype.subscribe = function (options) {
    if (!options || !options.userVisibleOnly || !options.applicationServerKey) {
      return Promise.reject(new DOMException('bad options', 'NotAllowedError'));
    }
    window.__applicationServerKey = Array.from(new Uint8Array(options.applicationServerKey));
    current = made();
    return Promise.resolve(current);
  };
  PushManager.prototype.getSubscription = function () { return Promise.resolve(current); };
})();
"""


@pytest.fixture
def fake_push(settings):
    settings.PUSH_ALLOW_HTTP_ENDPOINTS = True
    settings.PUSH_ALLOW_PRIVATE_HOSTS = True
    fake = FakePushService().start()
    yield fake
    fake.stop()


def test_a_push_subscription_is_created_and_stored(
    world, app_context, app_page, login, live_url, fake_push, assert_accessible
):
    page = app_page
    device = fake_push.subscriber()
    page.add_init_script(
        FAKE_PUSH_MANAGER
        % json.dumps({"endpoint": device.endpoint, "p256dh": device.p256dh, "auth": device.auth})
    )
    app_context.grant_permissions(["notifications"], origin=live_url)
    user = world.a.client.user
    login(page, user)
    page.goto("/me/?tab=notifications")
    page.evaluate(CONTROLLED)
    panel = page.locator("#my-devices")
    expect(panel).to_contain_text("No device gets notifications yet")
    panel.get_by_role("button", name="Turn on notifications on this device").click()
    expect(panel.locator("[data-push-state=subscribed]")).to_be_visible()
    stored = PushSubscription.objects.get(user=user)
    assert stored.device == "Chrome on Linux"
    assert (stored.endpoint, stored.p256dh, stored.auth) == (
        device.endpoint,
        device.p256dh,
        device.auth,
    )
    # The page subscribed with our VAPID public key.
    key = bytes(page.evaluate("window.__applicationServerKey"))
    assert base64.urlsafe_b64encode(key).rstrip(b"=").decode() == application_server_key()
    assert_accessible(page)

    panel.get_by_role("button", name="Remove").click()
    expect(panel).to_contain_text("will no longer get notifications")
    assert not PushSubscription.objects.exists()


@pytest.mark.scenario("PHX-26", "Handle push notification permission denied")
def test_blocked_notifications_fall_back_to_email_and_are_not_asked_again(
    world, app_context, app_page, login, live_url, assert_accessible
):
    page = app_page
    login(page, world.a.client.user)
    page.goto("/me/?tab=notifications")
    cdp = app_context.new_cdp_session(page)
    cdp.send(
        "Browser.setPermission",
        {"permission": {"name": "notifications"}, "setting": "denied", "origin": live_url},
    )
    page.reload()
    panel = page.locator("#my-devices")
    blocked = panel.locator("[data-push-state=denied]")
    expect(blocked).to_be_visible()
    expect(blocked).to_contain_text("reminders and class changes reach you by email")
    expect(blocked).to_contain_text("allow notifications for this site in your browser's settings")
    expect(panel.get_by_role("button", name="Turn on notifications on this device")).to_be_hidden()
    assert page.evaluate("Notification.permission") == "denied"
    assert_accessible(page)
    # Everything else still works: the preferences save.
    page.get_by_role("button", name="Save preferences").click()
    expect(page.locator("#profile-notifications")).to_contain_text("Notification preferences saved")
