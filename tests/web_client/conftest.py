from __future__ import annotations

import datetime as dt

import pytest
import time_machine

# Tuesday 4 March 2031, 09:00 in New York (the tenants' zone): "later today" always exists.
NOW = dt.datetime(2031, 3, 4, 14, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def as_client(client, world):
    """The Django test client logged in as tenant A's client."""
    client.force_login(world.a.client.user)
    return client


def htmx(target: str | None = None, **extra) -> dict:
    headers = {"HTTP_HX_REQUEST": "true"}
    if target:
        headers["HTTP_HX_TARGET"] = target
    headers.update(extra)
    return headers


@pytest.fixture(autouse=True)
def _fresh_card_cache():
    """Live cards are cached per process by state; ids of a flushed database come back."""
    from reformer.web.client import browse_cards, browse_html, card_cache

    card_cache.clear()
    browse_cards.clear()
    browse_html.clear()
