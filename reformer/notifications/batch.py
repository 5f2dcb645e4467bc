"""Sending many messages at once (reminders falling due together): the same three steps as
`sending.deliver_message`, with the database work done once per batch instead of once per
message. One statement claims the batch, one reads it, the provider calls go out several
at a time (`NOTIFICATIONS_SEND_CONCURRENCY` threads, each with its own kept-alive
connection: a provider answering in 100 ms still takes tens of messages a second), one
statement records every success with its history. Failures, and messages that could not
be claimed, go through the single-message path (rare, and it decides retries).

A provider that says "slow down" (a Retry-After, e.g. 429) gets nothing more from this
batch: the messages not yet sent are given back, queued, no attempt spent, until then.
The sending threads never touch the database; push messages (which read the device row)
are sent by the job's own thread.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from reformer.notifications import circuits, sending, tracking
from reformer.notifications.errors import PermanentDeliveryError, TransientDeliveryError
from reformer.notifications.models import Message
from reformer.notifications.rendering import cached_branding, render_many
from reformer.notifications.transports import SendResult

logger = logging.getLogger(__name__)

BATCH_SIZE = 50

_CLAIM_MANY_SQL = """
UPDATE notifications_message
   SET status = 'sending', attempts = attempts + 1, sending_started_at = %(now)s
 WHERE id = ANY(%(ids)s) AND status = 'queued'
   AND (send_after IS NULL OR send_after <= %(now)s)
   AND (expires_at IS NULL OR expires_at > %(now)s)
RETURNING id, channel
"""

_STORE_SMS_BODIES_SQL = """
UPDATE notifications_message m SET body = b.body
  FROM unnest(%(ids)s::bigint[], %(bodies)s::text[]) AS b(id, body)
 WHERE m.id = b.id
"""

_RECORD_MANY_SQL = """
WITH results AS (
    SELECT * FROM unnest(%(ids)s::bigint[], %(attempts)s::int[], %(providers)s::text[],
                         %(provider_ids)s::text[], %(segments)s::int[], %(costs)s::numeric[],
                         %(bodies)s::text[], %(htmls)s::text[])
           AS r(id, attempts, provider, provider_id, segments, cost, body, html_body)
), sent AS (
    UPDATE notifications_message m
       SET status = 'sent', provider = r.provider, provider_id = r.provider_id,
           segments = r.segments, cost = r.cost, sent_at = %(now)s, error = '',
           sending_started_at = NULL, status_changed_at = %(now)s,
           body = r.body, html_body = r.html_body
      FROM results r
     WHERE m.id = r.id AND m.status = 'sending' AND m.attempts = r.attempts
    RETURNING m.id, m.provider, m.provider_id
), history AS (
    INSERT INTO notifications_messageevent (message_id, status, occurred_at, detail)
    SELECT id, 'sent', %(now)s, 'Accepted by ' || provider || '.' FROM sent
)
SELECT s.id FROM sent s
 WHERE EXISTS (SELECT 1 FROM notifications_earlyproviderevent e
                WHERE e.provider_message_id = s.provider_id AND s.provider_id <> '')
"""


def deliver_batch(message_ids: list[int]) -> dict[int, sending.Outcome]:
    """Send these messages; return the outcome of each one that needs a later try."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_MANY_SQL, {"ids": message_ids, "now": now})
        claimed = dict(cursor.fetchall())
    outcomes: dict[int, sending.Outcome] = {}
    for message_id in set(message_ids) - set(claimed):
        outcomes[message_id] = sending._why_not_claimed(message_id, now)
    for channel in set(claimed.values()):
        if retry_at := circuits.wait_until(channel, now):
            waiting = [pk for pk, ch in claimed.items() if ch == channel]
            Message.objects.filter(pk__in=waiting, status=Message.Status.SENDING).update(
                status=Message.Status.QUEUED, attempts=F("attempts") - 1, sending_started_at=None
            )
            for pk in waiting:
                outcomes[pk] = sending.Outcome("waiting", retry_at + dt.timedelta(seconds=pk % 7))
                del claimed[pk]
    if not claimed:
        return outcomes
    messages = Message.objects.select_related("recipient").in_bulk(list(claimed))
    by_organization: dict[int | None, list[Message]] = {}
    for message in messages.values():
        by_organization.setdefault(message.organization_id, []).append(message)
    brands = {org: cached_branding(org) for org in by_organization}
    for org, members in by_organization.items():
        render_many(members, brands[org])
    texts = [m for m in messages.values() if m.channel == Message.Channel.SMS]
    if texts:
        with connection.cursor() as cursor:
            cursor.execute(
                _STORE_SMS_BODIES_SQL,
                {"ids": [m.pk for m in texts], "bodies": [m.body for m in texts]},
            )
    sent: list[tuple[Message, SendResult]] = []
    held: list[Message] = []
    resume_at: dt.datetime | None = None
    for message, result in _send_all(list(messages.values()), brands):
        if isinstance(result, SendResult):
            sent.append((message, result))
        elif isinstance(result, _Held):
            held.append(message)
            resume_at = max(resume_at or result.until, result.until)
        elif isinstance(result, PermanentDeliveryError):
            outcomes[message.pk] = sending.record_permanent_failure(message, result)
        elif isinstance(result, TransientDeliveryError):
            outcomes[message.pk] = sending.record_transient_failure(message, result)
    if sent:
        record_sent_many(sent)
    if held and resume_at is not None:
        outcomes.update(_give_back(held, resume_at))
    return outcomes


