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
3. For each event the consumer calls the renderers registered for the event's `type`
   (and those registered for "*") and sends the concatenated HTML as one frame. The htmx ws
   extension swaps each top-level element into the element with the same id (`data-hx-swap-oob`,
   default outerHTML).

Two kinds of renderer
---------------------
- Database renderers (`register(type)`, the default) run in a worker thread and may read
  through the actor-scoped queries: `fn(membership, event, subscriptions) -> str`. Give them
  `applies=fn(membership, subscriptions)` (cheap, no database) so that sockets they have
  nothing for never take a thread or a connection.
- Local renderers (`register(type, local=True)`) run in the event loop and never touch the
  database (Django refuses it there): `fn(viewer, event) -> str`, from what the event
  carries (a "session" event carries its classes' public state, core/live.py) and what the
  socket remembers about its viewer (`Viewer.memory`, see `register_memory`). This is how one
  booking reaches a thousand browse pages without a query per page: web/client/live.py.

Events that carry states are coalesced per group in each process (web/live_hub.py): at most
one frame per group every COALESCE_SECONDS, always ending on the newest state. A local
renderer registered with `shared_by=fn(viewer, event) -> key` lets viewers share a frame:
viewers whose keys are equal for every renderer of the event get the same string, rendered
once per event (`render_shared`); a key of None renders for that viewer alone.

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
`data-hx-swap-oob` (e.g. `data-hx-swap-oob="true"` to replace, `"beforeend:#list"` to append);
never write to the database; a renderer that raises is logged and skipped (but when the
database is out of reach the socket is closed with 1013: the page reconnects and resyncs).
Fragments are rendered without a request: no `{% csrf_token %}` (htmx sends the token from
`data-hx-headers` on <body>) and no request context processors.

Re-sync: after a dropped connection, static/js/live.js fires `live:resync` on <body>;
lists that matter should also refetch themselves with
`data-hx-get="..." data-hx-trigger="live:resync from:body"`.

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
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.template.loader import render_to_string

from reformer.core import timeformat
from reformer.core.timeformat import TimeLocale
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


@dataclass
class Viewer:
    """One socket's viewer: who, what the page subscribed to, and what areas remember about
    them between events (`memory[name]`, loaded at connect by `register_memory` loaders)."""

    membership: Membership
    subscriptions: Subscriptions
    memory: dict[str, Any] = field(default_factory=dict)
    # How their organization writes dates and times (worked out once, not per event).
    locale: TimeLocale | None = None
    # Per event type: whether a database renderer applies to this viewer (it depends only
    # on the membership and subscriptions, both fixed for the viewer's life).
    database_types: dict[tuple[str, int], bool] = field(default_factory=dict)


Renderer = Callable[["Membership", dict[str, Any], Subscriptions], str]
LocalRenderer = Callable[[Viewer, dict[str, Any]], str]
Applies = Callable[["Membership", Subscriptions], bool]
# Which viewers get the same fragment from a local renderer for an event (None: this one alone).
SharedBy = Callable[[Viewer, dict[str, Any]], Hashable | None]


@dataclass(frozen=True)
class Memory:
    """Something a socket keeps about its viewer (web/client/live.py: their own places).

    `load(membership, subscriptions)` reads it at connect (and at each re-check);
    `stale(viewer, event)` says, without the database, whether an event makes it out of date
    (then `update(viewer, event)` reads what changed, in a worker thread, before rendering)."""

    name: str
    load: Callable[[Membership, Subscriptions], Any]
    stale: Callable[[Viewer, dict[str, Any]], bool]
    update: Callable[[Viewer, dict[str, Any]], None]


_renderers: dict[str, list[tuple[Renderer, Applies | None]]] = defaultdict(list)
_local_renderers: dict[str, list[LocalRenderer]] = defaultdict(list)
_shared_by: dict[LocalRenderer, SharedBy] = {}
_generation = 0  # bumped by every change of the database renderers
_memories: dict[str, Memory] = {}
_toasts: dict[tuple[str, str], tuple[str, str]] = {}
_discovered = False


def register(
    event_type: str,
    *,
    local: bool = False,
    applies: Applies | None = None,
    shared_by: SharedBy | None = None,
):
    """Decorator: a renderer for events of a type. Database renderers are called as
    `fn(membership, event, subscriptions)` in a thread, only where `applies` (if given) is
    true; local ones (`local=True`) as `fn(viewer, event)` in the event loop, and with
    `shared_by` their fragment is shared between viewers with the same key."""

    def decorator(fn):
        global _generation
        _generation += 1
        if local:
            if shared_by is not None:
                _shared_by[fn] = shared_by
            if fn not in _local_renderers[event_type]:
                _local_renderers[event_type].append(fn)
        elif fn not in [known for known, _ in _renderers[event_type]]:
            _renderers[event_type].append((fn, applies))
        return fn

    return decorator


def unregister(event_type: str, fn: Callable[..., str]) -> None:
    global _generation
    _generation += 1
    _renderers[event_type] = [pair for pair in _renderers.get(event_type, []) if pair[0] != fn]
    if fn in _local_renderers.get(event_type, []):
        _local_renderers[event_type].remove(fn)


def register_memory(memory: Memory) -> None:
    _memories[memory.name] = memory


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


def _database_renderers(event_type: str) -> list[tuple[Renderer, Applies | None]]:
    return [*_renderers.get(event_type, []), *_renderers.get(ANY_EVENT, [])]


def load_viewer(membership: Membership, subscriptions: Subscriptions) -> Viewer:
    """A viewer with every area's memory loaded (reads the database: a worker thread)."""
    autodiscover()
    membership.organization  # noqa: B018  (loaded here: local renderers read it in the loop)
    memory = {name: m.load(membership, subscriptions) for name, m in _memories.items()}
    locale = timeformat.locale_of(membership.organization)
    return _with_database_types(Viewer(membership, subscriptions, memory, locale))


def renew_viewer(known: Viewer, membership: Membership) -> Viewer:
    """`known` after a re-check that found the same membership, role and subscriptions: the
    fresh membership (and its organization's locale), the memory kept (a worker thread)."""
    organization = membership.organization  # loaded here: local renderers read it in the loop
    locale = timeformat.locale_of(organization)
    return _with_database_types(Viewer(membership, known.subscriptions, known.memory, locale))


def _with_database_types(viewer: Viewer) -> Viewer:
    """`viewer` knowing, for every event type with a renderer, whether a database renderer
    applies to it: worked out here (a worker thread, at connect) rather than for each socket
    of the first event of each type, in the loop, on the event's way to every page."""
    types = {*_renderers, *_local_renderers} - {ANY_EVENT}
    for event_type in types:
        _database_applies(viewer, event_type)
    return viewer


def needs_database(viewer: Viewer, event: dict[str, Any]) -> bool:
    """Whether this event needs a worker thread for this viewer (no database here)."""
    autodiscover()
    for memory in _memories.values():
        if memory.stale(viewer, event):
            return True
    return _database_applies(viewer, event.get("type", ""))


def _database_applies(viewer: Viewer, event_type: str) -> bool:
    """Whether a database renderer applies to this viewer for events of `event_type`
    (worked out once per viewer and type)."""
    known = (event_type, _generation)  # renderers registered since are taken into account
    applies = viewer.database_types.get(known)
    if applies is None:
        membership, subs = viewer.membership, viewer.subscriptions
        applies = viewer.database_types[known] = any(
            applies is None or applies(membership, subs)
            for _, applies in _database_renderers(event_type)
        )
    return applies


def _call(fn: Callable[..., str], event: dict[str, Any], *args: Any) -> str:
    """`fn(*args)`; a renderer that fails is logged and skipped."""
    try:
        return fn(*args)
    except Exception as error:
        if is_database_unavailable(error):
            # Not this renderer's fault: the caller drops the socket so the page resyncs.
            raise
        logger.exception("live renderer %s failed for %s", fn.__qualname__, event.get("type"))
        return ""


def render_with_database(viewer: Viewer, event: dict[str, Any]) -> str:
    """In a worker thread: bring stale memory up to date, then the database renderers."""
    for memory in _memories.values():
        if memory.stale(viewer, event):
            memory.update(viewer, event)
    membership, subs = viewer.membership, viewer.subscriptions
    parts = []
    for fn, applies in _database_renderers(event.get("type", "")):
        if applies is None or applies(membership, subs):
            parts.append(_call(fn, event, membership, event, subs))
    return "".join(parts)


def render_local(viewer: Viewer, event: dict[str, Any]) -> str:
    """In the event loop: the local renderers (no database)."""
    autodiscover()
    event_type = event.get("type", "")
    renderers = [*_local_renderers.get(event_type, []), *_local_renderers.get(ANY_EVENT, [])]
    return "".join(_call(fn, event, viewer, event) for fn in renderers)


def render_shared(viewer: Viewer, event: dict[str, Any], frames: dict[Any, str]) -> str:
    """As render_local, taking the fragment from `frames` (what was rendered for this event
    so far, by kind of viewer) when every renderer says which viewers share it."""
    autodiscover()
    event_type = event.get("type", "")
    renderers = [*_local_renderers.get(event_type, []), *_local_renderers.get(ANY_EVENT, [])]
    key: list[Hashable] = [viewer.locale]
    for fn in renderers:
        shared_by = _shared_by.get(fn)
        part = shared_by(viewer, event) if shared_by is not None else None
        if part is None:
            return render_local(viewer, event)
        key.append(part)
    shared = tuple(key)
    html = frames.get(shared)
    if html is None:
        html = frames[shared] = render_local(viewer, event)
    return html


def render_event(
    membership: Membership, event: dict[str, Any], subscriptions: Subscriptions
) -> str:
    """All fragments for one event and one browser, concatenated ("" for nothing), in one
    synchronous call (a fresh viewer: its memory is loaded first). The consumer does the same
    in two steps: render_with_database in a thread when needed, render_local in the loop."""
    viewer = load_viewer(membership, subscriptions)
    return render_with_database(viewer, event) + render_local(viewer, event)


@register(ANY_EVENT, local=True, shared_by=lambda viewer, event: viewer.subscriptions.toasts)
def toast_renderer(viewer: Viewer, event: dict[str, Any]) -> str:
    """The default renderer: a toast, only for pages that asked and events that have one."""
    if not viewer.subscriptions.toasts:
        return ""
    found = _toasts.get((event.get("type", ""), event.get("op", "")))
    if found is None:
        return ""
    message, level = found
    return toast_oob(message, level)
