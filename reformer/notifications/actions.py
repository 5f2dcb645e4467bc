"""The outbox: a message is a row written in the caller's transaction; a job sends it.

Queueing never talks to the outside world, so actions may call it while they hold locks;
`notifications.sending.deliver_message` (run by the `send_message` job) does the sending.
Templated messages store their context and are rendered by that job, which keeps template
rendering off the request (and out of the booking transaction).

A message the person does not want (preferences), or that cannot go (a suppressed address,
no SMS number), is stored as "skipped" with the reason, so staff can see why nothing went.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, cast

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Count
from django.utils import timezone
from procrastinate.types import JSONValue

from reformer.accounts.models import User
from reformer.notifications import preferences
from reformer.notifications.errors import PermanentDeliveryError, TransientDeliveryError
from reformer.notifications.models import Message, PushSubscription, RecipientSettings
from reformer.notifications.push import PUSH_KINDS
from reformer.studios.models import Organization

__all__ = [
    "OutgoingMessage",
    "PermanentDeliveryError",
    "TransientDeliveryError",
    "queue_email",
    "queue_many",
    "queue_sms",
    "queue_templated_email",
    "render_message",
    "templated_email_statement",
    "update_context",
]

# Kinds the "booking confirmations" preference switches off (kept for callers).
BOOKING_CONFIRMATION_KINDS = frozenset(
    kind
    for kind, category in preferences.CATEGORY_OF_KIND.items()
    if category == preferences.BOOKING_CONFIRMATIONS
)

# Past this many messages queued at once, they are sent in batches (notifications.batch).
BATCH_FROM = 10

# One round trip for any number of messages: a key already in the outbox is a no-op (not
# an error that would break the caller's transaction), and each new row gets its first
# history entry.
_INSERT_SQL = """
WITH incoming AS (
    SELECT * FROM jsonb_to_recordset(%(rows)s::jsonb) AS r(
        organization_id bigint, recipient_id bigint, channel text, kind text,
        idempotency_key text, to_address text, subject text, context jsonb, body text,
        html_body text, status text, error text, send_after timestamptz,
        expires_at timestamptz, fallback_for_id bigint, category text, checks boolean)
), decided AS (
    -- The recipient's stored settings, read here rather than by a query per message.
    SELECT i.*, CASE
             WHEN i.status = 'skipped' OR NOT i.checks THEN NULL
             WHEN i.category = 'waitlist_and_schedule' AND NOT rs.notify_waitlist_changes
                  THEN %(waitlist_off)s
             WHEN i.category = 'package_warnings' AND NOT rs.notify_package_warnings
                  THEN %(package_off)s
             WHEN rs.email_suppressed_at IS NOT NULL
                  AND lower(rs.email_suppressed_address) = lower(i.to_address)
                  THEN 'Email to ' || i.to_address || ' is suppressed: '
                       || rs.email_suppressed_reason
           END AS veto
      FROM incoming i
      LEFT JOIN notifications_recipientsettings rs ON rs.user_id = i.recipient_id
), inserted AS (
    INSERT INTO notifications_message
           (organization_id, recipient_id, channel, kind, idempotency_key, to_address,
            subject, context, body, html_body, status, provider, provider_id, attempts,
            segments, cost, error, created_at, send_after, expires_at, sending_started_at,
            sent_at, status_changed_at, fallback_for_id)
    SELECT organization_id, recipient_id, channel, kind, idempotency_key, to_address,
           subject, context, body, html_body,
           CASE WHEN veto IS NULL THEN status ELSE 'skipped' END, '', '', 0, 0, 0,
           COALESCE(veto, error), %(now)s, send_after, expires_at, NULL, NULL, %(now)s,
           fallback_for_id
      FROM decided
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id, idempotency_key, status, send_after, error
), history AS (
    INSERT INTO notifications_messageevent (message_id, status, occurred_at, detail)
    SELECT id, status, %(now)s, error FROM inserted
), deferred AS (
    -- With `defer_here`, each new message to send now gets its send_message job in this
    -- same statement (one round trip less on the booking path): procrastinate's own
    -- function, with the task's queue, priority and locks (_SEND_JOB).
    SELECT procrastinate_defer_jobs_v1(array_agg(
               ROW(%(job_queue)s, %(job_task)s, %(job_priority)s, %(job_lock)s,
                   %(job_queueing_lock)s, jsonb_build_object('message_id', id), NULL
               )::procrastinate_job_to_defer_v1 ORDER BY id)) AS job_ids
      FROM inserted
     WHERE %(defer_here)s AND status = 'queued' AND send_after IS NULL
)
SELECT id, idempotency_key, status, send_after, error,
       (SELECT job_ids IS NOT NULL FROM deferred)
  FROM inserted
