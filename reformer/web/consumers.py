"""The live-updates websocket: `/ws/live/?studio=1&studio=2&session=5&user=me&metrics=1`.

Signed-in members only. Each requested subscription is authorized against the user's
current membership (the one chosen in their session, as for pages):

    studio=<id>   the studio's schedule: VIEW_SCHEDULE there (staff: only their studios)
    session=<id>  a class roster: VIEW_ROSTER for that session (an instructor: their own)
    user=me       the member's own events (also accepted: their own user id)
    metrics=1     the organization's metrics: VIEW_METRICS
    toasts=1      show toasts for events that have one (live_render.register_toast)

Subscriptions that are not allowed are dropped (never joined); the rest are joined.
Anonymous users are closed with 4401, users without a membership with 4403 (codes of
4000 and up tell static/js/live.js not to reconnect). The membership and subscriptions
are re-checked at most every REVALIDATE_SECONDS, when events arrive, so a deactivated
member or a changed role stops receiving what it no longer may see.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any, Literal, cast
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from reformer.accounts.models import Membership, User
from reformer.core import live, timeformat
from reformer.core.parsing import to_id
from reformer.core.permissions import VIEW_METRICS, VIEW_ROSTER, VIEW_SCHEDULE, has_capability
from reformer.web import live_render
from reformer.web.live_render import Subscriptions
from reformer.web.live_share import with_live_share
from reformer.web.middleware import current_membership
from reformer.web.unavailable import is_database_unavailable

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NO_MEMBERSHIP = 4403
# "Try again later": live.js reconnects with backoff and the page refetches (live:resync).
CLOSE_TRY_AGAIN_LATER = 1013
MAX_IDS = 100
REVALIDATE_SECONDS = 60.0


@dataclass
class Requested:
    """The subscriptions a page asked for, parsed but not yet authorized."""

    studio_ids: set[int] = field(default_factory=set)
    session_ids: set[int] = field(default_factory=set)
    user: str | None = None
    metrics: bool = False
    toasts: bool = False
    page: str = ""
    invalid: list[str] = field(default_factory=list)


def _ids(values: list[str], name: str, invalid: list[str]) -> set[int]:
    ids = set()
    for value in values[:MAX_IDS]:
        if (pk := to_id(value)) is not None:
            ids.add(pk)
        else:
            invalid.append(f"{name}={value}")
    return ids


# Which page a socket serves ("client.dashboard"), so renderers send only what it shows.
PAGE_KEY = re.compile(r"[a-z_.]{0,40}")


def parse_subscriptions(query_string: bytes | str) -> Requested:
    if isinstance(query_string, bytes):
        query_string = query_string.decode("latin-1")
    query = parse_qs(query_string)
    requested = Requested()
    requested.studio_ids = _ids(query.get("studio", []), "studio", requested.invalid)
    requested.session_ids = _ids(query.get("session", []), "session", requested.invalid)
    requested.user = query["user"][0] if query.get("user") else None
    requested.metrics = (query.get("metrics") or ["0"])[0] not in ("", "0", "false")
    requested.toasts = (query.get("toasts") or ["0"])[0] not in ("", "0", "false")
    page = (query.get("page") or [""])[0]
    if PAGE_KEY.fullmatch(page):
        requested.page = page
    else:
        requested.invalid.append("page")
    return requested


def authorize(
    user: User, membership: Membership, requested: Requested
) -> tuple[Subscriptions, list[str]]:
    """The allowed subset of `requested` and the channel groups it joins (sync: ORM)."""
    from reformer.scheduling.models import ClassSession
    from reformer.studios.models import Studio

    organization_id = membership.organization_id
    refused = list(requested.invalid)
    studio_ids: set[int] = set()
    if requested.studio_ids:
        # Staff reach only the studios on their membership (as the schedule pages do).
        studio_ids = {
            studio.pk
            for studio in Studio.objects.filter(
                organization_id=organization_id, pk__in=requested.studio_ids
            )
            if has_capability(membership, VIEW_SCHEDULE, studio=studio)
        }
        refused += [f"studio={pk}" for pk in sorted(requested.studio_ids - studio_ids)]
    session_ids: set[int] = set()
    if requested.session_ids:
        sessions = ClassSession.objects.filter(
            organization_id=organization_id, pk__in=requested.session_ids
        ).select_related("studio")
        session_ids = {s.pk for s in sessions if has_capability(membership, VIEW_ROSTER, session=s)}
        refused += [f"session={pk}" for pk in sorted(requested.session_ids - session_ids)]
    own_user = requested.user in ("me", str(user.pk))
    if requested.user is not None and not own_user:
        refused.append(f"user={requested.user}")
    metrics = requested.metrics and has_capability(membership, VIEW_METRICS)
    if requested.metrics and not metrics:
        refused.append("metrics")
    subscriptions = Subscriptions(
        studio_ids=frozenset(studio_ids),
        session_ids=frozenset(session_ids),
        user=own_user,
        metrics=metrics,
        toasts=requested.toasts,
        page=requested.page,
        refused=tuple(refused),
    )
    groups = [live.studio_schedule(pk) for pk in sorted(studio_ids)]
    groups += [live.session_roster(pk) for pk in sorted(session_ids)]
    if own_user:
        groups.append(live.user_channel(user.pk))
    if metrics:
        groups.append(live.organization_metrics(organization_id))
    return subscriptions, groups


# At most one frame of class states per socket in this many seconds, carrying every class
# that changed, each with its newest state (a burst of bookings becomes a few frames, not one
# per booking, nor one per class).
COALESCE_SECONDS = 0.25

# What _render_database found on a re-check: None (no re-check), False (membership gone),
# or the fresh viewer and groups.
Reloaded = tuple[live_render.Viewer, list[str]] | Literal[False] | None


class LiveConsumer(AsyncWebsocketConsumer):
    """One page's socket. Per event: a worker thread only when the event needs the database
    for this viewer (a re-check is due, the viewer's memory is stale, or a database renderer
    applies); then the local renderers in the loop. Events that carry states are coalesced
    per socket (`_coalesce`): a change goes out at once when no frame of states went out in
    the last COALESCE_SECONDS; otherwise it waits, and everything waiting goes out as one
    frame, each class with its newest state."""

    viewer: live_render.Viewer | None = None
    live_groups: list[str]
    checked_at: float = 0.0

    async def connect(self) -> None:
        # Events raised outside this loop (job threads) are handed to it (core.live).
        live.bind_event_loop(asyncio.get_running_loop())
        self.live_groups = []
        self._versions: dict[tuple[str, int], int] = {}
        self._last_frame: float | None = None
        self._pending: dict[tuple[str, int], dict[str, Any]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: set[asyncio.Future] = set()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.requested = parse_subscriptions(self.scope.get("query_string", b""))
        state = await database_sync_to_async(self._load)()
        if state is None:
            await self.accept()
            await self.close(code=CLOSE_NO_MEMBERSHIP)
            return
        # Joined before the page learns the socket is open: an event published right after
        # "open" (a page that acts on it, a test) is never missed.
        await self._apply(state)
        await self.accept()

    @property
    def membership(self) -> Membership | None:
        return self.viewer.membership if self.viewer else None

    @property
    def subscriptions(self) -> Subscriptions:
        return self.viewer.subscriptions if self.viewer else Subscriptions()

    async def disconnect(self, code: int) -> None:
        timer = getattr(self, "_timer", None)
        if timer is not None:
            timer.cancel()
            self._timer = None
        for task in list(getattr(self, "_flushing", ())):
            task.cancel()  # a frame already on its way has no page left to reach
        for group in self.live_groups:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.live_groups = []

    async def dispatch(self, message: dict[str, Any]) -> None:
        """As Channels' dispatch, without its hop to the shared thread-sensitive thread before
        every message (`aclose_old_connections`): for one event to a thousand sockets that was
        a thousand hops in a row, queued with the page requests that use the thread. This
        consumer reaches the database only through database_sync_to_async, which closes
        stale connections itself, in the thread it runs in."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Browsers only listen on this socket; anything they send is ignored."""

    async def live_event(self, message: dict[str, Any]) -> None:
        event = dict(message.get("event") or {})
        if self.viewer is None:
            return
        html = ""
        recheck = time.monotonic() - self.checked_at > REVALIDATE_SECONDS
        if recheck or live_render.needs_database(self.viewer, event):
            try:
                # A worker thread (not the shared thread-sensitive one, so one slow page does
                # not hold up every other connection), holding a live-render slot
                # (web/live_share.py).
                html, reloaded = await database_sync_to_async(
                    self._render_in_share, thread_sensitive=False
                )(event, recheck)
            except Exception as error:
                if not is_database_unavailable(error):
                    raise
                # A missed update would leave the page stale: drop the socket, it resyncs.
                logger.warning("live render skipped, database busy: closing socket for a resync")
                await self.close(code=CLOSE_TRY_AGAIN_LATER)
                return
            if reloaded is False:
                await self.close(code=CLOSE_NO_MEMBERSHIP)
                return
            if reloaded is not None:
                await self._apply(reloaded)
        assert self.viewer is not None  # set at connect, replaced only by a re-check
        if event.get("states"):
            ready = self._coalesce(event)
            html += "".join(self._render_local(part) for part in ready)
        else:
            html += self._render_local(event)
        if html:
            await self.send(text_data=html)

    # --- coalescing (events that carry states, per object) ----------------------------------

    def _coalesce(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        """The one-object parts of `event` to render now; the others wait for `_flush`.

        One window per socket, not per class: in a rush on 25 classes, a window per class
        meant up to 25 frames per socket every COALESCE_SECONDS (a hundred thousand frames a
        second for a thousand pages); here every change waiting on a socket goes out in one
        frame, each class with its newest state."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        last = self._last_frame
        ready = []
        for state in event["states"]:
            key = (event.get("type", ""), state["id"])
            version = state.get("version", 0)
            if version < self._versions.get(key, version):
                continue  # an older state overtaken in transit by a newer one
            self._versions[key] = version
            part = {**event, "ids": [state["id"]], "states": [state]}
            if self._timer is not None:
                self._pending[key] = part  # the scheduled frame will carry this newest state
            elif last is None or now - last >= COALESCE_SECONDS:
                ready.append(part)
            else:
                self._pending[key] = part
                self._timer = loop.call_at(last + COALESCE_SECONDS, self._schedule_flush)
        if ready:
            self._last_frame = now
        return ready

    def _schedule_flush(self) -> None:
        task = asyncio.ensure_future(self._flush())
        self._flushing.add(task)  # a reference, so the task is not collected mid-way
        task.add_done_callback(self._flushing.discard)

    async def _flush(self) -> None:
        self._timer = None
        parts = list(self._pending.values())
        self._pending.clear()
        if not parts or self.viewer is None:
            return
        self._last_frame = asyncio.get_running_loop().time()
        html = "".join(self._render_local(part) for part in parts)
        if html:
            try:
                await self.send(text_data=html)
            except OSError:  # uvicorn's ClientDisconnected: the page left while it waited
                self.viewer = None

    def _render_local(self, event: dict[str, Any]) -> str:
        assert self.viewer is not None  # only called for connected sockets
        # Dates and times as the viewer's organization writes them (its organization was
        # loaded with the membership: no query here).
        with timeformat.activate(self.viewer.locale or self.viewer.membership.organization):
            return live_render.render_local(self.viewer, event)

    # --- sync helpers (run in threads) -------------------------------------------------------

    def _load(self) -> tuple[live_render.Viewer, list[str]] | None:
        user = cast(User, self.scope["user"])  # connect() let only a signed-in user in
        membership = current_membership(user, self.scope["session"])
        self.checked_at = time.monotonic()
        if membership is None:
            return None
        subscriptions, groups = authorize(user, membership, self.requested)
        if subscriptions.refused:
            logger.info(
                "live subscriptions refused for user %s: %s", user.pk, subscriptions.refused
            )
        return live_render.load_viewer(membership, subscriptions), groups

    def _render_in_share(self, event: dict[str, Any], recheck: bool) -> tuple[str, Reloaded]:
        return with_live_share(lambda: self._render_database(event, recheck))

    def _render_database(self, event: dict[str, Any], recheck: bool) -> tuple[str, Reloaded]:
        reloaded: Reloaded = None
        viewer = self.viewer
        if recheck:
            reloaded = self._load() or False
            if reloaded is False:
                return "", reloaded
            viewer = reloaded[0]
        assert viewer is not None  # connected sockets have one
        with timeformat.activate(viewer.membership.organization):
            return live_render.render_with_database(viewer, event), reloaded

    async def _apply(self, state: tuple[live_render.Viewer, list[str]]) -> None:
        self.viewer, groups = state
        for group in set(self.live_groups) - set(groups):
            await self.channel_layer.group_discard(group, self.channel_name)
        for group in groups:
            if group not in self.live_groups:
                await self.channel_layer.group_add(group, self.channel_name)
        self.live_groups = groups
