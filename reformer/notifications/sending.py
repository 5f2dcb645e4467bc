"""Sending one outbox message, in three steps that never hold a lock across the network:

1. claim: lock the row, check it is still due, render it, mark it "sending", commit;
2. call the provider (no transaction open);
3. record the outcome: sent (with the provider's id), a retry (queued again with a
   backoff, the provider's Retry-After, or the circuit's cool-down), or a permanent failure
   (with an admin alert, and for an SMS, an email instead).

A worker killed between 1 and 3 leaves the row "sending"; `recovery.resolve_stale_sending`
finds it and finishes it without a second send (Resend's idempotency key; Twilio's list of
what it accepted). Every step is safe to run twice: a row not in the expected state is left
alone.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone

from reformer.core import alerts
from reformer.notifications import attachments, circuits, preferences, tracking
from reformer.notifications.errors import PermanentDeliveryError, TransientDeliveryError
from reformer.notifications.models import Message, MessageEvent, PushSubscription
from reformer.notifications.rendering import cached_branding, render
from reformer.notifications.transports import SendResult
from reformer.notifications.transports.email import send_email
from reformer.notifications.transports.push import DEFAULT_TTL, send_push
from reformer.notifications.transports.sms import send_sms

logger = logging.getLogger(__name__)

# The first try and three retries (PHX-15, PHX-22: "max 3" retries), backing off
# 30 s, 2 min, 8 min unless the provider says when.
MAX_ATTEMPTS = 4
BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_FACTOR = 4
LONGEST_BACKOFF = dt.timedelta(minutes=30)
# Kinds that make no sense by email when the text could not go.
NO_EMAIL_FALLBACK = frozenset({"sms_opt_in_code", "sms_opted_in", "test_message"})


@dataclass(frozen=True)
class Outcome:
    """What became of a delivery attempt; `retry_at` says when the job should run again."""

    status: str
    retry_at: dt.datetime | None = None


def backoff(attempts: int) -> dt.timedelta:
    return min(BACKOFF_BASE * BACKOFF_FACTOR ** max(attempts - 1, 0), LONGEST_BACKOFF)


def deliver_message(message_id: int) -> Outcome:
    claimed = _claim(message_id)
    if isinstance(claimed, Outcome):
        return claimed
    message, brand = claimed
    try:
        result = _call_provider(message, brand)
    except PermanentDeliveryError as exc:
        return record_permanent_failure(message, exc)
    except TransientDeliveryError as exc:
        return record_transient_failure(message, exc)
    except Exception as exc:  # an unexpected error is retried like a transient one
        logger.exception("sending message %s failed unexpectedly", message.pk)
        return record_transient_failure(message, TransientDeliveryError(repr(exc)))
    return record_sent(message, result)


# Claiming is one statement: only a queued message that is due and not expired becomes
# "sending" (the row lock makes a duplicate job find it taken).
_CLAIM_SQL = """
UPDATE notifications_message
   SET status = 'sending', attempts = attempts + 1, sending_started_at = %(now)s
 WHERE id = %(id)s AND status = 'queued'
   AND (send_after IS NULL OR send_after <= %(now)s)
   AND (expires_at IS NULL OR expires_at > %(now)s)
