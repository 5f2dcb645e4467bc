"""Sending the outbox. Thin: take the id, re-read, send (ARCHITECTURE §5.4)."""

from __future__ import annotations

from django.db import OperationalError
from procrastinate import JobContext, RetryStrategy
from procrastinate.contrib.django import app

from reformer.notifications.actions import TransientDeliveryError, deliver_message

# Retries after 2, 4, 8, 16 and 32 seconds; the last run marks the message failed.
SEND_RETRIES = 5


@app.task(
    name="notifications.send_message",
    pass_context=True,
    retry=RetryStrategy(
        max_attempts=SEND_RETRIES,
        exponential_wait=2,
        retry_exceptions=[TransientDeliveryError, OperationalError],
    ),
)
def send_message(context: JobContext, message_id: int) -> None:
    deliver_message(message_id, final_attempt=context.job.attempts >= SEND_RETRIES)
