"""A process compiles its templates and imports its views before it takes connections
(web/warmup.py): neither happens in the event loop on the first requests and live events."""

from __future__ import annotations

from django.template import engines

from reformer import asgi
from reformer.web import warmup
from tests.web.test_live import run  # a fresh loop in its own thread (Playwright's runs here)


def _compiled_names() -> set[str]:
    engine = engines["django"].engine  # type: ignore[attr-defined]
    cached = engine.template_loaders[0]
    # The cache also remembers names that were not found (as the exception's class).
    return {
        template.origin.template_name
        for template in cached.get_template_cache.values()
        if hasattr(template, "origin")
    }


def test_warm_up_compiles_every_template_of_the_project():
    names = warmup.project_templates()
    assert "client/browse/_card.html" in names and "base.html" in names
    warmup.warm_up()
    assert set(names) <= _compiled_names()


def test_the_lifespan_warms_up_before_the_server_takes_connections(monkeypatch):
    calls = []
    monkeypatch.setattr(asgi, "warm_up", lambda: calls.append("warm_up"))
    sent = []

    async def scenario():
        messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

        async def receive():
            return next(messages)

        async def send(message):
            sent.append((message["type"], list(calls)))

        await asgi.LifespanWorker(app=None)({"type": "lifespan"}, receive, send)

    run(scenario)
    assert sent[0] == ("lifespan.startup.complete", ["warm_up"])


def test_warm_up_renders_a_live_card_without_the_database_and_keeps_none(monkeypatch):
    """The first live event's card render (its URLs, tags, formats) happens at the warm-up,
    not in the event loop; the made-up class leaves nothing in the card cache."""
    from reformer.web.client import card_cache

    rendered = []
    original = card_cache._render
    monkeypatch.setattr(
        card_cache, "_render", lambda *args: rendered.append(original(*args)) or rendered[-1]
    )
    card_cache.clear()
    warmup.warm_up()  # not a django_db test: a query would fail it
    assert len(rendered) == 3 and all('id="session-0"' in html for html in rendered)
    assert card_cache._cards == {}
