"""Tasks only the scale tests run, on workers started as

    python -c "from tests.scale.ticking import main; main()" worker
    python -c "from tests.scale.ticking import main; main()" defer KEY

- `scale.tick`, periodic every TICK_SECONDS: records its tick (a tick recorded twice would
  mean two workers both ran it).
- `scale.slow_effect(key)`: records each attempt (with the worker's pid), works for
  SLOW_SECONDS, then records its effect under an idempotency key (once, however many times
  the job runs): what every real task does (ARCHITECTURE §5).
The tables are created by the test (tests/scale/cluster.py).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time

TICK_SECONDS = 2
SLOW_SECONDS = 6.0

TABLES = """
CREATE TABLE IF NOT EXISTS scale_ticks (tick bigint NOT NULL, pid int NOT NULL);
CREATE TABLE IF NOT EXISTS scale_attempts (key text NOT NULL, pid int NOT NULL);
CREATE TABLE IF NOT EXISTS scale_effects (key text PRIMARY KEY);
"""


def _register():
    from django.db import connection
    from procrastinate.contrib.django import app

    @app.periodic(cron=f"* * * * * */{TICK_SECONDS}", periodic_id="scale-tick")
    @app.task(name="scale.tick")
    def tick(timestamp: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO scale_ticks VALUES (%s, %s)", [timestamp, os.getpid()])

    @app.task(name="scale.slow_effect")
    def slow_effect(key: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO scale_attempts VALUES (%s, %s)", [key, os.getpid()])
        time.sleep(SLOW_SECONDS)  # the job's work, long enough to be killed in the middle
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO scale_effects VALUES (%s) ON CONFLICT DO NOTHING", [key])

    return slow_effect


def main() -> None:
    from reformer import cli

    cli._setup()
    slow_effect = _register()
    if sys.argv[1] == "defer":
        slow_effect.defer(key=sys.argv[2])
        return
    from reformer.worker import run_worker_supervised, standalone_concurrency

    # As `reformer worker` runs: several jobs at once.
    asyncio.run(
        run_worker_supervised(install_signal_handlers=True, concurrency=standalone_concurrency())
    )
