"""Stripe webhooks: verify with stripe's own code, store each event once, apply it in a job.

Storing is one INSERT ... ON CONFLICT DO NOTHING on (provider, organization, event id):
replays and concurrent deliveries of one event store one row and enqueue one job. Applying
is idempotent as well (each effect is guarded by the state of the payment it changes), so
events may arrive in any order and a job may run twice. Unknown event types are stored and
marked processed without effect.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from reformer.billing.models import Payment, WebhookEvent
from reformer.core.errors import DomainError, NotFound
from reformer.core.jobs import defer_in_transaction
from reformer.core.parsing import to_id, to_key
from reformer.integrations.stripe.signing import BadSignature, verify
from reformer.payments import errors as payment_errors
from reformer.payments import secrets
from reformer.payments.actions import checkout, grant, subscriptions
from reformer.payments.models import StripeAccount

logger = logging.getLogger(__name__)

PROVIDER = "stripe"

_STORE_SQL = """
INSERT INTO billing_webhookevent
       (organization_id, provider, event_id, kind, payload, received_at, error)
VALUES (%(organization_id)s, %(provider)s, %(event_id)s, %(kind)s, %(payload)s, %(now)s, '')
ON CONFLICT DO NOTHING
RETURNING id
"""


class BadWebhook(DomainError):
    """The request is not a genuine event for this endpoint: 400, nothing stored."""

    def __init__(self, message: str) -> None:
        super().__init__(payment_errors.BAD_WEBHOOK, message)


def receive_webhook(token: str, payload: bytes, signature: str | None) -> bool:
    """Verify and store one delivery. True if it was new (a job will apply it)."""
    # Stripe sends UTF-8 JSON; other bytes are refused before anything else (stripe's
    # verify_header decodes the payload and would raise UnicodeDecodeError, a 500).
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        raise BadWebhook("The payload is not UTF-8 text.") from None
    key = to_key(token, max_length=64)
    account = StripeAccount.objects.filter(webhook_token=key).first() if key else None
    if account is None:
        raise NotFound("webhook endpoint")
    if not account.webhooks_ready:  # keys saved, signing secret not yet: nothing verifies
        raise BadWebhook("No signing secret is saved for this endpoint yet.")
    try:
        verify(payload, signature, secrets.decrypt(account.webhook_secret_encrypted))
    except (BadSignature, secrets.KeyUnreadable) as exc:
        raise BadWebhook(f"Signature verification failed: {exc}") from None
    try:
        event = json.loads(payload)
        event_id, kind = event["id"], event["type"]
        event["data"]["object"]
    except (ValueError, KeyError, TypeError):
        raise BadWebhook("Not a Stripe event.") from None
    if not isinstance(event_id, str) or not isinstance(kind, str) or len(event_id) > 255:
        raise BadWebhook("Not a Stripe event.")
    from reformer.payments import jobs

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                _STORE_SQL,
                {
                    "organization_id": account.organization_id,
                    "provider": PROVIDER,
                    "event_id": event_id,
                    "kind": kind[:100],
                    "payload": json.dumps(event),
                    "now": timezone.now(),
                },
            )
            row = cursor.fetchone()
        if row is not None:
            defer_in_transaction(jobs.process_stripe_event, event_pk=row[0])
    return row is not None


def process_event(event_pk: int) -> str:
    """Apply a stored event once. Returns what happened ("applied", "ignored", "done")."""
    event = WebhookEvent.objects.filter(pk=event_pk).first()
    if event is None or event.processed_at is not None:
        return "done"
    account = (
        StripeAccount.objects.filter(organization_id=event.organization_id).first()
        if event.organization_id is not None
        else None
    )
    handler = HANDLERS.get(event.kind)
    outcome = "ignored"
    obj = _event_object(event.payload)
    if handler is not None and obj is None:
        # Signed, but not an event our handlers can read (e.g. data.object a string): kept
        # with the reason and done with, rather than a job failing on every retry.
        WebhookEvent.objects.filter(pk=event_pk, processed_at__isnull=True).update(
            processed_at=timezone.now(), error="Ignored: data.object is not a Stripe object."
        )
        return "malformed"
    if handler is not None and account is not None:
        assert obj is not None  # checked above
        try:
            handler(account, obj)
        except Exception as exc:
            WebhookEvent.objects.filter(pk=event_pk).update(error=repr(exc)[:2000])
            raise
        outcome = "applied"
    WebhookEvent.objects.filter(pk=event_pk, processed_at__isnull=True).update(
        processed_at=timezone.now(), error=""
    )
    return outcome


def _event_object(payload: Any) -> dict[str, Any] | None:
    """The event's data.object when it is a Stripe object (a JSON object with a string
    id), else None."""
    data = payload.get("data") if isinstance(payload, dict) else None
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict) or not isinstance(obj.get("id", ""), str):
        return None
    return obj


def _our_payment(account: StripeAccount, obj: dict[str, Any]) -> Payment | None:
    """The payment a Checkout Session is about, in this organization only."""
    reference = str(
        (obj.get("metadata") or {}).get("reformer_payment") or obj.get("client_reference_id") or ""
    )
    if (payment_id := to_id(reference)) is None:
        return None
    payment = Payment.objects.filter(pk=payment_id, organization_id=account.organization_id).first()
    if payment is None or (payment.provider_id and payment.provider_id != obj.get("id")):
        return None
    return payment


def _session_completed(account: StripeAccount, obj: dict[str, Any]) -> None:
    if obj.get("mode") == "subscription":
        if obj.get("subscription"):
            subscriptions.sync_subscription(account, obj["subscription"])
        return
    payment = _our_payment(account, obj)
    if payment is None or payment.status == Payment.Status.SUCCEEDED:
        return
    # The event may be stale (async payments): ask Stripe for the session as it is now.
    session = checkout.retrieve_session(account, obj["id"])
    if session.get("payment_status") == "paid":
        checkout.apply_completed_session(payment, session)


def _session_failed(account: StripeAccount, obj: dict[str, Any]) -> None:
    payment = _our_payment(account, obj)
    if payment is not None:
        grant.mark_unpaid(
            payment.pk,
            status=Payment.Status.FAILED,
            reason="Your bank did not confirm the payment: nothing was charged and no package "
            "was added. Try again with another card or payment method.",
        )


def _session_expired(account: StripeAccount, obj: dict[str, Any]) -> None:
    payment = _our_payment(account, obj)
    if payment is not None:
        grant.mark_unpaid(payment.pk, status=Payment.Status.CANCELLED, reason=checkout.ABANDONED)
        if payment.subscription_id:
            subscriptions.drop_incomplete(payment.subscription_id)


def _subscription_changed(account: StripeAccount, obj: dict[str, Any]) -> None:
    subscriptions.sync_subscription(account, obj["id"])


HANDLERS: dict[str, Callable[[StripeAccount, dict[str, Any]], None]] = {
    "checkout.session.completed": _session_completed,
    "checkout.session.async_payment_succeeded": _session_completed,
    "checkout.session.async_payment_failed": _session_failed,
    "checkout.session.expired": _session_expired,
    "invoice.paid": subscriptions.apply_invoice_paid,
    "invoice.payment_failed": subscriptions.apply_invoice_failed,
    "customer.subscription.created": _subscription_changed,
    "customer.subscription.updated": _subscription_changed,
    "customer.subscription.deleted": _subscription_changed,
    "customer.subscription.paused": _subscription_changed,
    "customer.subscription.resumed": _subscription_changed,
}
