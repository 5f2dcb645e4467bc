"""Which changes become webhook events, and what their payloads hold.

Every domain action writes an AuditEvent in its own transaction; the audit codes below
map to public event types. When an organization has an active endpoint for the type, a
fan-out job is deferred in that same transaction (so a rolled-back change sends nothing)
and, once committed, builds the payload from the row as it is then and queues one
delivery per endpoint. Code outside the audit log (e.g. a payment provider's webhook
handler) may call `emit(...)` directly, inside its transaction.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models.signals import post_save
from django.utils import timezone

from reformer.core.models import AuditEvent
from reformer.payments.audit_codes import PAYMENTS_PAYMENT_REFUNDED, PAYMENTS_PAYMENT_SUCCEEDED

EVENT_TYPES: dict[str, str] = {
    "booking.created": "A client booked a class (themself, at the desk, or through the API)",
    "booking.cancelled": "A booking was cancelled (in time or late)",
    "waitlist.promoted": "A waiting client got a place",
    "attendance.marked": "A booking was marked attended or a no-show",
    "client.created": "A new client joined the organization",
    "package.purchased": "A client bought a package",
    "package.granted": "Staff granted a client a package",
    "payment.succeeded": "A payment succeeded",
    "payment.refunded": "A payment was refunded",
}
TEST_EVENT = "webhook.test"

# Audit code -> event type.
AUDIT_EVENTS: dict[str, str] = {
    "bookings.booking.created": "booking.created",
    "bookings.booking.cancelled": "booking.cancelled",
    "bookings.booking.late_cancelled": "booking.cancelled",
    "bookings.waitlist.promoted": "waitlist.promoted",
    "bookings.booking.attended": "attendance.marked",
    "bookings.booking.no_show": "attendance.marked",
    "accounts.membership.joined": "client.created",
    "accounts.client.imported": "client.created",
    "billing.package.purchased": "package.purchased",
    "billing.package.granted": "package.granted",
    PAYMENTS_PAYMENT_SUCCEEDED: "payment.succeeded",
    PAYMENTS_PAYMENT_REFUNDED: "payment.refunded",
}


# Whether organization %(org)s has an active endpoint for %(webhook_event)s, as a part of a
# larger read: the booking asks it with the rest of what it reads before its transaction
# (bookings.actions._prechecks) and answers emit() through subscribers_known.
SUBSCRIBED_SQL = """
EXISTS (SELECT 1 FROM webhooks_webhookendpoint
         WHERE organization_id = %(org)s AND active
           AND events @> ARRAY[%(webhook_event)s]::varchar[])
"""

_known: contextvars.ContextVar[tuple[int, str, bool] | None] = contextvars.ContextVar(
    "webhook_subscribers_known", default=None
)


@contextlib.contextmanager
def subscribers_known(organization_id: int, event_type: str, subscribed: bool) -> Iterator[None]:
    """Inside the block, emit() for this organization and event takes `subscribed` (read
    moments before with SUBSCRIBED_SQL) instead of asking the database again. An endpoint
    added in between misses this one event, as it would when added just after the check."""
    token = _known.set((organization_id, event_type, subscribed))
    try:
        yield
    finally:
        _known.reset(token)


def _has_subscribers(organization_id: int, event_type: str) -> bool:
    from reformer.webhooks.models import WebhookEndpoint

    known = _known.get()
    if known is not None and known[:2] == (organization_id, event_type):
        return known[2]
    return WebhookEndpoint.objects.filter(
        organization_id=organization_id, active=True, events__contains=[event_type]
    ).exists()


def emit(organization_id: int, event_type: str, subject_type: str, subject_id: int) -> bool:
    """Queue the event for the organization's endpoints, in the current transaction.
    Returns False when nobody listens (then nothing is written)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event {event_type!r}")
    if not _has_subscribers(organization_id, event_type):
        return False
    from reformer.core.jobs import defer_in_transaction
    from reformer.webhooks.jobs import fan_out

    defer_in_transaction(
        fan_out,
        organization_id=organization_id,
        event_type=event_type,
        subject_type=subject_type,
        subject_id=subject_id,
        occurred_at=timezone.now().isoformat(),
    )
    return True


def _on_audit(sender: type, instance: AuditEvent, created: bool, **kwargs: Any) -> None:
    event_type = AUDIT_EVENTS.get(instance.code)
    if (
        not created
        or event_type is None
        or instance.organization_id is None
        or instance.subject_id is None
    ):
        return
    if instance.code == "accounts.membership.joined" and instance.data.get("role") != "client":
        return
    emit(instance.organization_id, event_type, instance.subject_type, instance.subject_id)


def connect() -> None:
    post_save.connect(_on_audit, sender=AuditEvent, dispatch_uid="webhooks.on_audit")


def payload_for(
    event_type: str, subject_type: str, subject_id: int, occurred_at: dt.datetime
) -> dict[str, Any] | None:
    """The Standard Webhooks payload: {type, timestamp, data}; data is the subject in its
    public API form. None when the subject is gone (nothing to tell)."""
    data = _subject_data(subject_type, subject_id)
    if data is None:
        return None
    return {"type": event_type, "timestamp": occurred_at.isoformat(), "data": data}


def _dump(schema: Any, row: Any) -> dict[str, Any] | None:
    return None if row is None else schema.from_orm(row).model_dump(mode="json")


def _subject_data(subject_type: str, subject_id: int) -> dict[str, Any] | None:
    from reformer.accounts.models import Membership
    from reformer.api import schemas
    from reformer.billing.models import ClientPackage, Payment
    from reformer.bookings.models import Booking, WaitlistEntry
    from reformer.bookings.queries import waitlist_position

    if subject_type == "bookings.booking":
        booking = Booking.objects.select_related("spot").filter(pk=subject_id).first()
        return (
            None
            if booking is None
            else schemas.BookingOut.from_orm(booking).model_dump(mode="json")
        )
    if subject_type == "bookings.waitlistentry":
        entry = WaitlistEntry.objects.filter(pk=subject_id).first()
        if entry is None:
            return None
        data = schemas.WaitlistEntryOut.from_orm(entry).model_dump(mode="json")
        return data | {"position": waitlist_position(entry)}
    if subject_type == "accounts.membership":
        member = (
            Membership.objects.select_related("user", "client_profile")
            .filter(pk=subject_id)
            .first()
        )
        return (
            None if member is None else schemas.ClientOut.from_orm(member).model_dump(mode="json")
        )
    if subject_type == "billing.clientpackage":
        package = ClientPackage.objects.select_related("product").filter(pk=subject_id).first()
        return (
            None
            if package is None
            else schemas.PackageOut.from_orm(package).model_dump(mode="json")
        )
    if subject_type == "billing.payment":
        payment = Payment.objects.filter(pk=subject_id).first()
        return (
            None
            if payment is None
            else schemas.PaymentOut.from_orm(payment).model_dump(mode="json")
        )
    return None