"""


@dataclass
class OutgoingMessage:
    """A message to queue. `to_address` defaults to the recipient's email or SMS number."""

    recipient: User
    kind: str
    idempotency_key: str
    organization_id: int | None
    channel: str = Message.Channel.EMAIL
    subject: str = ""
    body: str = ""
    html_body: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    to_address: str | None = None
    send_after: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    fallback_for_id: int | None = None
    # Set by queue_many when the message cannot or should not go.
    skip_reason: str = ""
    # The recipient's settings when the caller loaded them already (saves a query each).
    recipient_settings: RecipientSettings | None = None
    # Left to the INSERT: the stored settings (suppression, waitlist and package switches).
    checks_in_sql: bool = False


def _switched_off(kind: str) -> str:
    label = preferences.CATEGORY_LABELS[preferences.category_of(kind)]
    return f"{label} are switched off in the recipient's preferences."


# Categories whose switch is on the User row itself (no RecipientSettings needed).
_USER_ROW_CATEGORIES = frozenset(
    {
        preferences.BOOKING_CONFIRMATIONS,
        preferences.REMINDERS,
        preferences.MARKETING,
        preferences.ACCOUNT,
    }
)


def _decide(outgoing: OutgoingMessage) -> None:
    """Fill in the address and whether (and why not) the message goes."""
    user = outgoing.recipient
    category = preferences.category_of(outgoing.kind)
    if outgoing.channel != Message.Channel.SMS and outgoing.recipient_settings is None:
        # An email on the booking path: the User's own switches here, the stored settings
        # (suppressed address, waitlist and package switches) in the INSERT itself.
        if outgoing.to_address is None:
            outgoing.to_address = (user.email or "").strip()
        if category in _USER_ROW_CATEGORIES and not preferences.wants(user, outgoing.kind):
            outgoing.skip_reason = _switched_off(outgoing.kind)
        outgoing.checks_in_sql = True
        return
    chosen = outgoing.recipient_settings or preferences.settings_for(user)
    if not preferences.wants(user, outgoing.kind, chosen):
        outgoing.skip_reason = _switched_off(outgoing.kind)
    if outgoing.channel == Message.Channel.SMS:
        if outgoing.to_address is None:
            outgoing.to_address = preferences.sms_number(user, chosen)
        if not outgoing.to_address and not outgoing.skip_reason:
            outgoing.skip_reason = _why_no_sms(user, chosen)
    else:
        if outgoing.to_address is None:
            outgoing.to_address = (user.email or "").strip()
        if chosen.email_suppressed_for(outgoing.to_address) and not outgoing.skip_reason:
            outgoing.skip_reason = (
                f"Email to {outgoing.to_address} is suppressed: {chosen.email_suppressed_reason}"
            )


# At most this many texts to one person in 24 hours (PHX-15); account texts (opt-in codes,
# tests) do not count.
TEXTS_PER_DAY = 10
UNCOUNTED_TEXT_KINDS = frozenset({"sms_opt_in_code", "sms_opted_in", "test_message"})


