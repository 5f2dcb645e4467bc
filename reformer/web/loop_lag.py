"""How late the event loop runs what is due (a diagnostic for benchmarks and operators).

With REFORMER_LOOP_LAG_FILE set, each web process samples its loop every SAMPLE_SECONDS (how
much later than asked a timer fired: everything else the loop did meanwhile) and writes the
last MAX_SAMPLES as `[[monotonic time, lag seconds], ...]` to `<file>.<pid>` when it stops
(the ASGI lifespan, reformer/asgi.py). bench/rush.py reads them: a loop that is late is a
websocket frame and a request answer that are late by as much.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import deque
from pathlib import Path

LOOP_LAG_ENV = "REFORMER_LOOP_LAG_FILE"
SAMPLE_SECONDS = 0.05
# The newest half hour: a process that runs for days keeps no more (a bench needs minutes).
MAX_SAMPLES = 36_000


class LoopLag:
    def __init__(self, path: str) -> None:
        self.path = Path(f"{path}.{os.getpid()}")
        self.samples: deque[tuple[float, float]] = deque(maxlen=MAX_SAMPLES)
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.ensure_future(self._sample())

    async def _sample(self) -> None:
        while True:
            asked = time.monotonic()
            await asyncio.sleep(SAMPLE_SECONDS)
            now = time.monotonic()
            self.samples.append((now, now - asked - SAMPLE_SECONDS))

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
        self.path.write_text(json.dumps(list(self.samples)))


def from_environment() -> LoopLag | None:
    path = os.environ.get(LOOP_LAG_ENV)
    if not path:
        return None
    lag = LoopLag(path)
    lag.start()
    return lag
