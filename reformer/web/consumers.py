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
from typing import Any, cast
from urllib.parse import parse_qs

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


class LiveConsumer(AsyncWebsocketConsumer):
    membership: Membership | None = None
    subscriptions: Subscriptions = Subscriptions()
    live_groups: list[str]
    checked_at: float = 0.0

    async def connect(self) -> None:
        # Events raised outside this loop (job threads) are handed to it (core.live).
        live.bind_event_loop(asyncio.get_running_loop())
        self.live_groups = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.requested = parse_subscriptions(self.scope.get("query_string", b""))
        state = await database_sync_to_async(self._load)()
        await self.accept()
        if state is None:
            await self.close(code=CLOSE_NO_MEMBERSHIP)
            return
        await self._apply(state)

    async def disconnect(self, code: int) -> None:
        for group in self.live_groups:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.live_groups = []

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Browsers only listen on this socket; anything they send is ignored."""

    async def live_event(self, message: dict[str, Any]) -> None:
        event = message.get("event") or {}
        # Rendering reads the database: a worker thread (not the shared thread-sensitive one,
        # so one slow page does not hold up every other connection).
        # At most a small share of the pool renders at once (web/live_share.py).
        try:
            html, state = await database_sync_to_async(
                self._render_in_share, thread_sensitive=False
            )(event)
        except Exception as error:
            if not is_database_unavailable(error):
                raise
            # A missed update would leave the page stale: drop the socket, the page resyncs.
            logger.warning("live render skipped, database busy: closing socket for a resync")
            await self.close(code=CLOSE_TRY_AGAIN_LATER)
            return
        if state is not None:
            if state is False:
                await self.close(code=CLOSE_NO_MEMBERSHIP)
                return
            await self._apply(state)
        if html:
            await self.send(text_data=html)

    # --- sync helpers (run in threads) -------------------------------------------------------

    def _load(self) -> tuple[Membership, Subscriptions, list[str]] | None:
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
        return membership, subscriptions, groups

    def _render_in_share(self, event: dict[str, Any]) -> tuple[str, Any]:
        return with_live_share(lambda: self._render(event))

    def _render(self, event: dict[str, Any]) -> tuple[str, Any]:
        state: Any = None
        if time.monotonic() - self.checked_at > REVALIDATE_SECONDS:
            state = self._load() or False
            if state is False:
                return "", state
            membership, subscriptions, _ = state
        else:
            membership, subscriptions = self.membership, self.subscriptions
        with timeformat.activate(membership.organization if membership else None):
            return live_render.render_event(membership, event, subscriptions), state

    async def _apply(self, state: tuple[Membership, Subscriptions, list[str]]) -> None:
        self.membership, self.subscriptions, groups = state
        for group in set(self.live_groups) - set(groups):
            await self.channel_layer.group_discard(group, self.channel_name)
        for group in groups:
            if group not in self.live_groups:
                await self.channel_layer.group_add(group, self.channel_name)
        self.live_groups = groups
