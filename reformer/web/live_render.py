"""Live updates: turn a domain event into HTML fragments for one browser.

How it fits together (ARCHITECTURE §5.5)
----------------------------------------
1. An action calls `core.live.publish_after_commit(groups, type, op, ids)`; after commit
   every consumer in those groups gets `{"type": "live.event", "event": {type, op, ids}}`.
2. Pages open one websocket, `/ws/live/?<subscriptions>`. The base layout always subscribes
   a member to their own user group; a page adds more by putting `live_query` in its
   context, built with `subscription_query(studios=[...], sessions=[...], metrics=True)`.
   The consumer (web/consumers.py) authorizes each subscription against the user's current
   membership and joins only the allowed groups.
3. For each event the consumer calls every renderer registered for the event's `type`
   (and those registered for "*"), in a worker thread (the ORM is fine here), and sends
   the concatenated HTML as one frame. The htmx ws extension swaps each top-level element
   into the element with the same id (`hx-swap-oob`, default outerHTML).

Writing a renderer (put them in `reformer/web/<area>/live.py`: every such module of a
package under reformer/web/ is imported the first time an event is rendered)::

    from reformer.web import live_render

    @live_render.register("session")
    def schedule_row(membership, event, subscriptions) -> str:
        if not subscriptions.studio_ids:
            return ""                         # this page shows no schedule
        sessions = scheduling.queries.sessions_by_ids(membership, event["ids"])
        return "".join(
            live_render.fragment("client/_session_row.html", {"session": s, "oob": True})
            for s in sessions if s.studio_id in subscriptions.studio_ids
        )

Rules for renderers: return "" when the page does not show the object; read through the
actor-scoped queries (the membership is the viewer's); render elements with an `id` and
`hx-swap-oob` (e.g. `hx-swap-oob="true"` to replace, `"beforeend:#list"` to append);
never write to the database; a renderer that raises is logged and skipped (but when the
database is out of reach the socket is closed with 1013: the page reconnects and resyncs).
Fragments are rendered without a request: no `{% csrf_token %}` (htmx sends the token from
`hx-headers` on <body>) and no request context processors.

Re-sync: after a dropped connection, static/js/live.js fires `live:resync` on <body>;
lists that matter should also refetch themselves with
`hx-get="..." hx-trigger="live:resync from:body"`.

Toasts: `register_toast("booking", "promoted", "You got a place in class!")` shows a toast
for that event on pages subscribed with `toasts=True` (the base layout subscribes every
member's user group with toasts).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import pkgutil
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.template.loader import render_to_string

from reformer.web.toasts import toast_oob
from reformer.web.unavailable import is_database_unavailable

if TYPE_CHECKING:
    from reformer.accounts.models import Membership

logger = logging.getLogger(__name__)

ANY_EVENT = "*"


@dataclass(frozen=True)
class Subscriptions:
    """What one browser page is subscribed to, after authorization."""

    studio_ids: frozenset[int] = frozenset()
    session_ids: frozenset[int] = frozenset()
    user: bool = False
    metrics: bool = False
    toasts: bool = False
    page: str = ""  # the page's key, e.g. "client.dashboard" ("" = not given)
    refused: tuple[str, ...] = field(default=(), compare=False)


Renderer = Callable[["Membership", dict[str, Any], Subscriptions], str]

_renderers: dict[str, list[Renderer]] = defaultdict(list)
_toasts: dict[tuple[str, str], tuple[str, str]] = {}
_discovered = False


def register(event_type: str) -> Callable[[Renderer], Renderer]:
    """Decorator: call `fn(membership, event, subscriptions) -> str` for events of a type."""

    def decorator(fn: Renderer) -> Renderer:
        if fn not in _renderers[event_type]:
            _renderers[event_type].append(fn)
        return fn

    return decorator


def unregister(event_type: str, fn: Renderer) -> None:
    if fn in _renderers.get(event_type, []):
        _renderers[event_type].remove(fn)


def register_toast(event_type: str, op: str, message: str, level: str = "info") -> None:
    """Show `message` as a toast for (type, op) events on pages that asked for toasts."""
    _toasts[(event_type, op)] = (message, level)


def fragment(template_name: str, context: dict[str, Any] | None = None) -> str:
    """Render a template for a live frame (no request: see the module notes)."""
    return render_to_string(template_name, context or {})


def subscription_query(
    *,
    studios: Iterable[int] = (),
    sessions: Iterable[int] = (),
    user: bool = False,
    metrics: bool = False,
    toasts: bool = False,
    page: str = "",
) -> str:
    """The websocket query string for a page's subscriptions (the context's `live_query`).
    `page` names the page so renderers can skip fragments it has no place for."""
    pairs: list[tuple[str, str | int]] = [("studio", pk) for pk in studios]
    pairs += [("session", pk) for pk in sessions]
    if user:
        pairs.append(("user", "me"))
    if metrics:
        pairs.append(("metrics", 1))
    if toasts:
        pairs.append(("toasts", 1))
    if page:
        pairs.append(("page", page))
    return urlencode(pairs)


def autodiscover() -> None:
    """Import every `reformer.web.<area>.live` module once (renderers register on import)."""
    global _discovered
    if _discovered:
        return
    import reformer.web

    for area in pkgutil.iter_modules(reformer.web.__path__):
        name = f"reformer.web.{area.name}.live"
        if area.ispkg and importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
    _discovered = True


def render_event(
    membership: Membership, event: dict[str, Any], subscriptions: Subscriptions
) -> str:
    """All fragments for one event and one browser, concatenated ("" for nothing)."""
    autodiscover()
    parts = []
    for fn in [*_renderers.get(event.get("type", ""), []), *_renderers.get(ANY_EVENT, [])]:
        try:
            html = fn(membership, event, subscriptions)
        except Exception as error:
            if is_database_unavailable(error):
                # Not this renderer's fault: the caller drops the socket so the page resyncs.
                raise
            logger.exception("live renderer %s failed for %s", fn.__qualname__, event)
            continue
        if html:
            parts.append(html)
    return "".join(parts)


@register(ANY_EVENT)
def toast_renderer(membership: Membership, event: dict[str, Any], subs: Subscriptions) -> str:
    """The default renderer: a toast, only for pages that asked and events that have one."""
    if not subs.toasts:
        return ""
    found = _toasts.get((event.get("type", ""), event.get("op", "")))
    if found is None:
        return ""
    message, level = found
    return toast_oob(message, level)
