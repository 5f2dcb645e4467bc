"""Appointment jobs: the no-show sweep (the class sweep's twin)."""

from __future__ import annotations

import logging

from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from reformer.appointments import actions

logger = logging.getLogger(__name__)


@app.periodic(cron="*/15 * * * *")
@app.task(
    name="appointments.mark_overdue_no_shows",
    queueing_lock="appointments.mark_overdue_no_shows",
    retry=RetryStrategy(max_attempts=3, exponential_wait=5),
)
def mark_overdue_no_shows(timestamp: int) -> None:
    marked = actions.mark_overdue_no_shows()
    logger.info("appointment no-show sweep at %s marked %d places", timestamp, marked)
