"""The channel layer of one process (no REDIS_URL): Channels' in-memory layer, without the
two costs that made one live event to a thousand sockets take seconds.

- Channels' `InMemoryChannelLayer.receive` walks every channel and every group membership
  of the process to drop expired messages, on every receive: a thousand sockets each
  receiving one event walk a thousand channels each (a million steps per event). Here that
  sweep runs at most once every CLEAN_EVERY_SECONDS.
- Its `group_send` starts a task per receiver and deep-copies the message for each one. Here
  the message is copied once (so the sender may reuse its dict) and that copy is queued to
  every receiver: receivers must treat messages as read-only (web/consumers.py copies what it
  changes).

Several processes use channels-redis's pub/sub layer instead (settings.CHANNEL_LAYERS): a
group event crosses Redis once per process, and each process hands it to its own sockets
(web/live_hub.py); requests and jobs publish to it from their own thread
(core/live.py `publish_from_thread`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from copy import deepcopy
from typing import Any

from channels.layers import InMemoryChannelLayer

CLEAN_EVERY_SECONDS = 1.0
# The process's live hub (web/live_hub.py) receives every event of a group on one channel:
# room for a burst while the loop is busy (Channels' default of 100 would drop the rest).
HUB_CHANNEL_CAPACITY = 10_000


class LocalChannelLayer(InMemoryChannelLayer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cleaned_at = 0.0

    def get_capacity(self, channel: str) -> int:
        from reformer.web.live_hub import CHANNEL_PREFIX

        if channel.startswith(CHANNEL_PREFIX):
            return HUB_CHANNEL_CAPACITY
        return super().get_capacity(channel)

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._cleaned_at < CLEAN_EVERY_SECONDS:
            return
        self._cleaned_at = now
        super()._clean_expired()  # type: ignore[misc]  # not in the stubs

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        receivers = list(self.groups.get(group, ()))
        if not receivers:
            return
        entry = (time.time() + self.expiry, deepcopy(message))
        for channel in receivers:
            queue = self.channels.setdefault(
                channel, asyncio.Queue(maxsize=self.get_capacity(channel))
            )
            # As Channels' own group_send: a full channel misses the message.
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(entry)
