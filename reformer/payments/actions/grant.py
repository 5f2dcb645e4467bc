"""A paid payment becomes its package, exactly once, whichever news arrives first (the
webhook, an async-payment event, the client's return from Checkout, a replay).

The payment row is locked and only a pending one is granted; the database backs this up
with the one-to-one link from a payment to its package.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from reformer.billing.models import ClientPackage, PackageProduct, Payment
from reformer.core import audit, live
from reformer.core.errors import DomainError
from reformer.onboarding.intro import enforce_intro_offer_rule
from reformer.payments import audit_codes, notices


def new_package(
    payment: Payment,
    product: PackageProduct,
    *,
    starts_at: dt.datetime,
    expires_at: dt.datetime | None = None,
    source: str = ClientPackage.Source.PURCHASE,
) -> ClientPackage:
    credits = None if product.kind == PackageProduct.Kind.UNLIMITED else product.credits
    return ClientPackage.objects.create(
        organization_id=payment.organization_id,
        client_id=payment.client_id,
        product=product,
        credits_total=credits,
        credits_remaining=credits,
        weekly_limit=product.weekly_limit,
        starts_at=starts_at,
        expires_at=expires_at or starts_at + dt.timedelta(days=product.validity_days),
        source=source,
    )


def publish_payment(payment: Payment, op: str) -> None:
    live.publish_after_commit(
        [live.user_channel(payment.client.user_id)],
        "payment",
        op,
        [payment.pk],
    )


def mark_paid(
    payment_id: int,
    *,
    payment_intent_id: str = "",
    receipt_url: str = "",
    period: tuple[dt.datetime, dt.datetime] | None = None,
    provider_id: str | None = None,
    subscription_id: int | None = None,
) -> bool:
    """Grant the payment's package if it is still pending. True if this call granted it.

    `period` (start, end) makes a membership period's package; otherwise the product's
    validity from now. A cancelled payment that turns out paid (the client paid, then
    pressed back) is granted too: the money was taken.
    """
    now = timezone.now()
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("product", "client__user", "client__organization", "studio")
            .filter(pk=payment_id)
            .first()
        )
        if payment is None or payment.status not in (
            Payment.Status.PENDING,
            Payment.Status.CANCELLED,
            Payment.Status.FAILED,
        ):
            return False
        if payment.kind == Payment.Kind.APPOINTMENT:
            return _confirm_appointment(payment, now, payment_intent_id, receipt_url)
        product = payment.product
        if payment.client_package_id is not None or product is None:
            return False  # granted already, or a fee (nothing to grant)
        if period is not None:
            package = new_package(
                payment,
                product,
                starts_at=period[0],
                expires_at=period[1],
                source=ClientPackage.Source.SUBSCRIPTION,
            )
        else:
            try:
                with transaction.atomic():
                    package = new_package(payment, product, starts_at=now)
                    # First-timer offers: once per client, under the client's lock, also
                    # when two tabs paid for one at once.
                    enforce_intro_offer_rule(payment.client, product, package)
            except DomainError as refusal:
                _refuse_grant(payment, refusal, now, payment_intent_id, receipt_url)
                return False
        payment.client_package = package
        payment.status = Payment.Status.SUCCEEDED
        payment.paid_at = now
        payment.failure_reason = ""
        payment.payment_intent_id = payment_intent_id or payment.payment_intent_id
        payment.receipt_url = receipt_url or payment.receipt_url
        if provider_id:
            payment.provider_id = provider_id
        if subscription_id:
            payment.subscription_id = subscription_id
        payment.save()
        audit.record(
            None,
            audit_codes.PAYMENTS_PAYMENT_SUCCEEDED,
            payment,
            package=package,
            amount=payment.amount,
            currency=payment.currency,
        )
        notices.queue_receipt(payment)
        publish_payment(payment, "succeeded")
        live.publish_after_commit(
            [live.user_channel(payment.client.user_id)], "package", "created", [package.pk]
        )
    return True


def mark_unpaid(payment_id: int, *, status: str, reason: str) -> bool:
    """A pending payment failed or was abandoned: nothing is granted; say why. A place
    held for it in an appointment is freed."""
    with transaction.atomic():
        updated = Payment.objects.filter(pk=payment_id, status=Payment.Status.PENDING).update(
            status=status, failure_reason=reason[:300]
        )
        if updated:
            payment = Payment.objects.select_related("client").get(pk=payment_id)
            audit.record(None, f"payments.payment.{status}", payment, reason=reason)
            if payment.kind == Payment.Kind.APPOINTMENT:
                from reformer.appointments.actions import paid

                paid.release_held_place(payment_id, reason)
            publish_payment(payment, status)
    return bool(updated)


def _refuse_grant(
    payment: Payment,
    refusal: DomainError,
    now: dt.datetime,
    payment_intent_id: str,
    receipt_url: str,
) -> None:
    """The money was taken but the package may not be granted (the client already had the
    intro offer, bought in another tab): the payment is recorded as paid with the reason,
    nothing is granted, and the whole amount is refunded automatically."""
    from reformer.payments.actions.auto_refunds import refund_after_commit

    reason = f"{refusal.message} This payment is refunded in full."
    payment.status = Payment.Status.SUCCEEDED
    payment.paid_at = now
    payment.failure_reason = reason[:300]
    payment.payment_intent_id = payment_intent_id or payment.payment_intent_id
    payment.receipt_url = receipt_url or payment.receipt_url
    payment.save()
    audit.record(
        None,
        audit_codes.PAYMENTS_GRANT_REFUSED,
        payment,
        refusal=refusal.code,
        amount=payment.amount,
        currency=payment.currency,
    )
    refund_after_commit(payment.pk, reason)
    publish_payment(payment, "succeeded")


def _confirm_appointment(
    payment: Payment, now: dt.datetime, payment_intent_id: str, receipt_url: str
) -> bool:
    """The money for a held appointment place arrived (payment row locked): the place is
    confirmed once. If it was released meanwhile (the checkout had expired), the money is
    kept as paid and refunded automatically."""
    from reformer.appointments.actions import paid
    from reformer.payments.actions.auto_refunds import refund_after_commit

    payment.status = Payment.Status.SUCCEEDED
    payment.paid_at = now
    payment.failure_reason = ""
    payment.payment_intent_id = payment_intent_id or payment.payment_intent_id
    payment.receipt_url = receipt_url or payment.receipt_url
    payment.save()
    audit.record(
        None,
        audit_codes.PAYMENTS_PAYMENT_SUCCEEDED,
        payment,
        amount=payment.amount,
        currency=payment.currency,
    )
    notices.queue_receipt(payment)
    if not paid.confirm_paid_place(payment):
        refund_after_commit(payment.pk, "The time was no longer held when the payment arrived")
    publish_payment(payment, "succeeded")
    return True
