"""Booking jobs: waitlist promotion and the no-show sweep. Thin (ARCHITECTURE §5.4): take
ids, call the action, let procrastinate retry transient failures with backoff."""

from __future__ import annotations

import logging

from django.db import DatabaseError
from procrastinate import JobContext, RetryStrategy
from procrastinate.contrib.django import app

from reformer.bookings import actions
from reformer.core.errors import Busy, TimedOut

logger = logging.getLogger(__name__)

PROMOTION_RETRIES = 5
NO_SHOW_RETRIES = 3


@app.task(
    name="bookings.promote_waitlist",
    pass_context=True,
    retry=RetryStrategy(
        max_attempts=PROMOTION_RETRIES,
        exponential_wait=2,
        retry_exceptions=[DatabaseError, Busy, TimedOut, actions.CreditDeductionFailed],
    ),
)
def promote_waitlist(context: JobContext, session_id: int) -> None:
    """Enqueued (queueing lock "promote-<id>") in the transaction that freed a place.

    A client whose credit cannot be taken is retried with backoff (they stay first in line
    and hear nothing); the last try passes them over for this place so it is not lost.
    """
    attempt = context.job.attempts  # earlier tries of this job
    last_try = attempt >= PROMOTION_RETRIES
    try:
        actions.promote_waitlist(session_id, pass_over_unchargeable=last_try)
    except Exception as exc:
        # Tell staff on the first failure and when the job gives up, not on every retry.
        if attempt == 0 or last_try:
            actions.alert_promotion_failed(
                session_id, attempt=attempt + 1, error=exc, final=last_try
            )
        raise
    if attempt:
        actions.resolve_promotion_alerts(session_id)


@app.periodic(cron="*/15 * * * *")
@app.task(
    name="bookings.mark_overdue_no_shows",
    queueing_lock="bookings.mark_overdue_no_shows",
    retry=RetryStrategy(max_attempts=NO_SHOW_RETRIES, exponential_wait=5),
)
def mark_overdue_no_shows(timestamp: int) -> None:
    marked = actions.mark_overdue_no_shows()
    logger.info("no-show sweep at %s marked %d bookings", timestamp, marked)
