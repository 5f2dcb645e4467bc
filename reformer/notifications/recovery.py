"""Putting the outbox right after a worker died: nothing lost, nothing sent twice.

- A message left "sending" (the worker was killed during the provider call) is resolved:
  for an SMS, Twilio's list of accepted messages says whether it went (then it is recorded,
  not resent); otherwise it is queued again, and an email resent with the same Resend
  idempotency key is answered with the first one, not sent again.
- A queued message that is due but has no job waiting (its job died with the worker, or
  the retry was never deferred) gets a new job. A duplicate job is harmless: only a queued
  row is claimed, under a row lock.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from reformer.core.jobs import defer_in_transaction
from reformer.notifications.models import Message
from reformer.notifications.sending import record_sent, set_status
from reformer.notifications.transports.sms import find_accepted

logger = logging.getLogger(__name__)

_ORPHANS_SQL = """
SELECT m.id FROM notifications_message m
 WHERE m.status = 'queued'
   AND COALESCE(m.send_after, m.created_at) < %(before)s
   AND NOT EXISTS (
       SELECT 1 FROM procrastinate_jobs j
        WHERE j.status = 'todo'
          AND ((j.task_name = 'notifications.send_message'
                AND (j.args ->> 'message_id')::bigint = m.id)
            OR (j.task_name = 'notifications.send_batch'
                AND j.args -> 'message_ids' @> to_jsonb(m.id))))
 ORDER BY m.id
 LIMIT 5000
"""


def stale_after() -> dt.timedelta:
    return dt.timedelta(seconds=settings.OUTBOX_STALE_SECONDS)


def resolve_stale_sending(*, older_than: dt.timedelta | None = None) -> int:
    """Resolve messages stuck in "sending" for longer than `older_than`."""
    cutoff = timezone.now() - (stale_after() if older_than is None else older_than)
    stuck = list(
        Message.objects.filter(status=Message.Status.SENDING, sending_started_at__lte=cutoff)
        .select_related("recipient")
        .order_by("pk")
    )
    for message in stuck:
        found = None
        if message.channel == Message.Channel.SMS and message.sending_started_at is not None:
            found = find_accepted(
                to=message.to_address, body=message.body, since=message.sending_started_at
            )
        if found is not None:
            record_sent(message, found)
            continue
        with transaction.atomic():
            current = (
                Message.objects.select_for_update()
                .filter(pk=message.pk, status=Message.Status.SENDING, attempts=message.attempts)
                .first()
            )
            if current is None:
                continue
            current.sending_started_at = None
            current.send_after = None
            set_status(
                current,
                Message.Status.QUEUED,
                "The worker stopped during the send; queued again (a repeat is recognised).",
            )
            _defer(current.pk)
    return len(stuck)


def requeue_orphans(*, older_than: dt.timedelta | None = None) -> int:
    before = timezone.now() - (stale_after() if older_than is None else older_than)
    with connection.cursor() as cursor:
        cursor.execute(_ORPHANS_SQL, {"before": before})
        ids = [row[0] for row in cursor.fetchall()]
    for pk in ids:
        with transaction.atomic():
            _defer(pk)
    return len(ids)


def recover_outbox(*, older_than: dt.timedelta | None = None) -> tuple[int, int]:
    resolved = resolve_stale_sending(older_than=older_than)
    requeued = requeue_orphans(older_than=older_than)
    if resolved or requeued:
        logger.warning(
            "outbox recovery: %d stuck sends resolved, %d jobs re-created", resolved, requeued
        )
    return resolved, requeued


def _defer(message_id: int) -> None:
    from reformer.notifications.jobs import send_message

    defer_in_transaction(send_message, queueing_lock=f"message-{message_id}", message_id=message_id)
