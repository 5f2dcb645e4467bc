"""The outbox: a message is a row written in the caller's transaction; a job sends it.

`queue_email` never talks to the outside world, so actions may call it while they hold
locks; `deliver_message` (run by the `send_message` job) does the sending. Templated
messages (`queue_templated_email`) store their context and are rendered by that job, which
keeps template rendering off the request (and out of the booking transaction).
"""

from __future__ import annotations

import json
import logging
import smtplib
from typing import Any

from anymail.exceptions import AnymailAPIError, AnymailInvalidAddress, AnymailRecipientsRefused
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import validate_email
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from reformer.accounts.models import User
from reformer.core import alerts
from reformer.core.models import AdminAlert
from reformer.notifications.models import Message
from reformer.studios.models import Organization

logger = logging.getLogger(__name__)

# Kinds the "booking confirmations" preference switches off. Everything else (a waitlist
# promotion, a cancelled class, a suspension) changes what the client must do, so it is sent.
BOOKING_CONFIRMATION_KINDS = frozenset(
    {"booking_confirmed", "booking_cancelled", "waitlist_joined", "waitlist_left"}
)

# One round trip, and a second message with the same key is a no-op (not an error that
# would break the caller's transaction).
_INSERT_SQL = """
INSERT INTO notifications_message
       (organization_id, recipient_id, channel, kind, idempotency_key, to_address, subject,
        context, body, html_body, status, provider_id, attempts, cost, error, created_at,
        sent_at)
VALUES (%(organization_id)s, %(recipient_id)s, %(channel)s, %(kind)s, %(key)s, %(to)s,
        %(subject)s, %(context)s::jsonb, %(body)s, %(html_body)s, %(status)s, '', 0, 0, '',
        %(now)s, NULL)
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id
"""


class TransientDeliveryError(Exception):
    """Sending failed for a reason that may pass (network, provider hiccup): retry."""


class PermanentDeliveryError(Exception):
    """Sending can never succeed as things are (no address, address refused)."""


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
) -> Message:
    """Queue an email in the current transaction and defer its sending job.

    The same idempotency key twice returns the first message. A booking confirmation to a
    user who switched those off is stored as "skipped" and never sent. With `context` (and
    no body) the sending job renders notifications/<kind>.txt and .html.
    """
    skipped = kind in BOOKING_CONFIRMATION_KINDS and not recipient.notify_booking_confirmations
    organization_id = organization.pk if isinstance(organization, Organization) else organization
    message = Message(
        organization_id=organization_id,
        recipient=recipient,
        channel=Message.Channel.EMAIL,
        kind=kind,
        idempotency_key=idempotency_key,
        to_address=(recipient.email or "").strip(),
        subject=subject[:200],
        context=context or {},
        body=body,
        html_body=html_body,
        status=Message.Status.SKIPPED if skipped else Message.Status.QUEUED,
        created_at=timezone.now(),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_SQL,
            {
                "organization_id": organization_id,
                "recipient_id": recipient.pk,
                "channel": message.channel,
                "kind": kind,
                "key": idempotency_key,
                "to": message.to_address,
                "subject": message.subject,
                "context": json.dumps(message.context, cls=DjangoJSONEncoder),
                "body": body,
                "html_body": html_body,
                "status": message.status,
                "now": message.created_at,
            },
        )
        row = cursor.fetchone()
    if row is None:
        return Message.objects.get(idempotency_key=idempotency_key)
    message.pk = row[0]
    message._state.adding = False
    if message.status == Message.Status.QUEUED:
        from reformer.notifications.jobs import send_message

        # No queueing lock, so no savepoint is needed (core.jobs uses one only to survive
        # AlreadyEnqueued): the defer is one statement in the caller's transaction.
        send_message.defer(message_id=message.pk)
    return message


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


def update_context(message: Message, changes: dict[str, Any]) -> None:
    """Correct a templated message queued in the current transaction (so not sent yet)."""
    message.context = {**message.context, **changes}
    Message.objects.filter(pk=message.pk).update(context=message.context)


def render_message(message: Message) -> tuple[str, str]:
    """(text, html) of a message: rendered from its template and context, or as stored."""
    if message.body or not message.context:
        return message.body, message.html_body
    context = {"recipient": message.recipient, **message.context}
    return (
        render_to_string(f"notifications/{message.kind}.txt", context),
        render_to_string(f"notifications/{message.kind}.html", context),
    )


def deliver_message(message_id: int, *, final_attempt: bool = True) -> Message | None:
    """Send one queued message. Safe to run twice: only a queued message is sent, and the
    row stays locked while it is sent so a duplicate job skips it.

    A transient failure raises TransientDeliveryError (the job retries) unless this is the
    final attempt; a permanent one marks the message failed and raises an admin alert.
    """
    transient: Exception | None = None
    with transaction.atomic(durable=True):
        message = (
            Message.objects.select_for_update(skip_locked=True)
            .select_related("recipient")
            .filter(pk=message_id)
            .first()
        )
        if message is None or message.status != Message.Status.QUEUED:
            return message
        message.attempts += 1
        message.body, message.html_body = render_message(message)
        try:
            _send(message)
        except PermanentDeliveryError as exc:
            _fail(message, str(exc))
        except Exception as exc:
            logger.warning("sending message %s failed: %s", message.pk, exc)
            if final_attempt:
                _fail(message, f"Gave up after {message.attempts} attempts: {exc}")
            else:
                message.error = str(exc)[:1000]
                transient = exc
        else:
            message.status = Message.Status.SENT
            message.sent_at = timezone.now()
            message.error = ""
        message.save(
            update_fields=[
                "attempts",
                "status",
                "sent_at",
                "error",
                "provider_id",
                "body",
                "html_body",
            ]
        )
    if transient is not None:
        raise TransientDeliveryError(str(transient)) from transient
    return message


def _send(message: Message) -> None:
    if message.channel != Message.Channel.EMAIL:
        raise PermanentDeliveryError(f"No sender for the {message.channel} channel.")
    if not message.to_address:
        raise PermanentDeliveryError("The recipient has no email address.")
    try:
        validate_email(message.to_address)
    except ValidationError as exc:
        raise PermanentDeliveryError(f"{message.to_address!r} is not a valid address.") from exc
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_address],
        headers={"X-Reformer-Message": str(message.pk)},
    )
    if message.html_body:
        email.attach_alternative(message.html_body, "text/html")
    try:
        email.send()
    except (smtplib.SMTPRecipientsRefused, AnymailRecipientsRefused, AnymailInvalidAddress) as exc:
        raise PermanentDeliveryError(f"The address was refused: {exc}") from exc
    except AnymailAPIError as exc:
        status = getattr(exc, "status_code", None)
        if status and 400 <= status < 500 and status != 429:
            raise PermanentDeliveryError(f"The provider refused the message: {exc}") from exc
        raise
    anymail_status = getattr(email, "anymail_status", None)
    if anymail_status is not None and anymail_status.message_id:
        message.provider_id = str(anymail_status.message_id)[:255]


def _fail(message: Message, reason: str) -> None:
    message.status = Message.Status.FAILED
    message.error = reason[:1000]
    AdminAlert.objects.create(
        organization_id=message.organization_id,
        code=alerts.DELIVERY_FAILED,
        message=f"A {message.kind} email to {message.to_address or message.recipient} "
        f"could not be delivered: {reason}",
        data={"message_id": message.pk, "kind": message.kind},
    )