def _limit_texts_per_day(messages: list[OutgoingMessage], now: dt.datetime) -> None:
    texts = [
        m
        for m in messages
        if m.channel == Message.Channel.SMS
        and not m.skip_reason
        and m.kind not in UNCOUNTED_TEXT_KINDS
    ]
    if not texts:
        return
    sent = dict(
        Message.objects.filter(
            channel=Message.Channel.SMS,
            recipient_id__in={m.recipient.pk for m in texts},
            created_at__gt=now - dt.timedelta(hours=24),
        )
        .exclude(status__in=[Message.Status.SKIPPED, Message.Status.FAILED])
        .exclude(kind__in=UNCOUNTED_TEXT_KINDS)
        .values_list("recipient_id")
        .annotate(n=Count("pk"))
        .values_list("recipient_id", "n")
    )
    for outgoing in texts:
        count = sent.get(outgoing.recipient.pk, 0)
        if count >= TEXTS_PER_DAY:
            outgoing.skip_reason = f"Daily text limit reached ({TEXTS_PER_DAY} in 24 hours)."
        else:
            sent[outgoing.recipient.pk] = count + 1


def _why_no_sms(user: User, chosen) -> str:
    if chosen.sms_stopped_at:
        return "The recipient replied STOP to our texts."
    if chosen.phone_invalid_number and chosen.phone_invalid_number == chosen.sms_phone:
        return f"The number {chosen.sms_phone} was reported invalid: {chosen.phone_invalid_reason}"
    if not user.notify_sms or not chosen.sms_confirmed_at:
        return "The recipient has not opted in to text messages."
    return "The recipient has no confirmed mobile number."


def queue_many(messages: list[OutgoingMessage], *, now: dt.datetime | None = None) -> list[int]:
    """Queue messages in the current transaction (one statement) and defer a sending job for
    each new queued one. Returns the ids of the messages that were new."""
    return [row[0] for row in _insert(messages, now=now)]


def _insert(messages: list[OutgoingMessage], *, now: dt.datetime | None = None) -> list[tuple]:
    """(id, key, status, send_after, error) of each message that was new."""
    if not messages:
        return []
    statement = _insert_statement(messages, now=now or timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params)
        rows = cursor.fetchall()
    return statement.inserted(rows)


@dataclass
class _InsertStatement:
    """The outbox INSERT for some messages, and what follows its answer."""

    sql: str
    params: dict[str, Any]
    defer_here: bool

    def inserted(self, rows: list[tuple]) -> list[tuple]:
        """Defer the jobs the statement did not (many messages, or held ones)."""
        inserted = [row[:5] for row in rows]
        _defer_sending(
            [
                (pk, send_after)
                for pk, _key, status, send_after, _error in inserted
                if status == "queued" and not (self.defer_here and send_after is None)
            ]
        )
        return inserted


def _insert_statement(messages: list[OutgoingMessage], *, now: dt.datetime) -> _InsertStatement:
    rows = []
    messages = _with_push(messages)
    for outgoing in messages:
        if not outgoing.skip_reason:
            _decide(outgoing)
    _limit_texts_per_day(messages, now)
    for outgoing in messages:
        rows.append(
            {
                "organization_id": outgoing.organization_id,
                "recipient_id": outgoing.recipient.pk,
                "channel": outgoing.channel,
                "kind": outgoing.kind,
                "idempotency_key": outgoing.idempotency_key,
                "to_address": outgoing.to_address or "",
                "subject": outgoing.subject[:200],
                "context": outgoing.context,
                "body": outgoing.body,
                "html_body": outgoing.html_body,
                "status": Message.Status.SKIPPED if outgoing.skip_reason else Message.Status.QUEUED,
                "error": outgoing.skip_reason[:1000],
                "send_after": outgoing.send_after,
                "expires_at": outgoing.expires_at,
                "fallback_for_id": outgoing.fallback_for_id,
                "category": preferences.category_of(outgoing.kind),
                "checks": outgoing.checks_in_sql,
            }
        )
    # Few messages: their jobs are deferred by the INSERT itself (one job each, as
    # _defer_sending would); many: in batches, after it.
    defer_here = len(messages) <= BATCH_FROM
    return _InsertStatement(
        sql=_INSERT_SQL,
        params={
            "rows": json.dumps(rows, cls=DjangoJSONEncoder),
            "now": now,
            "waitlist_off": _switched_off("waitlist_promoted"),
            "package_off": _switched_off("package_expiring"),
            "defer_here": defer_here,
            **_send_job_params(),
        },
        defer_here=defer_here,
    )


