"""Refunds by owners and managers: through Stripe for online payments, recorded for desk
sales. The credits a refund takes back leave through the ledger, never below what the
client already used."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import stripe
from django.db import connection, transaction
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.billing.models import ClientPackage, CreditLedger, Payment
from reformer.core import audit
from reformer.core.errors import DomainError
from reformer.core.money import format_money, quantize
from reformer.core.permissions import REFUND_PAYMENTS, require, require_same_organization
from reformer.integrations.stripe.client import provider_error, to_minor_units
from reformer.payments import audit_codes, notices
from reformer.payments import errors as payment_errors
from reformer.payments.actions.accounts import client_for, stripe_account_of
from reformer.payments.actions.grant import publish_payment
from reformer.payments.models import Refund

ONLINE_METHODS = frozenset({Payment.Method.CARD_ONLINE, Payment.Method.CARD_SAVED})

# One statement: take credits back (guarded: never below zero) and write the ledger row.
_REMOVE_SQL = """
WITH removed AS (
    UPDATE billing_clientpackage
       SET credits_remaining = credits_remaining - %(credits)s
     WHERE id = %(package_id)s AND credits_remaining >= %(credits)s
 RETURNING id, organization_id
)
INSERT INTO billing_creditledger
       (organization_id, client_package_id, booking_id, delta, reason, actor_id, note, at)
SELECT organization_id, id, NULL, -%(credits)s, %(reason)s, %(actor_id)s, %(note)s, %(now)s
  FROM removed
RETURNING id
"""


def _amount(value: Decimal | str | None, payment: Payment) -> Decimal:
    if value is None or value == "":
        return payment.refundable_amount
    try:
        amount = quantize(value)
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError("validation", "Enter an amount like 25.00.", field="amount") from None
    if amount <= 0:
        raise DomainError("validation", "Refund more than 0.", field="amount")
    if amount > payment.refundable_amount:
        raise DomainError(
            "validation",
            f"At most {format_money(payment.refundable_amount, payment.currency)} can still "
            "be refunded on this payment.",
            field="amount",
        )
    return amount


def refund_payment(
    actor: Membership,
    payment: Payment,
    *,
    amount: Decimal | str | None = None,
    credits: int | None = None,
    reason: str = "",
) -> Refund:
    """Refund all or part of a payment. `credits` to take back defaults to every unused
    credit on a full refund and to none on a partial one."""
    require_same_organization(actor, payment, "payment")
    require(actor, REFUND_PAYMENTS, studio=payment.studio)
    if payment.status not in (Payment.Status.SUCCEEDED, Payment.Status.REFUNDED):
        raise DomainError(payment_errors.NOT_REFUNDABLE, "Only a paid payment can be refunded.")
    if payment.amount <= 0:
        raise DomainError(
            payment_errors.NOT_REFUNDABLE, "Nothing was paid for this (complimentary): no refund."
        )
    if payment.refundable_amount <= 0:
        raise DomainError(payment_errors.NOT_REFUNDABLE, "This payment is already fully refunded.")
    amount = _amount(amount, payment)
    full = amount == payment.refundable_amount
    package = payment.client_package
    if credits is not None and credits < 0:
        raise DomainError("validation", "Credits to take back cannot be negative.", field="credits")
    taking = 0
    if package is not None and package.credits_remaining is not None:
        remaining = package.credits_remaining
        taking = credits if credits is not None else (remaining if full else 0)
        if taking > remaining:
            raise DomainError(
                payment_errors.CREDITS_USED,
                f"The client has already used {package.credits_used} of "
                f"{package.credits_total} credits: only {package.credits_remaining} can be "
                "taken back. Refund less, or take back fewer credits.",
                field="credits",
            )
    provider_refund_id = ""
    if payment.method in ONLINE_METHODS:
        account = stripe_account_of(actor.organization_id)
        if account is None or not payment.payment_intent_id:
            raise DomainError(
                payment_errors.NOT_ONLINE,
                "Stripe is not connected, so this card payment cannot be refunded here. "
                "Refund it in the Stripe Dashboard.",
            )
        already = to_minor_units(payment.amount_refunded, payment.currency)
        try:
            remote = client_for(account).v1.refunds.create(
                params={
                    "payment_intent": payment.payment_intent_id,
                    "amount": to_minor_units(amount, payment.currency),
                    "metadata": {"reformer_payment": str(payment.pk)},
                },
                # Two clicks on the same refund reach Stripe once.
                options={"idempotency_key": f"refund-{payment.pk}-{already}-{amount}"},
            )
        except stripe.StripeError as exc:
            raise provider_error(exc) from None
        provider_refund_id = remote.id
    now = timezone.now()
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.amount_refunded + amount > locked.amount:
            raise DomainError(payment_errors.NOT_REFUNDABLE, "This payment was refunded meanwhile.")
        refund = Refund.objects.create(
            organization_id=payment.organization_id,
            payment=locked,
            amount=amount,
            credits_removed=taking,
            reason=reason.strip()[:200],
            provider_id=provider_refund_id,
            actor=actor.user,
        )
        if taking and package is not None:
            with connection.cursor() as cursor:
                cursor.execute(
                    _REMOVE_SQL,
                    {
                        "credits": taking,
                        "package_id": package.pk,
                        "reason": CreditLedger.Reason.REFUND,
                        "actor_id": actor.user_id,
                        "note": f"refund {refund.pk}",
                        "now": now,
                    },
                )
                if cursor.fetchone() is None:  # credits were spent meanwhile
                    raise DomainError(
                        payment_errors.CREDITS_USED,
                        "The client booked with these credits a moment ago. Check the "
                        "package and try again.",
                    )
        if package is not None and package.is_unlimited and full:
            ClientPackage.objects.filter(pk=package.pk).update(
                status=ClientPackage.Status.CANCELLED
            )
        locked.amount_refunded += amount
        if locked.amount_refunded >= locked.amount:
            locked.status = Payment.Status.REFUNDED
        locked.save(update_fields=["amount_refunded", "status"])
        audit.record(
            actor,
            audit_codes.PAYMENTS_PAYMENT_REFUNDED,
            locked,
            refund=refund,
            amount=amount,
            credits_removed=taking,
            reason=reason,
        )
        notices.queue_refund_notice(
            locked, amount=amount, credits_removed=taking, refund_id=refund.pk
        )
        publish_payment(locked, "refunded")
    return refund
