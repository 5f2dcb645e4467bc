"""Server-side timing of live fan-out for bench/browse.py: the uvicorn subprocess records
when each event was published, handed to its group and sent to each socket."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

# The server subprocess writes what it did and when to this file (JSON, at its exit).
TRACE_ENV = "BENCH_LIVE_TRACE"


def trace_live_sends(path: str) -> None:
    """Record, in this (server) process, when each live event was published (the booking's
    thread: when it handed the event over), when the event loop began handing it to the
    group and when each websocket frame was handed to its socket, with the loop thread's CPU
    time at both (a figure the machine's load does not inflate). A thread writes the record
    to `path` (uvicorn ends the process by re-raising the SIGTERM it caught)."""
    from channels.layers import get_channel_layer

    from reformer.core import live
    from reformer.web.consumers import LiveConsumer

    published: list[float] = []
    group_sends: list[tuple[float, float]] = []
    sends: list[tuple[float, float]] = []
    send_now, consumer_send = live.send_now, LiveConsumer.send
    layer_class = type(get_channel_layer())
    group_send = layer_class.group_send

    def traced_send_now(groups, message):
        published.append(time.monotonic())
        send_now(groups, message)

    async def traced_group_send(self, group, message):
        group_sends.append((time.monotonic(), time.thread_time()))
        await group_send(self, group, message)

    async def traced_send(self, text_data=None, bytes_data=None, close=False):
        await consumer_send(self, text_data=text_data, bytes_data=bytes_data, close=close)
        if text_data:
            sends.append((time.monotonic(), time.thread_time()))

    live.send_now = traced_send_now
    layer_class.group_send = traced_group_send
    LiveConsumer.send = traced_send  # type: ignore[method-assign]

    def write() -> None:
        written = -1
        while True:
            time.sleep(0.2)
            if len(sends) + len(published) != written:
                written = len(sends) + len(published)
                record = {"published": published, "group_sends": group_sends, "sends": sends}
                Path(f"{path}.new").write_text(json.dumps(record))
                Path(f"{path}.new").replace(path)

    threading.Thread(target=write, daemon=True).start()


# With this set, the server subprocess profiles its event loop thread (cProfile) and writes
# the statistics to this path when it is stopped (SIGTERM), for `python -m pstats`.
PROFILE_ENV = "BENCH_PROFILE"


def profile_until_stopped(path: str) -> None:
    """Profile this (main, event loop) thread from now; on SIGTERM write the statistics to
    `path` and exit. uvicorn restores this handler and re-raises the SIGTERM it caught."""
    import cProfile
    import signal
    import sys

    profiler = cProfile.Profile()

    def stop(signum, frame):
        profiler.disable()
        profiler.dump_stats(path)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    profiler.enable()
