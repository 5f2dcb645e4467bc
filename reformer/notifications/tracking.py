"""What providers tell us after a message left: delivered, opened, clicked, bounced,
complained (email, through anymail's tracking signal, whatever the provider), and sent,
delivered, undelivered, failed (Twilio's status callbacks).

Each provider event is stored once by its own id, so a webhook replayed any number of times
changes state once. A message's status only moves forward (a late "delivered" never hides a
"clicked"); a bounce, complaint or undelivered text always shows. Consequences happen on
the first copy only: a hard bounce or a complaint suppresses the address, an undelivered
text marks a bad number and sends the email instead, and staff get an alert.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from anymail.signals import AnymailTrackingEvent, EventType, RejectReason
from django.db import connection, transaction
from django.db.models import Exists
from django.utils import timezone

from reformer.core import alerts
from reformer.notifications.models import EarlyProviderEvent, Message, MessageEvent

logger = logging.getLogger(__name__)

S = Message.Status
# How far along a message is; problems outrank everything so they stay visible.
_RANK: dict[str, int] = {
    S.SKIPPED: 0,
    S.QUEUED: 1,
    S.SENDING: 2,
    S.SENT: 3,
    S.DELIVERED: 4,
    S.OPENED: 5,
    S.CLICKED: 6,
    S.UNDELIVERED: 10,
    S.FAILED: 10,
    S.BOUNCED: 11,
    S.COMPLAINED: 12,
}

ANYMAIL_STATUS = {
    EventType.SENT: S.SENT,
    EventType.DELIVERED: S.DELIVERED,
    EventType.OPENED: S.OPENED,
    EventType.CLICKED: S.CLICKED,
    EventType.BOUNCED: S.BOUNCED,
    EventType.COMPLAINED: S.COMPLAINED,
    EventType.REJECTED: S.FAILED,
    EventType.FAILED: S.FAILED,
}

TWILIO_STATUS = {
    "sent": S.SENT,
    "delivered": S.DELIVERED,
    "undelivered": S.UNDELIVERED,
    "failed": S.UNDELIVERED,
}


# The length of the provider id and event id columns.
_MAX_ID_LENGTH = 255


def lock_provider_id(provider_id: str) -> None:
    """Serialize the recording of a message's provider id with that id's webhooks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [provider_id])


def lock_provider_ids(provider_ids: list[str]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(x)) FROM "
            "(SELECT x FROM unnest(%s::text[]) AS x ORDER BY x) AS ordered",
            [provider_ids],
        )


def record_provider_event(
    *,
    provider_message_id: str,
    provider_event_id: str,
    status: str,
    occurred_at: dt.datetime | None,
    detail: str = "",
    data: dict[str, Any] | None = None,
) -> bool:
    """Record one provider event; False when it was seen before (a replay) or cannot be
    ours (ids longer than any provider's: they would not fit the columns, a 500)."""
    if len(provider_message_id) > _MAX_ID_LENGTH or len(provider_event_id) > _MAX_ID_LENGTH:
        logger.warning("Provider event with an overlong id ignored")
        return False
    occurred_at = occurred_at or timezone.now()
    with transaction.atomic():
        lock_provider_id(provider_message_id)
        message = (
            Message.objects.select_for_update()
            .filter(provider_id=provider_message_id)
            .annotate(seen=Exists(MessageEvent.objects.filter(provider_event_id=provider_event_id)))
            .first()
        )
        if message is not None and message.seen:
            return False  # a replay
        if message is None:
            _, created = EarlyProviderEvent.objects.get_or_create(
                provider_event_id=provider_event_id,
                defaults={
                    "provider_message_id": provider_message_id,
                    "status": status,
                    "occurred_at": occurred_at,
                    "detail": detail[:2000],
                    "data": data or {},
                },
            )
            return created
        _apply(message, provider_event_id, status, occurred_at, detail, data or {})
    return True