def _send_job_params() -> dict[str, Any]:
    """The send_message job as send_message.defer() would write it (its task's options)."""
    from reformer.notifications.jobs import send_message

    job = send_message.configure().job
    return {
        "job_queue": job.queue,
        "job_task": job.task_name,
        "job_priority": job.priority,
        "job_lock": job.lock,
        "job_queueing_lock": job.queueing_lock,
    }


def _with_push(messages: list[OutgoingMessage]) -> list[OutgoingMessage]:
    """Beside each email or text of a push kind, one push message per device of its
    recipient (one query for all), deciding like the message it accompanies (the same
    preferences, the same hold for quiet hours and expiry). A fallback (an email for a
    text that failed) brings no second push."""
    wanted = [
        m
        for m in messages
        if m.kind in PUSH_KINDS and m.channel != Message.Channel.PUSH and m.fallback_for_id is None
    ]
    if not wanted:
        return messages
    devices: dict[int, list[tuple[int, str]]] = {}
    for pk, user_id, device in PushSubscription.objects.filter(
        user_id__in={m.recipient.pk for m in wanted}
    ).values_list("pk", "user_id", "device"):
        devices.setdefault(user_id, []).append((pk, device))
    if not devices:
        return messages
    companions = [
        OutgoingMessage(
            recipient=m.recipient,
            kind=m.kind,
            idempotency_key=f"{m.idempotency_key}:push:{pk}",
            organization_id=m.organization_id,
            channel=Message.Channel.PUSH,
            subject=m.subject,
            context={**m.context, "push_subscription": pk},
            to_address=(device or "A device")[:254],
            send_after=m.send_after,
            expires_at=m.expires_at,
            recipient_settings=m.recipient_settings,
        )
        for m in wanted
        for pk, device in devices.get(m.recipient.pk, [])
    ]
    return messages + companions


def _defer_sending(queued: list[tuple[int, dt.datetime | None]]) -> None:
    from reformer.notifications.jobs import send_message

    # No queueing lock, so no savepoint is needed (core.jobs uses one only to survive
    # AlreadyEnqueued): the defer is one statement in the caller's transaction.
    now_ids = [pk for pk, send_after in queued if send_after is None]
    if len(now_ids) > BATCH_FROM:
        # Many at once (reminders falling due together): one job per batch of messages.
        from reformer.notifications.batch import BATCH_SIZE
        from reformer.notifications.jobs import send_batch

        batches: list[dict[str, JSONValue]] = [
            {"message_ids": cast(list[JSONValue], now_ids[i : i + BATCH_SIZE])}
            for i in range(0, len(now_ids), BATCH_SIZE)
        ]
        send_batch.batch_defer(*batches)
    elif len(now_ids) == 1:
        send_message.defer(message_id=now_ids[0])
    elif now_ids:
        singles: list[dict[str, JSONValue]] = [{"message_id": pk} for pk in now_ids]
        send_message.batch_defer(*singles)
    for pk, send_after in queued:
        if send_after is not None:
            send_message.configure(schedule_at=send_after).defer(message_id=pk)


def _organization_id(organization: Organization | int | None) -> int | None:
    return organization.pk if isinstance(organization, Organization) else organization


def _queue_one(outgoing: OutgoingMessage) -> Message:
    now = timezone.now()
    return _message_from(outgoing, _insert([outgoing], now=now), now)


def _message_from(outgoing: OutgoingMessage, inserted: list[tuple], now: dt.datetime) -> Message:
    # The message itself (push messages for the person's devices may come with it).
    mine = next((row for row in inserted if row[1] == outgoing.idempotency_key), None)
    if mine is None:  # the key was queued before: that message
        return Message.objects.get(idempotency_key=outgoing.idempotency_key)
    pk, key, status, send_after, error = mine
    message = Message(
        pk=pk,
        organization_id=outgoing.organization_id,
        recipient=outgoing.recipient,
        channel=outgoing.channel,
        kind=outgoing.kind,
        idempotency_key=key,
        to_address=outgoing.to_address or "",
        subject=outgoing.subject[:200],
        context=outgoing.context,
        body=outgoing.body,
        html_body=outgoing.html_body,
        status=status,
        error=error,
        created_at=now,
        status_changed_at=now,
        send_after=send_after,
        expires_at=outgoing.expires_at,
        fallback_for_id=outgoing.fallback_for_id,
    )
    message._state.adding = False
    return message


