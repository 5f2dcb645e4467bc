"""Live events to browsers, sent only after the transaction that caused them commits.

A message is `{type, op, ids}` (plus `states`, the objects' public state, for types with a
state reader: "session") sent to named channel groups; the websocket consumer turns it into
rendered HTML fragments for each browser. Group names (ARCHITECTURE §5.5):
`studio.{id}.schedule`, `session.{id}.roster`, `user.{id}`, `organization.{id}.metrics`
(dots: Channels allows no colons in group names).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

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


# Readers of the public state an event carries, per event type: `reader(ids) -> [state]`,
# each state a dict of plain values with "id" and "version" (bookings/class_state.py for
# "session"). Consumers render from the state instead of reading the database per viewer.
StateReader = Callable[[list[int]], list[dict[str, Any]]]
_state_readers: dict[str, StateReader] = {}
# The states a publisher read in its transaction, made into dicts when the event is sent.
StatesKnown = Callable[[], list[dict[str, Any]]]


def attach_states(event_type: str, reader: StateReader) -> None:
    """Events of `event_type` carry `states`, read by `reader` once when they are sent."""
    _state_readers[event_type] = reader


def build_event(
    type: str, op: str, ids: Iterable[int], *, states: StatesKnown | None = None
) -> dict[str, Any]:
    """The event as consumers receive it. With a state reader for `type`, it carries the
    objects' public state: `states()` when the publisher read them already (in the
    transaction, as its commit leaves them), else read now (after commit: what every viewer
    should see). A failed read sends the event without states; consumers then read the
    state themselves."""
    event: dict[str, Any] = {"type": type, "op": op, "ids": list(ids)}
    reader = _state_readers.get(type)
    if states is not None:
        event["states"] = states()
    elif reader is not None:
        try:
            event["states"] = reader(event["ids"])
        except Exception:
            logger.warning("live event %s/%s sent without its state", type, op, exc_info=True)
    return event


def publish_after_commit(
    groups: Iterable[str],
    type: str,
    op: str,
    ids: Iterable[int],
    *,
    states: StatesKnown | None = None,
) -> None:
    """Queue a live event; it is sent when (and only if) the current transaction commits.
    `states`: gives the objects' public state as the commit leaves them, when the caller
    read it in the transaction (saves the read after commit; see build_event)."""
    id_list = list(ids)
    group_list = list(dict.fromkeys(groups))

    def send() -> None:
        event = build_event(type, op, id_list, states=states)
        send_now(group_list, {"type": "live.event", "event": event})

    transaction.on_commit(send)


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
    """Hand `message` to each group. From a thread other than the server's loop (a request's
    or a job's), the loop sends it when it next runs and this returns at once: a booking's
    answer does not wait for a loop busy fanning out the previous bookings (in the rush it
    waited seconds). Each group's send is scheduled in order, so a group's events keep their
    order."""
    layer = get_channel_layer()
    if layer is None:
        return

    async def send_to_each(groups: list[str]) -> None:
        # Every group in one coroutine: one hand-over to the server loop per event, not
        # one per group (each costs the publishing thread a wait for that loop).
        for group in groups:
            try:
                await layer.group_send(group, message)
            except Exception:  # A lost live event must never fail the change that caused it.
                logger.exception("live event to %s failed", group)

    loop = _server_loop
    use_server_loop = (
        loop is not None and loop.is_running() and threading.get_ident() != _server_loop_thread
    )

    def published_here(group: str) -> bool:
        try:
            return publish_from_thread(layer, group, message)
        except Exception:  # A lost live event must never fail the change that caused it.
            logger.exception("live event to %s failed", group)
            return True  # handled: not handed to the loop as well

    try:
        # Redis: straight from this thread, whatever the loop is doing; the groups it could
        # not take (another layer, or Redis not answering) go the layer's own way.
        remaining = [group for group in groups if not published_here(group)]
        if not remaining:
            return
        if use_server_loop:
            assert loop is not None  # use_server_loop says so
            future = asyncio.run_coroutine_threadsafe(send_to_each(remaining), loop)
            future.add_done_callback(functools.partial(_log_failure, ", ".join(remaining)))
        else:
            async_to_sync(_within_bound)(send_to_each(remaining), ", ".join(remaining))
    except Exception:  # A lost live event must never fail the change that caused it.
        logger.exception("live event to %s failed", ", ".join(groups))


# With no server loop in the process (`reformer worker`, a management command), the
# publishing thread sends itself and waits: a stalled Redis must not hold a job forever.
LOOPLESS_SEND_TIMEOUT_SECONDS = 5.0


async def _within_bound(sending: Coroutine[Any, Any, None], groups: str) -> None:
    try:
        await asyncio.wait_for(sending, LOOPLESS_SEND_TIMEOUT_SECONDS)
    except TimeoutError:
        logger.warning(
            "live event to %s not sent: the channel layer did not take it within %.0f s",
            groups,
            LOOPLESS_SEND_TIMEOUT_SECONDS,
        )


def _log_failure(group: str, future: concurrent.futures.Future) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.error("live event to %s failed", group, exc_info=future.exception())


# --- publishing to the Redis pub/sub layer from a thread ------------------------------------

_clients = threading.local()
# A request's thread waits at most this long for Redis (to connect, then to answer): it
# holds the booking's answer and its pooled database connection meanwhile.
PUBLISH_TIMEOUT_SECONDS = 0.5
# After Redis failed a thread, threads leave publishing to the server's loop (send_now) for
# this long: a stalled Redis costs one request PUBLISH_TIMEOUT_SECONDS, not every request.
PUBLISH_PAUSE_SECONDS = 10.0
_paused_until = 0.0


def publish_from_thread(layer: Any, group: str, message: dict[str, Any]) -> bool:
    """PUBLISH `message` to `group` on channels-redis's pub/sub layer straight from this
    (request or job) thread, with a synchronous Redis client of the thread's own; False when
    `layer` is not that layer with one Redis host (the caller then hands the send to the
    server's loop). The message is serialized and named exactly as the layer's own
    group_send does. Handing it to the loop instead queued every booking's publishes behind
    the loop's fan-out, one Redis round trip at a time under the layer's lock: in the rush
    the events left seconds after their bookings were answered."""
    # A pub/sub layer's module is imported with it. Importing it here for any other layer
    # cost the first event of every process 0.3-0.7 s (redis's client is a large import),
    # in the booking's thread, ahead of its class's own event (bench/browse.py round 1).
    pubsub = sys.modules.get("channels_redis.pubsub")
    kwargs = getattr(layer, "_kwargs", None)
    if pubsub is None or not isinstance(layer, pubsub.RedisPubSubChannelLayer) or kwargs is None:
        return False
    hosts = kwargs.get("hosts") or []
    if len(hosts) != 1 or not isinstance(hosts[0], dict) or "address" not in hosts[0]:
        return False
    # Also False (the loop's way) while a failure pauses publishing from threads, and for
    # the group that failed.
    global _paused_until
    if time.monotonic() < _paused_until:
        return False
    import redis

    address = hosts[0]["address"]
    client = getattr(_clients, "client", None)
    if client is None or getattr(_clients, "address", None) != address:
        client = _clients.client = redis.Redis.from_url(
            address,
            socket_connect_timeout=PUBLISH_TIMEOUT_SECONDS,
            socket_timeout=PUBLISH_TIMEOUT_SECONDS,
        )
        _clients.address = address
    channel = f"{kwargs.get('prefix', 'asgi')}__group__{group}"
    try:
        client.publish(channel, layer.serialize(message))
    except redis.RedisError as error:
        if time.monotonic() >= _paused_until:  # once per pause, not per thread or group
            logger.warning(
                "Redis did not take a live event (%s): events go through the server's loop "
                "for %.0f s",
                error,
                PUBLISH_PAUSE_SECONDS,
            )
        _paused_until = time.monotonic() + PUBLISH_PAUSE_SECONDS
        return False
    return True
