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
are re-checked about every REVALIDATE_SECONDS (each socket between half of it and all of it,
so that sockets opened together are not all re-checked together), when events arrive, so a
deactivated member or a changed role stops receiving what it no longer may see. For the
shared class updates the re-check runs beside them (the frame goes out with what the socket
knew): in a rush, a thousand sockets re-checked before their next frame held every frame up
for seconds.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from collections import deque
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
from reformer.web import live_hub, live_render
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


# What _render_database found on a re-check: None (no re-check), False (membership gone),
# or the fresh viewer and groups.
Reloaded = tuple[live_render.Viewer, list[str]] | Literal[False] | None


class LiveConsumer(AsyncWebsocketConsumer):
    """One page's socket. Its groups are followed by the process's hub (web/live_hub.py),
    which hands it events. Events with states (coalesced by the hub) are rendered at once in
    the loop, sharing frames with viewers in the same situation, unless this socket needs
    the database for them; every other event, and those, go to the socket's queue, handled
    in order by its worker task: a worker thread only when the event needs the database for
    this viewer (a re-check is due, the viewer's memory is stale, or a database renderer
    applies), then the local renderers in the loop."""

    viewer: live_render.Viewer | None = None
    live_groups: list[str]
    checked_at: float = 0.0
    # This socket's share of REVALIDATE_SECONDS (spreads the re-checks of sockets opened together).
    recheck_share: float = 1.0

    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        # Events raised outside this loop (job threads) are handed to it (core.live).
        live.bind_event_loop(loop)
        self.hub = live_hub.hub_for(self.channel_layer)
        self.live_groups = []
        self._queue: deque[dict[str, Any]] = deque()
        self._worker: asyncio.Task[None] | None = None
        # Frames go out in order: while one waits for the client, later ones queue behind it.
        self._outbox: deque[str] = deque()
        self._sender: asyncio.Future[None] | None = None  # the task draining the outbox
        # Until accept(), events wait (a send before it is lost: the server refuses it);
        # events with states keep each class's newest state.
        self.accepted = False
        self._held_states: dict[tuple[str, int], dict[str, Any]] = {}
        self._rechecking: asyncio.Task[None] | None = None
        self.recheck_share = random.uniform(0.5, 1.0)
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
        try:
            await self._apply(state)
        except Exception:  # the channel layer failed (Redis): the page retries later
            logger.exception("live groups could not be joined")
            await self.disconnect(CLOSE_TRY_AGAIN_LATER)  # leaves the groups joined so far
            await self.accept()
            await self.close(code=CLOSE_TRY_AGAIN_LATER)
            return
        await self.accept()
        self.accepted = True
        # What arrived while joining: the newest state of each class, after the other events.
        held, self._held_states = self._held_states, {}
        self._queue.extend(live_hub.merge(list(held.values())))
        if self._queue and self._worker is None:
            self._worker = asyncio.ensure_future(self._work())

    @property
    def membership(self) -> Membership | None:
        return self.viewer.membership if self.viewer else None

    @property
    def subscriptions(self) -> Subscriptions:
        return self.viewer.subscriptions if self.viewer else Subscriptions()

    async def disconnect(self, code: int) -> None:
        self.viewer = None
        for task in (getattr(self, "_worker", None), getattr(self, "_rechecking", None)):
            if task is not None:
                task.cancel()
        sender = getattr(self, "_sender", None)
        if sender is not None:
            sender.cancel()  # a frame already on its way has no page left to reach
        # Emptied first: a join under way (a re-check's) sees it and stops.
        groups = list(getattr(self, "live_groups", []))
        self.live_groups = []
        for group in groups:
            await self.hub.leave(self, group)

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

    # --- what the hub hands over (in the loop, never awaiting) ---------------------------------

    def hub_states(self, event: dict[str, Any], frames: dict[Any, str]) -> None:
        """An event with states, coalesced by the hub: rendered now (from `frames` when a
        viewer in the same situation got it already), or queued when this socket has events
        waiting or needs the database for it."""
        viewer = self.viewer
        if viewer is None:
            return
        if not self.accepted:
            self._hold_states(event)
            return
        if self._worker is not None or live_render.needs_database(viewer, event):
            self.hub_event(dict(event))  # its own copy, as the hub's other events
            return
        if self._rechecking is None and self._recheck_due():
            self._rechecking = asyncio.ensure_future(self._recheck())
        with timeformat.activate(viewer.locale or viewer.membership.organization):
            html = live_render.render_shared(viewer, event, frames)
        if html:
            self._send_soon(html)

    def hub_event(self, event: dict[str, Any]) -> None:
        """Any other event: handled after the ones before it, by the socket's worker task."""
        if self.viewer is None:
            return
        self._queue.append(event)
        if self._worker is None and self.accepted:
            self._worker = asyncio.ensure_future(self._work())

    def _hold_states(self, event: dict[str, Any]) -> None:
        """Before accept(): each class's newest state, as the hub coalesces them."""
        for state in event["states"]:
            key = (event.get("type", ""), state["id"])
            held = self._held_states.pop(key, None)
            if held is not None and state.get("version", 0) < held["states"][0].get("version", 0):
                self._held_states[key] = held  # newer (it came by another group)
            else:
                self._held_states[key] = {**event, "ids": [state["id"]], "states": [state]}

    def _recheck_due(self) -> bool:
        return time.monotonic() - self.checked_at > REVALIDATE_SECONDS * self.recheck_share

    async def _recheck(self) -> None:
        """The membership and subscriptions again, beside the live updates (see above)."""
        try:
            reloaded = await database_sync_to_async(
                lambda: with_live_share(self._load), thread_sensitive=False
            )()
        except Exception as error:
            if not is_database_unavailable(error):
                logger.exception("live re-check failed")
            self.checked_at = time.monotonic()  # not again at once: at the next due time
            return
        finally:
            self._rechecking = None
        if self.viewer is None:
            return  # disconnected meanwhile
        if reloaded is None:
            self.viewer = None
            await self.close(code=CLOSE_NO_MEMBERSHIP)
            return
        await self._apply(reloaded)

    def _send_soon(self, html: str) -> None:
        """Send now when the socket takes it (almost always: no task, no loop turn), else
        in a task that waits for the client to read. Behind frames still waiting, in order:
        the server may write a send that did not wait before an earlier one that did."""
        if self._sender is not None:
            self._outbox.append(html)
            return
        # Held (self._sender) so that the task is not collected mid-way.
        self._sender = live_hub.start_eagerly(self._send_in_order(html))

    async def _send_in_order(self, html: str) -> None:
        try:
            await self._send_frame(html)
            while self._outbox and self.viewer is not None:
                await self._send_frame(self._outbox.popleft())
        finally:
            self._sender = None
            self._outbox.clear()  # left only by a closed page

    async def _send_after_waiting(self, html: str) -> None:
        """The worker's frame: after those still waiting, and only once sent (the worker
        takes its next event when the client has read this one, as before)."""
        self._send_soon(html)
        if self._sender is not None:
            await self._sender

    async def _send_frame(self, html: str) -> None:
        try:
            await self.send(text_data=html)
        except OSError:  # uvicorn's ClientDisconnected: the page left while it waited
            self.viewer = None

    async def _work(self) -> None:
        try:
            while self._queue and self.viewer is not None:
                event = self._queue.popleft()
                try:
                    await self._handle(event)
                except Exception:
                    logger.exception("live event %s failed", event.get("type"))
        finally:
            self._worker = None

    async def _handle(self, event: dict[str, Any]) -> None:
        viewer = self.viewer
        if viewer is None:
            return
        html = ""
        recheck = self._rechecking is None and self._recheck_due()
        if recheck or live_render.needs_database(viewer, event):
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
                self.viewer = None
                await self.close(code=CLOSE_TRY_AGAIN_LATER)
                return
            if reloaded is False:
                self.viewer = None
                await self.close(code=CLOSE_NO_MEMBERSHIP)
                return
            if reloaded is not None:
                await self._apply(reloaded)
        if self.viewer is None:
            return  # disconnected meanwhile
        html += self._render_local(event)
        if html:
            await self._send_after_waiting(html)

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
        known = self.viewer
        if (
            known is not None
            and subscriptions.user  # their own events keep the memory current
            and known.subscriptions == subscriptions
            and known.membership.pk == membership.pk
            and known.membership.role == membership.role
        ):
            # A re-check that changed nothing this page sees: the memory is kept (two
            # queries fewer per socket and minute; in a rush, connections bookings need).
            return live_render.renew_viewer(known, membership), groups
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
        live_groups = self.live_groups
        for group in set(live_groups) - set(groups):
            live_groups.remove(group)
            await self.hub.leave(self, group)
        for group in groups:
            if self.live_groups is not live_groups:
                return  # disconnected meanwhile: it left what was listed
            if group not in live_groups:
                # Listed before the join: a disconnect meanwhile leaves it.
                live_groups.append(group)
                try:
                    await self.hub.join(self, group)
                except Exception:
                    live_groups.remove(group)  # the hub has let the socket go
                    raise