@dataclass
class PendingEmail:
    """A templated email as one statement, for a caller that sends it with others in one
    round trip (bookings.actions._pipelined); `message(rows)` reads its answer."""

    sql: str
    params: dict[str, Any]
    _outgoing: OutgoingMessage
    _statement: _InsertStatement
    _now: dt.datetime

    def message(self, rows: list[tuple]) -> Message:
        return _message_from(self._outgoing, self._statement.inserted(rows), self._now)


def templated_email_statement(
    recipient: User,
    kind: str,
    *,
    subject: str,
    context: dict[str, Any],
    idempotency_key: str,
    organization: Organization | int | None,
    now: dt.datetime,
) -> PendingEmail | None:
    """queue_templated_email as a statement to send later, or None when it takes more than
    one statement (a kind with push messages reads the person's devices first)."""
    if kind in PUSH_KINDS:
        return None
    outgoing = OutgoingMessage(
        recipient=recipient,
        kind=kind,
        idempotency_key=idempotency_key,
        organization_id=_organization_id(organization),
        subject=subject,
        context=context,
    )
    statement = _insert_statement([outgoing], now=now)
    return PendingEmail(statement.sql, statement.params, outgoing, statement, now)


def queue_email(
    recipient: User,
    kind: str,
    subject: str,
    body: str,
    idempotency_key: str,
    organization: Organization | int | None,
    *,
    html_body: str = "",
    context: dict[str, Any] | None = None,
    expires_at: dt.datetime | None = None,
    fallback_for_id: int | None = None,
) -> Message:
    """Queue an email in the current transaction and defer its sending job.

    The same idempotency key twice returns the first message. With `context` (and no body)
    the sending job renders notifications/<kind>.txt and .html.
    """
    return _queue_one(
        OutgoingMessage(
            recipient=recipient,
            kind=kind,
            idempotency_key=idempotency_key,
            organization_id=_organization_id(organization),
            subject=subject,
            body=body,
            html_body=html_body,
            context=context or {},
            expires_at=expires_at,
            fallback_for_id=fallback_for_id,
        )
    )


def queue_templated_email(
    recipient: User,
    kind: str,
    *,
    subject: str,
    context: dict[str, Any],
    idempotency_key: str,
    organization: Organization | int | None,
) -> Message:
    """Queue notifications/<kind>.txt and .html, rendered with `context` (JSON values: a
    snapshot of what to say) by the sending job."""
    return queue_email(recipient, kind, subject, "", idempotency_key, organization, context=context)


def queue_sms(
    recipient: User,
    kind: str,
    *,
    idempotency_key: str,
    organization: Organization | int | None,
    context: dict[str, Any] | None = None,
    body: str = "",
    studio=None,
    to_address: str | None = None,
    expires_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Message:
    """Queue a text (rendered from notifications/sms/<kind>.txt unless `body` is given),
    held until the studio's quiet hours end."""
    now = now or timezone.now()
    quiet = preferences.quiet_hours_of(studio)
    return _queue_one(
        OutgoingMessage(
            recipient=recipient,
            kind=kind,
            channel=Message.Channel.SMS,
            idempotency_key=idempotency_key,
            organization_id=_organization_id(organization),
            body=body,
            context=context or {},
            to_address=to_address,
            send_after=quiet.release_at(now) if quiet else None,
            expires_at=expires_at,
        )
    )


def update_context(message: Message, changes: dict[str, Any]) -> None:
    """Correct a templated message queued in the current transaction (so not sent yet)."""
    message.context = {**message.context, **changes}
    Message.objects.filter(pk=message.pk).update(context=message.context)


def render_message(message: Message) -> tuple[str, str]:
    """(text, html) of a message as it would be sent now: from its template and context
    with the organization's branding, or as stored."""
    from reformer.notifications.rendering import cached_branding, render

    return render(message, cached_branding(message.organization_id))
