"""The web shell in a real browser: layout accessibility, live updates over the websocket
(an out-of-band toast), and reconnect with re-sync."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from reformer.web import live_render

pytestmark = pytest.mark.browser

# Counts websocket opens and re-syncs, and keeps the sockets so a test can drop one.
INIT_SCRIPT = """
window.__live = {opens: 0, resyncs: 0, sockets: []};
document.addEventListener('htmx:wsOpen', () => window.__live.opens++);
document.addEventListener('live:resync', () => window.__live.resyncs++);
const NativeWebSocket = window.WebSocket;
window.WebSocket = function (...args) {
  const socket = new NativeWebSocket(...args);
  window.__live.sockets.push(socket);
  return socket;
};
window.WebSocket.prototype = NativeWebSocket.prototype;
Object.assign(window.WebSocket, NativeWebSocket);
"""


def test_it_renders_accessible_pages(world, page, login, assert_accessible):
    for path in ("/", "/accounts/login/", "/accounts/signup/", "/o/alpha/"):
        page.goto(path)
        assert_accessible(page)
    login(page, world.a.client.user)
    page.goto("/o/beta/")
    assert_accessible(page)
    page.get_by_text(world.a.client.user.display_name, exact=True).click()
    expect(page.locator(".menu__panel")).to_be_visible()
    assert_accessible(page)


def test_it_delivers_a_live_toast_to_an_open_page(world, context, login):
    live_render.register_toast("membership", "created", "Welcome aboard!", "success")
    try:
        login(context, world.a.client.user)
        watching = context.new_page()
        watching.add_init_script(INIT_SCRIPT)
        watching.goto("/o/alpha/")
        watching.wait_for_function("() => window.__live.opens === 1")

        acting = context.new_page()
        acting.goto("/o/beta/")
        acting.get_by_role("button", name="Join Beta").click()
        acting.wait_for_url("**/")

        toast = watching.locator("#toasts .toast", has_text="Welcome aboard!")
        expect(toast).to_be_visible()
        expect(toast).to_have_class("toast toast--success")
    finally:
        live_render._toasts.pop(("membership", "created"), None)


def test_it_shows_reconnecting_and_resyncs_after_a_drop(world, page, login):
    login(page, world.a.client.user)
    page.add_init_script(INIT_SCRIPT)
    page.goto("/o/alpha/")
    page.wait_for_function("() => window.__live.opens === 1")

    page.evaluate("window.__live.sockets.at(-1).close()")

    status = page.locator("#live-status")
    expect(status).to_have_text("Reconnecting to live updates…")
    page.wait_for_function("() => window.__live.opens === 2", timeout=15_000)
    assert page.evaluate("window.__live.resyncs") == 1
    expect(status).to_have_text("Live updates are back.")
    expect(status).to_be_hidden(timeout=5_000)


def test_it_shows_a_refused_htmx_request_as_a_toast_and_keeps_the_page(world, page, login):
    login(page, world.a.client.user)
    page.goto("/o/alpha/")
    # The page's own requests on load (the address banner) have settled.
    expect(page.locator("#main .htmx-request")).to_have_count(0)
    before = page.inner_html("#main")

    page.evaluate(
        "htmx.ajax('POST', '/organizations/switch/',"
        " {target: '#main', values: {membership: '999999'}})"
    )

    toast = page.locator("#toasts .toast--error", has_text="That organization was not found.")
    expect(toast).to_be_visible()
    assert page.inner_html("#main") == before
    toast.get_by_role("button", name="Dismiss").click()
    expect(toast).to_have_count(0)
