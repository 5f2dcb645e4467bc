"""Refunds nobody has to ask for: a place cancelled in time, money that arrived for an
appointment place no longer held, a second intro offer bought in another tab.

The whole payment goes back: through Stripe for a card payment (idempotency key per
payment, so a job run twice reaches Stripe once), recorded for a desk payment; a `Refund`
row, the payment's refunded amount and status, an audit row and an email telling the
client why, in one transaction. Run by the job `payments.refund_automatically`.
"""

from __future__ import annotations

import stripe
from django.db import transaction

from reformer.billing.models import Payment
from reformer.core import alerts, audit
from reformer.integrations.stripe.client import provider_error, to_minor_units
from reformer.payments import audit_codes, notices
from reformer.payments.actions.accounts import client_for, stripe_account_of
from reformer.payments.actions.grant import publish_payment
from reformer.payments.actions.refunds import ONLINE_METHODS
from reformer.payments.models import Refund


def refund_automatically(payment_id: int, reason: str) -> Refund | None:
    """Refund everything still refundable on a paid payment; None when there is nothing
    (already refunded, free, never paid)."""
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None or payment.status != Payment.Status.SUCCEEDED:
        return None
    amount = payment.refundable_amount
    if amount <= 0:
        return None
    provider_refund_id = ""
    if payment.method in ONLINE_METHODS:
        account = stripe_account_of(payment.organization_id)
        if account is None or not payment.payment_intent_id:
            alerts.raise_alert(
                alerts.REFUND_NEEDED,
                f"Payment {payment.pk} ({payment.note or payment.get_kind_display()}) must be "
                f"refunded ({reason}) but Stripe is not connected: refund it in the Stripe "
                "Dashboard.",
                organization_id=payment.organization_id,
                data={"payment": payment.pk},
            )
            return None
        try:
            remote = client_for(account).v1.refunds.create(
                params={
                    "payment_intent": payment.payment_intent_id,
                    "amount": to_minor_units(amount, payment.currency),
                    "metadata": {"reformer_payment": str(payment.pk), "automatic": "1"},
                },
                options={"idempotency_key": f"auto-refund-{payment.pk}"},
            )
        except stripe.StripeError as exc:
            raise provider_error(exc) from None
        provider_refund_id = remote.id
    with transaction.atomic():
        locked = (
            Payment.objects.select_for_update().select_related("client__user").get(pk=payment.pk)
        )
        if locked.status != Payment.Status.SUCCEEDED or locked.amount_refunded > 0:
            return None  # refunded meanwhile (a second run, or staff)
        refund = Refund.objects.create(
            organization_id=locked.organization_id,
            payment=locked,
            amount=amount,
            credits_removed=0,
            reason=reason[:200],
            provider_id=provider_refund_id,
            actor=None,
        )
        locked.amount_refunded += amount
        locked.status = Payment.Status.REFUNDED
        locked.save(update_fields=["amount_refunded", "status"])
        audit.record(
            None,
            audit_codes.PAYMENTS_PAYMENT_REFUNDED,
            locked,
            refund=refund,
            amount=amount,
            credits_removed=0,
            reason=reason,
            automatic=True,
        )
        notices.queue_refund_notice(
            locked, amount=amount, credits_removed=0, refund_id=refund.pk, why=reason
        )
        publish_payment(locked, "refunded")
    return refund


def refund_after_commit(payment_id: int, reason: str) -> None:
    """Refund the whole payment once this transaction commits (Stripe is not called with
    a transaction open); the job is safe to run twice."""
    from reformer.core.jobs import defer_in_transaction
    from reformer.payments import jobs

    defer_in_transaction(
        jobs.refund_automatically,
        queueing_lock=f"refund-automatically-{payment_id}",
        payment_id=payment_id,
        reason=reason,
    )
