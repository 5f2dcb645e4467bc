"""Scheduling jobs: keep every weekly class generated four weeks ahead."""

from __future__ import annotations

import datetime as dt

from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from reformer.scheduling.actions import GENERATION_HORIZON, generate_sessions


@app.periodic(cron="15 3 * * *", periodic_id="nightly")
@app.task(
    name="scheduling.generate_upcoming_sessions",
    queueing_lock="scheduling.generate_upcoming_sessions",
    retry=RetryStrategy(max_attempts=5, exponential_wait=10),
)
def generate_upcoming_sessions(timestamp: int) -> int:
    """Generate all active templates up to four weeks after the scheduled day. Idempotent,
    so a retry or a second worker's run creates nothing twice."""
    day = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC).date()
    return generate_sessions(until=day + GENERATION_HORIZON)
