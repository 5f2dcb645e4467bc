"""Shared set-up for the staff pages in a real browser."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


# Marks when the live websocket is open, so a test acts only once the page listens.
WS_OPEN_SCRIPT = """
window.__wsOpen = false;
document.addEventListener('htmx:wsOpen', () => { window.__wsOpen = true; });
"""


@pytest.fixture
def tablet(browser, live_url):
    """A tablet-sized page (the front desk's and instructor's device)."""
    context = browser.new_context(base_url=live_url, viewport={"width": 820, "height": 1180})
    context.set_default_timeout(10_000)
    context.add_init_script(WS_OPEN_SCRIPT)
    yield context.new_page()
    context.close()


def times_out_at_first(monkeypatch, times: int) -> None:
    """The roster's queries hit their statement timeout the first `times` times."""
    from django.db import OperationalError
    from psycopg import errors as pg_errors

    from reformer.web.staff import instructor

    roster_for = instructor.roster_for
    calls = {"count": 0}

    def slow_then_fine(*args, **kwargs):
        calls["count"] += 1
        if calls["count"] <= times:
            error = OperationalError("canceling statement due to statement timeout")
            error.__cause__ = pg_errors.QueryCanceled()
            raise error
        return roster_for(*args, **kwargs)

    monkeypatch.setattr(instructor, "roster_for", slow_then_fine)