RETURNING id, channel
"""


def _claim(message_id: int) -> tuple[Message, dict] | Outcome:
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, {"id": message_id, "now": now})
        row = cursor.fetchone()
    if row is None:
        return _why_not_claimed(message_id, now)
    if circuit_retry := circuits.wait_until(row[1], now):
        # The provider is down: give the message back (no attempt spent) and wait, spread
        # over a few seconds after the probe is due.
        Message.objects.filter(pk=message_id, status=Message.Status.SENDING).update(
            status=Message.Status.QUEUED,
            attempts=F("attempts") - 1,
            sending_started_at=None,
        )
        return Outcome("waiting", circuit_retry + dt.timedelta(seconds=message_id % 7))
    message = Message.objects.select_related("recipient").get(pk=message_id)
    brand = cached_branding(message.organization_id)
    message.body, message.html_body = render(message, brand)
    if message.channel == Message.Channel.SMS:
        # Stored before the send: recovery recognises an accepted text by its body.
        Message.objects.filter(pk=message_id).update(body=message.body)
    return message, brand


def _why_not_claimed(message_id: int, now: dt.datetime) -> Outcome:
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(pk=message_id).first()
        if message is None:
            return Outcome("gone")
        if message.status != Message.Status.QUEUED:
            return Outcome(message.status)
        if message.expires_at and message.expires_at <= now:
            set_status(
                message,
                Message.Status.SKIPPED,
                "Not sent: it was due before "
                f"{message.expires_at:%Y-%m-%d %H:%M} UTC and could not go in time.",
            )
            return Outcome(message.status)
        if message.send_after and message.send_after > now:
            return Outcome("waiting", message.send_after)
    return Outcome("busy")


def _call_provider(message: Message, brand: dict) -> SendResult:
    if message.channel == Message.Channel.SMS:
        return send_sms(to=message.to_address, body=message.body)
    if message.channel == Message.Channel.EMAIL:
        return send_email(
            to=message.to_address,
            subject=message.subject,
            text=message.body,
            html=message.html_body,
            sender_name=brand.get("sender_name", ""),
            reply_to=brand.get("reply_to", ""),
            idempotency_key=message.idempotency_key,
            message_id=message.pk,
            attachments=attachments.resolve(message.context),
        )
    if message.channel == Message.Channel.PUSH:
        return _send_push(message)
    raise PermanentDeliveryError(f"There is no sender for the {message.channel} channel.")


def _send_push(message: Message) -> SendResult:
    device = PushSubscription.objects.filter(
        pk=message.context.get("push_subscription"), user_id=message.recipient_id
    ).first()
    if device is None:
        raise PermanentDeliveryError("The device was removed before the notification went.")
    ttl = DEFAULT_TTL
    if message.expires_at is not None:
        ttl = min(ttl, max(int((message.expires_at - timezone.now()).total_seconds()), 0))
    return send_push(
        endpoint=device.endpoint,
        p256dh=device.p256dh,
        auth=device.auth,
        payload=message.body,
        ttl=ttl,
    )


def _locked_in_flight(message: Message) -> Message | None:
    """The row, locked, if it is still in the attempt `message` started; else None."""
    return (
        Message.objects.select_for_update()
        .filter(pk=message.pk, status=Message.Status.SENDING, attempts=message.attempts)
        .first()
    )


# Recording a send is one statement: the in-flight attempt becomes "sent" (with what was
# sent), its history entry is written, and we learn whether a webhook got here first.
_RECORD_SENT_SQL = """
WITH sent AS (
    UPDATE notifications_message
       SET status = 'sent', provider = %(provider)s, provider_id = %(provider_id)s,
           segments = %(segments)s, cost = %(cost)s, sent_at = %(now)s, error = '',
           sending_started_at = NULL, status_changed_at = %(now)s,
           body = %(body)s, html_body = %(html_body)s
     WHERE id = %(id)s AND status = 'sending' AND attempts = %(attempts)s
    RETURNING id
), history AS (
    INSERT INTO notifications_messageevent (message_id, status, occurred_at, detail)
    SELECT id, 'sent', %(now)s, %(detail)s FROM sent
)
SELECT id, EXISTS (
    SELECT 1 FROM notifications_earlyproviderevent
     WHERE provider_message_id = %(provider_id)s AND %(provider_id)s <> ''
) FROM sent
"""


def record_sent(message: Message, result: SendResult) -> Outcome:
    now = timezone.now()
    with transaction.atomic():
        if result.provider_id:
            tracking.lock_provider_id(result.provider_id)
        with connection.cursor() as cursor:
            cursor.execute(
                _RECORD_SENT_SQL,
                {
                    "id": message.pk,
                    "attempts": message.attempts,
                    "provider": result.provider,
                    "provider_id": result.provider_id,
                    "segments": result.segments,
                    "cost": result.cost,
                    "now": now,
                    "body": message.body,
                    "html_body": message.html_body,
                    "detail": f"Accepted by {result.provider}.",
                },
            )
            row = cursor.fetchone()
        if row is None:
            return Outcome("superseded")
        if row[1]:  # a webhook beat us to it
            current = Message.objects.select_for_update().get(pk=message.pk)
            tracking.apply_early_events(current)
    circuits.record_success(message.channel)
    return Outcome(Message.Status.SENT)


def record_transient_failure(message: Message, exc: TransientDeliveryError) -> Outcome:
    now = timezone.now()
    error = str(exc)
    logger.warning("message %s: attempt %s failed: %s", message.pk, message.attempts, error)
    with transaction.atomic():
        circuit_retry = circuits.record_failure(
            message.channel, error, now, message.organization_id
        )
        current = _locked_in_flight(message)
        if current is None:
            return Outcome("superseded")
        waits_for_provider = circuit_retry is not None and current.channel == Message.Channel.EMAIL
        if current.attempts >= MAX_ATTEMPTS and not waits_for_provider:
            _give_up(current, f"Gave up after {current.attempts} attempts: {error}")
            return Outcome(current.status)
        retry_at = now + backoff(current.attempts)
        if exc.retry_after is not None:
            retry_at = now + dt.timedelta(seconds=exc.retry_after)
        if circuit_retry is not None:
            retry_at = max(retry_at, circuit_retry)
        current.send_after = retry_at
        current.error = error[:1000]
        current.sending_started_at = None
        set_status(
            current,
            Message.Status.QUEUED,
            f"Attempt {current.attempts} failed ({error[:300]}); next try at "
            f"{retry_at:%H:%M:%S} UTC.",
            at=now,
        )
    return Outcome("retry", retry_at)


def record_permanent_failure(message: Message, exc: PermanentDeliveryError) -> Outcome:
    with transaction.atomic():
        current = _locked_in_flight(message)
        if current is None:
            return Outcome("superseded")
        if exc.invalid_address:
            mark_address_invalid(current, str(exc))
        if exc.opted_out:
            chosen = preferences.settings_for_update(current.recipient)
            chosen.sms_stopped_at = chosen.sms_stopped_at or timezone.now()
            chosen.save(update_fields=["sms_stopped_at"])
        _give_up(current, str(exc))
    return Outcome(Message.Status.FAILED)


def _give_up(message: Message, reason: str) -> None:
    message.error = reason[:1000]
    message.sending_started_at = None
    set_status(message, Message.Status.FAILED, reason)
    if message.channel == Message.Channel.PUSH:
        # Devices come and go (an expired subscription is routine, and pruned): the
        # email or text sent beside it still reaches the person, so no alert.
        return
    channel = "text" if message.channel == Message.Channel.SMS else "email"
    alerts.raise_alert(
        alerts.DELIVERY_FAILED,
        f"A {message.kind.replace('_', ' ')} {channel} to "
        f"{message.to_address or message.recipient} could not be delivered: {reason}",
        organization_id=message.organization_id,
        data={"message_id": message.pk, "kind": message.kind, "recipient": message.recipient_id},
    )
    if message.channel == Message.Channel.SMS:
        fall_back_to_email(message)


def mark_address_invalid(message: Message, reason: str) -> None:
    """Remember a bad address so nothing more is tried on it (staff see why)."""
    if message.channel == Message.Channel.PUSH:
        # An expired subscription (404/410): forget the device.
        PushSubscription.objects.filter(pk=message.context.get("push_subscription")).delete()
        return
    chosen = preferences.settings_for_update(message.recipient)
    if message.channel == Message.Channel.SMS:
        chosen.phone_invalid_number = message.to_address
        chosen.phone_invalid_reason = reason[:255]
        chosen.save(update_fields=["phone_invalid_number", "phone_invalid_reason"])
    elif message.to_address:
        suppress_email(chosen, message.to_address, reason)


def suppress_email(chosen, address: str, reason: str) -> None:
    chosen.email_suppressed_address = address
    chosen.email_suppressed_reason = reason[:255]
    chosen.email_suppressed_at = timezone.now()
    chosen.save(
        update_fields=["email_suppressed_address", "email_suppressed_reason", "email_suppressed_at"]
    )


def fall_back_to_email(sms: Message) -> Message | None:
    """Queue the email version of a text that could not be delivered (once)."""
    if sms.kind in NO_EMAIL_FALLBACK:
        return None
    try:
        get_template(f"notifications/{sms.kind}.txt")
    except TemplateDoesNotExist:
        return None
    from reformer.notifications.actions import queue_email

    return queue_email(
        sms.recipient,
        sms.kind,
        sms.subject or sms.context.get("subject", "") or "A message from your studio",
        "",
        f"{sms.idempotency_key}:email",
        sms.organization_id,
        context=sms.context,
        expires_at=sms.expires_at,
        fallback_for_id=sms.pk,
    )


def set_status(
    message: Message,
    status: str,
    detail: str = "",
    *,
    at: dt.datetime | None = None,
    provider_event_id: str | None = None,
) -> None:
    """Move a message (row already locked) to `status` and add it to its history."""
    at = at or timezone.now()
    message.status = status
    message.status_changed_at = at
    message.save()
    MessageEvent.objects.create(
        message=message,
        status=status,
        occurred_at=at,
        detail=detail[:2000],
        provider_event_id=provider_event_id,
    )
