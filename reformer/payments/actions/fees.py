"""Late-cancel and no-show fees (opt-in per studio, payments.StudioFeePolicy): charged
off-session to the card saved at checkout, by a job after the booking change commits.
The policy text before booking names them; staff refund them like any payment."""

from __future__ import annotations

import stripe
from django.db import IntegrityError, transaction
from django.utils import timezone

from reformer.billing.models import Payment
from reformer.core import alerts, audit
from reformer.core.jobs import defer_in_transaction
from reformer.core.money import format_money
from reformer.integrations.stripe.client import provider_error, to_minor_units
from reformer.payments import audit_codes, notices
from reformer.payments.actions.accounts import client_for, stripe_account_of
from reformer.payments.actions.grant import publish_payment
from reformer.payments.models import StripeCustomer, StudioFeePolicy

LATE_CANCEL = "late_cancel"
NO_SHOW = "no_show"
FEE_NAMES = {LATE_CANCEL: "late cancellation", NO_SHOW: "no-show"}


def _fee_amount(policy: StudioFeePolicy | None, kind: str):
    if policy is None:
        return None
    return policy.late_cancel_fee if kind == LATE_CANCEL else policy.no_show_fee


def fee_policy_text(studio_id: int) -> str:
    """ " A late cancellation costs $15; a no-show costs $20." or ""."""
    policy = StudioFeePolicy.objects.filter(studio_id=studio_id).first()
    if policy is None:
        return ""
    parts = []
    for kind in (LATE_CANCEL, NO_SHOW):
        amount = _fee_amount(policy, kind)
        if amount:
            parts.append(f"a {FEE_NAMES[kind]} costs {format_money(amount, policy.currency)}")
    if not parts:
        return ""
    text = "; ".join(parts)
    return f" {text[0].upper()}{text[1:]}, charged to the card you paid with."


def queue_fee(booking, kind: str, *, studio_id: int) -> bool:
    """In the booking change's transaction: enqueue the fee charge if the studio has one."""
    policy = StudioFeePolicy.objects.filter(studio_id=studio_id).first()
    if not _fee_amount(policy, kind):
        return False
    from reformer.payments import jobs

    return defer_in_transaction(
        jobs.charge_booking_fee,
        queueing_lock=f"fee-{booking.pk}-{kind}",
        booking_id=booking.pk,
        kind=kind,
    )


def charge_fee(booking_id: int, kind: str) -> Payment | None:
    """Charge the fee once per (booking, kind). Safe to run twice."""
    from reformer.bookings.models import Booking

    booking = Booking.objects.select_related("session__studio", "client__user").get(pk=booking_id)
    expected = Booking.Status.LATE_CANCELLED if kind == LATE_CANCEL else Booking.Status.NO_SHOW
    if booking.status != expected:
        return None  # staff changed it meanwhile (e.g. a no-show corrected to attended)
    policy = StudioFeePolicy.objects.filter(studio_id=booking.session.studio_id).first()
    amount = _fee_amount(policy, kind)
    if policy is None or not amount:
        return None
    try:
        with transaction.atomic():
            payment, _ = Payment.objects.get_or_create(
                organization_id=booking.organization_id,
                provider="stripe",
                provider_id=f"fee:{booking.pk}:{kind}",
                defaults={
                    "studio": booking.session.studio,
                    "client": booking.client,
                    "booking": booking,
                    "kind": Payment.Kind.FEE,
                    "method": Payment.Method.CARD_SAVED,
                    "amount": amount,
                    "currency": policy.currency,
                    "note": FEE_NAMES[kind].capitalize() + " fee",
                    "created_at": timezone.now(),
                },
            )
    except IntegrityError:
        payment = Payment.objects.get(
            organization_id=booking.organization_id, provider_id=f"fee:{booking.pk}:{kind}"
        )
    if payment.status != Payment.Status.PENDING:
        return payment
    account = stripe_account_of(booking.organization_id)
    customer = StripeCustomer.objects.filter(client_id=booking.client_id).first()
    if account is None or customer is None or not customer.default_payment_method:
        _fail(payment, "No card on file: collect the fee at the desk, or waive it.")
        return payment
    try:
        intent = (
            client_for(account)
            .v1.payment_intents.create(
                params={
                    "amount": to_minor_units(amount, policy.currency),
                    "currency": policy.currency.lower(),
                    "customer": customer.customer_id,
                    "payment_method": customer.default_payment_method,
                    "off_session": True,
                    "confirm": True,
                    "description": f"{FEE_NAMES[kind].capitalize()} fee",
                    "metadata": {"reformer_payment": str(payment.pk)},
                    "expand": ["latest_charge"],
                },
                options={"idempotency_key": f"fee-{payment.pk}"},
            )
            .to_dict()
        )
    except stripe.CardError as exc:
        _fail(payment, f"The saved card was declined ({provider_error(exc).message})")
        return payment
    charge = intent.get("latest_charge")
    with transaction.atomic():
        updated = Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            status=Payment.Status.SUCCEEDED,
            payment_intent_id=intent["id"],
            receipt_url=(charge.get("receipt_url") or "") if isinstance(charge, dict) else "",
            paid_at=timezone.now(),
        )
        if updated:
            payment.refresh_from_db()
            audit.record(
                None, audit_codes.PAYMENTS_FEE_CHARGED, payment, booking=booking, kind=kind
            )
            notices.queue_fee_charged(payment, reason=FEE_NAMES[kind])
            publish_payment(payment, "succeeded")
    return payment


def _fail(payment: Payment, reason: str) -> None:
    with transaction.atomic():
        changed = Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            status=Payment.Status.FAILED, failure_reason=reason[:300]
        )
        if changed:
            audit.record(None, audit_codes.PAYMENTS_FEE_FAILED, payment, reason=reason)
            alerts.raise_alert(
                alerts.PAYMENT_FEE_NOT_CHARGED,
                f"{payment.note or 'A fee'} of {format_money(payment.amount, payment.currency)} "
                f"was not charged: {reason}",
                organization_id=payment.organization_id,
                studio_id=payment.studio_id,
                data={"payment": payment.pk},
            )
    payment.refresh_from_db()
