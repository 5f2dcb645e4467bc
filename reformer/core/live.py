"""Live events to browsers, sent only after the transaction that caused them commits.

A message is `{type, op, ids}` sent to named channel groups; the websocket consumer turns
it into rendered HTML fragments for that browser. Group names (ARCHITECTURE §5.5):
`studio.{id}.schedule`, `session.{id}.roster`, `user.{id}`, `organization.{id}.metrics`
(dots: Channels allows no colons in group names).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def studio_schedule(studio_id: int) -> str:
    return f"studio.{studio_id}.schedule"


def session_roster(session_id: int) -> str:
    return f"session.{session_id}.roster"


def user_channel(user_id: int) -> str:
    return f"user.{user_id}"


def organization_metrics(organization_id: int) -> str:
    return f"organization.{organization_id}.metrics"


def publish_after_commit(groups: Iterable[str], type: str, op: str, ids: Iterable[int]) -> None:
    """Queue a live event; it is sent when (and only if) the current transaction commits."""
    message = {"type": "live.event", "event": {"type": type, "op": op, "ids": list(ids)}}
    group_list = list(dict.fromkeys(groups))
    transaction.on_commit(lambda: send_now(group_list, message))


# The event loop that serves websockets in this process. The in-memory channel layer is
# built on asyncio queues, which must be fed from their own loop: a job thread (the
# in-process worker) or a test thread would otherwise put into them from a foreign loop and
# the consumer might never wake. Consumers bind it when they connect.
_server_loop: asyncio.AbstractEventLoop | None = None
_server_loop_thread: int | None = None


def bind_event_loop(loop: asyncio.AbstractEventLoop) -> None:
    global _server_loop, _server_loop_thread
    _server_loop, _server_loop_thread = loop, threading.get_ident()


def send_now(groups: list[str], message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _server_loop
    use_server_loop = (
        loop is not None and loop.is_running() and threading.get_ident() != _server_loop_thread
    )
    for group in groups:
        try:
            if use_server_loop:
                assert loop is not None  # use_server_loop says so
                future = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop)
                future.result(timeout=5)
            else:
                async_to_sync(layer.group_send)(group, message)
        except Exception:  # A lost live event must never fail the change that caused it.
            logger.exception("live event to %s failed", group)
