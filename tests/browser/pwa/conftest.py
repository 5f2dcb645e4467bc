"""Shared set-up for the installable app in a real browser."""

from __future__ import annotations

import pytest

# Resolves once the service worker is active and controls the page.
CONTROLLED = """async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
        await new Promise(resolve =>
            navigator.serviceWorker.addEventListener('controllerchange', resolve, {once: true}));
    }
    return navigator.serviceWorker.controller.scriptURL;
}"""

# Resolves once the service worker stored `url` for offline use.
SAVED = """async (url) => {
    for (;;) {
        const cache = await caches.open('pages');
        if (await cache.match(new URL(url, location.origin).href, {ignoreVary: true})) return true;
        await new Promise(resolve => setTimeout(resolve, 50));
    }
}"""


@pytest.fixture(autouse=True)
def locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def app_context(_playwright, live_url, tmp_path):
    """A Chromium profile on disk (an incognito context is never installable), under the
    site's CSP like every browser test: a refused script or connection fails the test."""
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    context = _playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        base_url=live_url,
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(10_000)
    refused: list[str] = []
    context.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield context
    context.close()
    assert not refused, f"Content-Security-Policy refusals: {refused}"


@pytest.fixture
def app_page(app_context):
    return app_context.pages[0] if app_context.pages else app_context.new_page()
