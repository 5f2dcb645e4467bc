"""Appointment jobs: the no-show sweep and reminders (the class jobs' twins)."""

from __future__ import annotations

import logging

from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from reformer.appointments import actions, reminders

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


@app.periodic(cron="* * * * *", periodic_id="appointment-reminders")
@app.task(
    name="appointments.queue_due_reminders",
    queueing_lock="appointments.reminders",
)
def queue_due_reminders(timestamp: int) -> None:
    queued = reminders.queue_due_reminders()
    if queued:
        logger.info("queued %d appointment reminders", queued)
