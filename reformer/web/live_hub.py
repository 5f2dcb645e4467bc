"""One process's side of live fan-out: one channel-layer subscription per group, however many
sockets of this process are in it, and one rendered frame per kind of viewer.

Before, every socket was its own member of its groups in the channel layer: one booking
became a message in a thousand socket queues, a thousand consumer wake-ups, a thousand
copies, coalescing decisions and renders, and (with Redis) a thousand deserializations; in
the 7 a.m. rush that was a hundred events a second times a thousand sockets, more than two
cores do. Here each process (each event loop) has one `LiveHub`: it subscribes one channel
of its own to a group when the first socket of the process joins it, and hands what arrives
to the sockets itself.

- Events that carry states ("session": web/live_render.py) are coalesced per group, here,
  once: the first change after a quiet COALESCE_SECONDS goes out at once, later ones wait
  and go out together when the window ends, each object with its newest state (a state
  overtaken in transit by a newer one is dropped). Then each socket either takes its frame
  from the ones rendered for this window (`live_render.render_shared`: viewers in the same
  situation share one string, rendered once) or, when it needs the database for this event
  (its re-check is due, its memory is stale), queues the event for its own worker task.
- Other events (a viewer's own bookings, rosters, metrics) go to each socket's queue and
  are handled in order by its worker task, as before.

A socket is anything with `hub_event(event)` and `hub_states(event, frames)` (the live
consumer, web/consumers.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Coroutine
from typing import Any, Protocol

logger = logging.getLogger(__name__)

# At most one frame of states per group (so per socket and group) in this many seconds.
COALESCE_SECONDS = 0.25
# The hub's channels are named with this prefix (web/channel_layers.py gives them room for
# a long burst: one such channel carries every event of its group to the process).
CHANNEL_PREFIX = "live-hub."
# Channels' in-memory layer ends a membership a day after it was added (its group_expiry):
# a group that always has a socket of this process would go silent. The hub joins again
# this often (an idempotent group_add; channels-redis has no such expiry).
REJOIN_SECONDS = 3600.0
# The newest versions seen per group are kept for this many objects (those changed last):
# a state overtaken in transit is milliseconds late, not hundreds of changes.
MAX_VERSIONS = 512
# After the layer fails to receive a group's events, the hub subscribes again this much later.
RESUBSCRIBE_SECONDS = 1.0


class HubSocket(Protocol):
    def hub_event(self, event: dict[str, Any]) -> None: ...

    def hub_states(self, event: dict[str, Any], frames: dict[Any, str]) -> None: ...


class _Group:
    """One channel-layer group as this process follows it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sockets: dict[HubSocket, None] = {}  # an ordered set
        self.channel = ""
        self.opened: asyncio.Task[None] | None = None
        self.receiver: asyncio.Task[None] | None = None
        # Coalescing of events with states.
        self.versions: dict[tuple[str, int], int] = {}
        self.pending: dict[tuple[str, int], dict[str, Any]] = {}
        self.last_frame: float | None = None
        self.timer: asyncio.TimerHandle | None = None