class _Held:
    """Not sent: the provider asked us to wait until `until` while this batch was going."""

    def __init__(self, until: dt.datetime) -> None:
        self.until = until


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _sending_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=settings.NOTIFICATIONS_SEND_CONCURRENCY,
                thread_name_prefix="notifications-send",
            )
        return _pool


def _send_all(
    messages: list[Message], brands: dict
) -> list[tuple[Message, SendResult | _Held | Exception]]:
    """Each message's provider result, or the error it raised, or `_Held`."""
    slow_down: dict[str, dt.datetime] = {}  # channel -> its provider's first Retry-After

    def send(message: Message) -> SendResult | _Held | Exception:
        if until := slow_down.get(message.channel):
            return _Held(until)
        try:
            return sending._call_provider(message, brands[message.organization_id])
        except (PermanentDeliveryError, TransientDeliveryError) as exc:
            if isinstance(exc, TransientDeliveryError) and exc.retry_after is not None:
                until = timezone.now() + dt.timedelta(seconds=exc.retry_after)
                slow_down.setdefault(message.channel, until)
            return exc
        except Exception as exc:  # an unexpected error is retried like a transient one
            logger.exception("sending message %s failed unexpectedly", message.pk)
            return TransientDeliveryError(repr(exc))

    pushes = [m for m in messages if m.channel == Message.Channel.PUSH]
    others = [m for m in messages if m.channel != Message.Channel.PUSH]
    if len(others) > 1 and settings.NOTIFICATIONS_SEND_CONCURRENCY > 1:
        results = list(zip(others, _sending_pool().map(send, others), strict=True))
    else:
        results = [(m, send(m)) for m in others]
    return results + [(m, send(m)) for m in pushes]


def _give_back(held: list[Message], until: dt.datetime) -> dict[int, sending.Outcome]:
    """Queue these claimed messages again, no attempt spent, not before `until`."""
    Message.objects.filter(pk__in=[m.pk for m in held], status=Message.Status.SENDING).update(
        status=Message.Status.QUEUED,
        attempts=F("attempts") - 1,
        sending_started_at=None,
        send_after=until,
    )
    # Spread over a few seconds, so the provider is not met by all of them at once.
    return {m.pk: sending.Outcome("waiting", until + dt.timedelta(seconds=m.pk % 7)) for m in held}


def record_sent_many(sent: list[tuple[Message, SendResult]]) -> None:
    now = timezone.now()
    with transaction.atomic():
        provider_ids = sorted({r.provider_id for _, r in sent if r.provider_id})
        if provider_ids:
            tracking.lock_provider_ids(provider_ids)
        with connection.cursor() as cursor:
            cursor.execute(
                _RECORD_MANY_SQL,
                {
                    "now": now,
                    "ids": [m.pk for m, _ in sent],
                    "attempts": [m.attempts for m, _ in sent],
                    "providers": [r.provider for _, r in sent],
                    "provider_ids": [r.provider_id for _, r in sent],
                    "segments": [r.segments for _, r in sent],
                    "costs": [r.cost for _, r in sent],
                    "bodies": [m.body for m, _ in sent],
                    "htmls": [m.html_body for m, _ in sent],
                },
            )
            early = [row[0] for row in cursor.fetchall()]
        for message in Message.objects.select_for_update().filter(pk__in=early):
            tracking.apply_early_events(message)
    for channel in {m.channel for m, _ in sent}:
        circuits.record_success(channel)
