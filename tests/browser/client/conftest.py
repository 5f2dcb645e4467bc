"""Fixtures of the client pages' browser tests.

The clock is pinned to Tuesday 4 March 2031, 09:00 in New York (it keeps ticking), so
"today" always has classes left whatever time the suite runs; the in-thread server shares
the pinned clock. Every page fails its test on an uncaught JavaScript error.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

NOW = dt.datetime(2031, 3, 4, 14, 0, tzinfo=dt.UTC)

# Counts websocket opens and re-syncs and keeps the sockets, so a test can wait for the live
# connection and drop it.
LIVE_PROBE = """
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


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _js_errors(context):
    errors: list[str] = []
    context.on("weberror", lambda error: errors.append(str(error.error)))
    yield
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture
def as_client(page, login, world):
    """A page logged in as tenant A's client, with the live-connection probe installed."""
    login(page, world.a.client.user)
    page.add_init_script(LIVE_PROBE)
    return page


@pytest.fixture
def second_client(browser, live_url, login, world):
    """A second browser (its own context) for another client of tenant A."""
    from tests import factories
    from tests.web_client.helpers import package_for

    member = factories.MembershipFactory(organization=world.a.organization, role="client")
    package_for(member)
    context = browser.new_context(base_url=live_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    login(page, member.user)
    page.add_init_script(LIVE_PROBE)
    page.member = member
    yield page
    context.close()


def settled(page) -> None:
    """htmx wires up swapped-in content when it settles (20 ms after the swap): wait for it
    before clicking something that just arrived."""
    from playwright.sync_api import expect

    expect(page.locator(".htmx-settling")).to_have_count(0)


def wait_live(page) -> None:
    """Wait until the page's websocket is open (a live update would otherwise be missed)."""
    page.wait_for_function("() => window.__live && window.__live.opens >= 1")


@pytest.fixture(autouse=True)
def _fresh_card_cache():
    """Live cards are cached per process by state; ids of a flushed database come back."""
    from reformer.web.client import card_cache

    card_cache.clear()
