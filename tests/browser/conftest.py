"""Browser test harness: the real ASGI app (HTTP + websockets) served by uvicorn in a thread
of the test process, driven by Playwright through Debian's chromium.

Fixtures:
- `live_url`: base URL of the server (transactional DB: the server thread sees committed rows).
- `browser`: a session-wide chromium; `context`/`page`: a fresh context and page per test.
- `login(page_or_context, user)`: log a user in by session cookie (no form round trip).
- `assert_accessible(page)`: runs axe-core and fails on serious or critical violations.
"""

from __future__ import annotations

import functools
import socket
import threading
import time
from collections.abc import Iterator
from importlib import import_module
from pathlib import Path

import pytest
import uvicorn
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_SCRIPT = Path(__file__).parent / "vendor" / "axe.min.js"

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _ThreadedServer:
    def __init__(self) -> None:
        from reformer.asgi import application

        self.port = _free_port()
        config = uvicorn.Config(
            application,
            host="127.0.0.1",
            port=self.port,
            ws="auto",
            lifespan="off",
            log_level="warning",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start for the browser tests")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def _server(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        server = _ThreadedServer()
        server.start()
        yield server
        server.stop()


@pytest.fixture
def live_url(_server, transactional_db) -> Iterator[str]:
    yield f"http://127.0.0.1:{_server.port}"
    # Next comes the flush (TRUNCATE of every table), possibly while the server still
    # answers a last request or renders a live update for a closed page. Should the two
    # deadlock, PostgreSQL aborts the session whose deadlock_timeout runs out first: make
    # that the server's (its request fails, unseen), never the flush (a teardown error).
    from django.db import DatabaseError, connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SET deadlock_timeout = '20s'")
    except DatabaseError:
        pass  # not a superuser (an external DATABASE_URL): the default then


@pytest.fixture
def context(browser, live_url):
    context = browser.new_context(base_url=live_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    # Every page of every browser test runs under the site's Content-Security-Policy: a
    # refused script, style or connection (Chromium logs each) fails the test.
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
def page(context):
    return context.new_page()


@pytest.fixture
def login(live_url):
    """login(page_or_context, user): give the browser a logged-in session cookie."""

    def _login(target, user) -> None:
        engine = import_module(settings.SESSION_ENGINE)
        session = engine.SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        context = getattr(target, "context", target)
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": live_url}]
        )

    return _login


@functools.cache
def _axe_source() -> str:
    return AXE_SCRIPT.read_text() + "\n;void 0"


@pytest.fixture
def assert_accessible():
    """Inject axe-core and fail on serious or critical violations."""

    def _check(page, *, context: str | None = None) -> None:
        # Evaluated through DevTools, not as a <script> tag the page's CSP would refuse.
        page.evaluate(_axe_source())
        violations = page.evaluate(
            """async (selector) => {
                const result = await axe.run(selector || document,
                    {resultTypes: ['violations']});
                return result.violations
                    .filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
            }""",
            context,
        )
        assert not violations, f"axe violations on {page.url}: {violations}"

    return _check