class LiveHub:
    """The live groups of one event loop (see the module notes)."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.groups: dict[str, _Group] = {}
        self._rejoining: asyncio.Task[None] | None = None

    async def join(self, socket: HubSocket, name: str) -> None:
        """`socket` receives the group's events once this returns."""
        group = self.groups.get(name)
        if group is None:
            group = self.groups[name] = _Group(name)
            group.opened = asyncio.ensure_future(self._open(group))
        group.sockets[socket] = None
        if self._rejoining is None:
            self._rejoining = asyncio.ensure_future(self._rejoin())
        assert group.opened is not None
        try:
            await asyncio.shield(group.opened)
        except Exception:
            # It never subscribed (the layer failed): the next join opens it again.
            group.sockets.pop(socket, None)
            if self.groups.get(name) is group:
                del self.groups[name]
            raise

    async def leave(self, socket: HubSocket, name: str) -> None:
        group = self.groups.get(name)
        if group is None or socket not in group.sockets:
            return
        del group.sockets[socket]
        if group.sockets:
            return
        # The last socket of this process left: stop following the group.
        del self.groups[name]
        if group.timer is not None:
            group.timer.cancel()
        try:
            assert group.opened is not None
            await asyncio.shield(group.opened)
        except Exception:
            return  # it never subscribed
        if group.receiver is not None:
            group.receiver.cancel()
        try:
            await self.layer.group_discard(name, group.channel)
        except Exception:  # the socket has left; the caller goes on to its other groups
            logger.exception("live group %s could not be left", name)

    async def _rejoin(self) -> None:
        while True:
            await asyncio.sleep(REJOIN_SECONDS)
            for group in list(self.groups.values()):
                if group.receiver is not None:  # opened
                    try:
                        await self.layer.group_add(group.name, group.channel)
                    except Exception:
                        logger.exception("live group %s could not be joined again", group.name)

    async def _open(self, group: _Group) -> None:
        group.channel = await self.layer.new_channel(prefix=CHANNEL_PREFIX)
        await self.layer.group_add(group.name, group.channel)
        group.receiver = asyncio.ensure_future(self._receive(group))

    async def _receive(self, group: _Group) -> None:
        while True:
            try:
                message = await self.layer.receive(group.channel)
            except Exception:
                # The layer failed (Redis): subscribe again rather than go quiet.
                logger.exception("live group %s stopped receiving: subscribing again", group.name)
                await self._reopen(group)
                continue
            try:
                self._deliver(group, message)
            except Exception:  # one bad event must not stop the group's updates
                logger.exception("live event to %s failed", group.name)

    async def _reopen(self, group: _Group) -> None:
        """A new channel in the group, tried every RESUBSCRIBE_SECONDS while the layer fails
        (leave() cancels this with the receiver)."""
        while True:
            await asyncio.sleep(RESUBSCRIBE_SECONDS)
            try:
                channel = await self.layer.new_channel(prefix=CHANNEL_PREFIX)
                await self.layer.group_add(group.name, channel)
            except Exception:
                logger.warning("live group %s could not be joined again", group.name)
                continue
            old, group.channel = group.channel, channel
            with contextlib.suppress(Exception):  # gone with the layer's failure, likely
                await self.layer.group_discard(group.name, old)
            return

    def _deliver(self, group: _Group, message: dict[str, Any]) -> None:
        event = message.get("event") or {}
        if event.get("states"):
            self._coalesce(group, event)
            return
        for socket in list(group.sockets):
            socket.hub_event(dict(event))  # its own copy: a socket may add to it

    # --- coalescing (events that carry states, per object, per group) ---------------------

    def _coalesce(self, group: _Group, event: dict[str, Any]) -> None:
        loop = asyncio.get_running_loop()
        for state in event["states"]:
            key = (event.get("type", ""), state["id"])
            version = state.get("version", 0)
            if version < group.versions.get(key, version):
                continue  # an older state overtaken in transit by a newer one
            group.versions.pop(key, None)  # re-inserted last: the oldest go first
            group.versions[key] = version
            if len(group.versions) > MAX_VERSIONS:
                del group.versions[next(iter(group.versions))]
            group.pending.pop(key, None)  # re-inserted last: frames keep the order of change
            group.pending[key] = {**event, "ids": [state["id"]], "states": [state]}
        if not group.pending or group.timer is not None:
            return  # nothing new, or the scheduled frame will carry it
        now = loop.time()
        if group.last_frame is None or now - group.last_frame >= COALESCE_SECONDS:
            self._flush(group)
        else:
            group.timer = loop.call_at(group.last_frame + COALESCE_SECONDS, self._flush, group)

    def _flush(self, group: _Group) -> None:
        group.timer = None
        if not group.pending or self.groups.get(group.name) is not group:
            return
        group.last_frame = asyncio.get_running_loop().time()
        events = merge(list(group.pending.values()))
        group.pending.clear()
        for event in events:
            frames: dict[Any, str] = {}  # rendered for this event, by kind of viewer
            for socket in list(group.sockets):
                try:
                    socket.hub_states(event, frames)
                except Exception:
                    logger.exception("live frame to a socket of %s failed", group.name)


def merge(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One event per (type, op) of one-object parts, in the order of their first part, with
    every part's ids and states."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for part in parts:
        key = (part.get("type", ""), part.get("op", ""))
        event = merged.get(key)
        if event is None:
            merged[key] = {**part, "ids": list(part["ids"]), "states": list(part["states"])}
        else:
            event["ids"] += part["ids"]
            event["states"] += part["states"]
    return list(merged.values())


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LiveHub] = weakref.WeakKeyDictionary()


def hub_for(layer: Any) -> LiveHub:
    """The running event loop's hub on `layer` (a new one when the layer was replaced: tests
    start from fresh layers; sockets keep the hub they joined through)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None or hub.layer is not layer:
        hub = _hubs[loop] = LiveHub(layer)
    return hub


def start_eagerly(coro: Coroutine[Any, Any, None]) -> asyncio.Future[None] | None:
    """Run `coro` now, up to its first real wait; None when it finished there, else a task
    that finishes it (Python 3.12's eager tasks, by hand). A socket's send only waits when
    the client reads slower than it is written to (uvicorn's flow control), so a thousand
    sends cost no thousand tasks and loop turns. Errors raised before any wait propagate."""
    try:
        waited = coro.send(None)
    except StopIteration:
        return None
    return asyncio.ensure_future(_finish(coro, waited))


async def _finish(coro: Coroutine[Any, Any, None], waited: Any) -> None:
    """Drive `coro` from a wait it started outside a task: each time it yields a future (or
    None, to let the loop run), wait for that, then resume it, as a Task's step does."""
    try:
        while True:
            if waited is None:
                await asyncio.sleep(0)
            else:
                await asyncio.wait([waited])  # done or failed: the coroutine reads which
            try:
                waited = coro.send(None)
            except StopIteration:
                return
    except asyncio.CancelledError:
        coro.close()
        raise
