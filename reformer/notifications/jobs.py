"""Outbox jobs. Thin: take ids, re-read, act (ARCHITECTURE §5).

`send_message` sends one message; when it must wait (backoff, Retry-After, quiet hours, an
open circuit) the message stays queued and the job defers itself for that time. The
periodic jobs find reminders and expiry warnings that fell due, and put the outbox right
after a worker died.
"""

from __future__ import annotations

import contextlib
import logging

from django.db import InterfaceError, OperationalError
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app
from procrastinate.exceptions import AlreadyEnqueued

from reformer.notifications import batch, expiry, recovery, reminders
from reformer.notifications.sending import deliver_message

logger = logging.getLogger(__name__)


@app.task(
    name="notifications.send_message",
    retry=RetryStrategy(
        max_attempts=5, exponential_wait=2, retry_exceptions=[OperationalError, InterfaceError]
    ),
)
def send_message(message_id: int) -> None:
    outcome = deliver_message(message_id)
    if outcome.retry_at is not None:
        # A job already waiting for this message (recovery made one) will do.
        with contextlib.suppress(AlreadyEnqueued):
            send_message.configure(
                schedule_at=outcome.retry_at, queueing_lock=f"message-{message_id}"
            ).defer(message_id=message_id)


@app.task(
    name="notifications.send_batch",
    retry=RetryStrategy(
        max_attempts=5, exponential_wait=2, retry_exceptions=[OperationalError, InterfaceError]
    ),
)
def send_batch(message_ids: list[int]) -> None:
    """Many messages queued together (reminders falling due at once): one job for a batch."""
    for message_id, outcome in batch.deliver_batch(message_ids).items():
        if outcome.retry_at is not None:
            with contextlib.suppress(AlreadyEnqueued):
                send_message.configure(
                    schedule_at=outcome.retry_at, queueing_lock=f"message-{message_id}"
                ).defer(message_id=message_id)


@app.periodic(cron="* * * * *", periodic_id="reminders")
@app.task(name="notifications.queue_due_reminders", queueing_lock="notifications.reminders")
def queue_due_reminders(timestamp: int) -> None:
    queued = reminders.queue_due_reminders()
    if queued:
        logger.info("queued %d class reminders", queued)


@app.periodic(cron="7 * * * *", periodic_id="expiry-warnings")
@app.task(name="notifications.queue_expiry_warnings", queueing_lock="notifications.expiry")
def queue_expiry_warnings(timestamp: int) -> None:
    queued = expiry.queue_expiry_warnings()
    if queued:
        logger.info("queued %d package expiry warnings", queued)


@app.periodic(cron="* * * * *", periodic_id="outbox-recovery")
@app.task(name="notifications.recover_outbox", queueing_lock="notifications.recovery")
def recover_outbox(timestamp: int) -> None:
    recovery.recover_outbox()