def apply_early_events(message: Message) -> None:
    """Apply events that arrived before the message's provider id was recorded (called
    with that id's lock held, in the transaction recording it)."""
    for early in EarlyProviderEvent.objects.filter(
        provider_message_id=message.provider_id
    ).order_by("occurred_at", "pk"):
        if not MessageEvent.objects.filter(provider_event_id=early.provider_event_id).exists():
            _apply(
                message,
                early.provider_event_id,
                early.status,
                early.occurred_at,
                early.detail,
                early.data,
            )
        early.delete()


def _apply(
    message: Message,
    provider_event_id: str,
    status: str,
    occurred_at: dt.datetime,
    detail: str,
    data: dict[str, Any],
) -> None:
    from reformer.notifications import sending

    # Consequences (suppression, fallback, alerts) follow the first event of their kind.
    consequential = status in (S.BOUNCED, S.COMPLAINED, S.UNDELIVERED)
    first_of_its_kind = consequential and not message.events.filter(status=status).exists()
    if status and _RANK.get(status, 0) > _RANK.get(message.status, 0):
        message.status = status
        message.status_changed_at = occurred_at
        if status in (S.BOUNCED, S.COMPLAINED, S.UNDELIVERED, S.FAILED) and detail:
            message.error = detail[:1000]
        message.save(update_fields=["status", "status_changed_at", "error"])
    MessageEvent.objects.create(
        message=message,
        status=status or message.status,
        occurred_at=occurred_at,
        detail=detail[:2000],
        provider_event_id=provider_event_id,
    )
    if not first_of_its_kind:
        return
    if (status == S.BOUNCED and data.get("hard", True)) or status == S.COMPLAINED:
        reason = "Spam complaint" if status == S.COMPLAINED else f"Hard bounce: {detail}"
        chosen = _settings(message)
        sending.suppress_email(chosen, message.to_address, reason)
        _alert(
            message,
            alerts.EMAIL_SUPPRESSED,
            f"Email to {message.to_address} is "
            f"now suppressed ({reason}). Ask the client to correct their address.",
        )
    elif status == S.UNDELIVERED:
        if data.get("invalid_number"):
            sending.mark_address_invalid(message, detail or "Reported undeliverable")
        fallback = sending.fall_back_to_email(message)
        _alert(
            message,
            alerts.SMS_UNDELIVERED,
            f"A text to {message.to_address} was not delivered ({detail or 'no reason given'})."
            + (" It was sent by email instead." if fallback is not None else ""),
        )


def _settings(message: Message):
    from reformer.notifications import preferences

    return preferences.settings_for_update(message.recipient)


def _alert(message: Message, code: str, text: str) -> None:
    alerts.raise_alert(
        code,
        text,
        organization_id=message.organization_id,
        data={"message_id": message.pk, "recipient": message.recipient_id},
    )


def on_anymail_tracking(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    """anymail's tracking signal: any provider's verified webhook event, normalized."""
    status = ANYMAIL_STATUS.get(event.event_type, "")
    if not event.message_id:
        logger.info("%s %s event without a message id ignored", esp_name, event.event_type)
        return
    if event.event_type == EventType.UNSUBSCRIBED:
        status = ""
    if not status and event.event_type not in (EventType.DEFERRED, EventType.UNSUBSCRIBED):
        return
    hard = True
    if event.event_type == EventType.BOUNCED:
        bounce = (
            (event.esp_event or {}).get("data", {}).get("bounce", {})
            if isinstance(event.esp_event, dict)
            else {}
        )
        hard = bounce.get("type", "Permanent") != "Transient" and (
            event.reject_reason != RejectReason.TIMED_OUT
        )
        if not hard:
            status = ""  # a soft bounce: the provider keeps trying; history only
    detail = event.description or event.mta_response or event.event_type.replace("_", " ")
    if event.event_type == EventType.CLICKED and event.click_url:
        detail = f"Clicked {event.click_url}"
    event_id = event.event_id or f"{event.message_id}:{event.event_type}:{event.timestamp}"
    record_provider_event(
        provider_message_id=str(event.message_id),
        provider_event_id=f"{esp_name.lower()}:{event_id}",
        status=status,
        occurred_at=event.timestamp,
        detail=str(detail or ""),
        data={"hard": hard},
    )
