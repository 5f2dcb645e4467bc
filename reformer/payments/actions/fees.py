"""Late-cancel and no-show fees, charged off-session to the card saved at checkout, by a
job after the booking change commits; staff refund them like any payment.

- Classes: opt-in per studio (payments.StudioFeePolicy), on top of the credit kept.
- Appointments priced in money: per appointment type (`late_cancel_fee`, `no_show_fee`,
  0 = none), on top of the session's price, which is kept (as a class keeps its credit).

Off-session, not a fee owed and paid later through Checkout: every online payment already
saves the card for exactly this (`setup_future_usage=off_session`), the class fees charge
it the same way, and a card that is missing or declined leaves a failed fee payment under
"Needs attention" for the desk to collect or waive, with a staff alert. One payment per
(booking or place, kind), keyed by `provider_id`; Stripe's idempotency key per payment, so
a job run twice charges once. The policy text before booking and in the cancel dialog
names the fees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import stripe
from django.db import IntegrityError, transaction
from django.db.models import Model
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
    """Charge a class booking's fee once per (booking, kind). Safe to run twice."""
    from reformer.bookings.models import Booking

    booking = Booking.objects.select_related("session__studio", "client__user").get(pk=booking_id)
    expected = Booking.Status.LATE_CANCELLED if kind == LATE_CANCEL else Booking.Status.NO_SHOW
    if booking.status != expected:
        return None  # staff changed it meanwhile (e.g. a no-show corrected to attended)
    policy = StudioFeePolicy.objects.filter(studio_id=booking.session.studio_id).first()
    amount = _fee_amount(policy, kind)
    if policy is None or not amount:
        return None
    return _charge(
        _Fee(
            subject=booking,
            organization_id=booking.organization_id,
            studio=booking.session.studio,
            client=booking.client,
            amount=amount,
            currency=policy.currency,
            note=FEE_NAMES[kind].capitalize() + " fee",
            provider_id=f"fee:{booking.pk}:{kind}",
            links={"booking": booking},
            audit_data={"booking": booking},
        ),
        kind,
    )


def appointment_fee_text(appointment_type) -> str:
    """ " A late cancellation costs $20.00; a no-show costs $30.00, charged to the card you
    paid with." or "" (a type paid in credits, or no fees set)."""
    if appointment_type.price is None:
        return ""
    parts = [
        f"a {FEE_NAMES[kind]} costs "
        f"{format_money(appointment_type.fee_for(kind), appointment_type.currency)}"
        for kind in (LATE_CANCEL, NO_SHOW)
        if appointment_type.fee_for(kind) > 0
    ]
    if not parts:
        return ""
    text = "; ".join(parts)
    return f" {text[0].upper()}{text[1:]}, charged to the card you paid with."


def queue_appointment_fee(place, appointment_type, kind: str) -> bool:
    """In the place's change (late cancel, no-show): enqueue the type's fee, if it has one."""
    if appointment_type.price is None or appointment_type.fee_for(kind) <= 0:
        return False
    from reformer.payments import jobs

    return defer_in_transaction(
        jobs.charge_appointment_fee,
        queueing_lock=f"fee-place-{place.pk}-{kind}",
        place_id=place.pk,
        kind=kind,
    )


def charge_appointment_fee(place_id: int, kind: str) -> Payment | None:
    """Charge an appointment place's fee once per (place, kind). Safe to run twice; nothing
    if the place changed meanwhile (a no-show corrected to attended) or the fee was removed."""
    from reformer.appointments.models import Attendee
    from reformer.core.timeformat import activate, when
    from reformer.core.timezones import to_local

    place = Attendee.objects.select_related(
        "appointment__appointment_type",
        "appointment__studio__organization",
        "client__user",
    ).get(pk=place_id)
    expected = Attendee.Status.LATE_CANCELLED if kind == LATE_CANCEL else Attendee.Status.NO_SHOW
    appointment = place.appointment
    kind_of = appointment.appointment_type
    amount = kind_of.fee_for(kind)
    if place.status != expected or kind_of.price is None or amount <= 0:
        return None
    studio = appointment.studio
    with activate(studio.organization):
        local = when(to_local(appointment.starts_at, studio.time_zone), "day_time")
    return _charge(
        _Fee(
            subject=place,
            organization_id=place.organization_id,
            studio=studio,
            client=place.client,
            amount=amount,
            currency=kind_of.currency,
            note=f"{FEE_NAMES[kind].capitalize()} fee: {kind_of.name}, {local}"[:200],
            provider_id=f"fee:place:{place.pk}:{kind}",
            links={"fee_for_place": place},
            audit_data={"appointment_place": place.pk},
        ),
        kind,
    )


@dataclass(frozen=True)
class _Fee:
    """One fee to charge: what it is for and the payment row that records it."""

    subject: Model
    organization_id: int
    studio: Any
    client: Any
    amount: Decimal
    currency: str
    note: str
    provider_id: str
    links: dict[str, Any] = field(default_factory=dict)
    audit_data: dict[str, Any] = field(default_factory=dict)


def _charge(fee: _Fee, kind: str) -> Payment:
    try:
        with transaction.atomic():
            payment, _ = Payment.objects.get_or_create(
                organization_id=fee.organization_id,
                provider="stripe",
                provider_id=fee.provider_id,
                defaults={
                    "studio": fee.studio,
                    "client": fee.client,
                    "kind": Payment.Kind.FEE,
                    "method": Payment.Method.CARD_SAVED,
                    "amount": fee.amount,
                    "currency": fee.currency,
                    "note": fee.note,
                    "created_at": timezone.now(),
                    **fee.links,
                },
            )
    except IntegrityError:
        payment = Payment.objects.get(
            organization_id=fee.organization_id, provider="stripe", provider_id=fee.provider_id
        )
    if payment.status != Payment.Status.PENDING:
        return payment
    account = stripe_account_of(fee.organization_id)
    customer = StripeCustomer.objects.filter(client_id=fee.client.pk).first()
    if account is None or customer is None or not customer.default_payment_method:
        _fail(payment, "No card on file: collect the fee at the desk, or waive it.")
        return payment
    try:
        intent = (
            client_for(account)
            .v1.payment_intents.create(
                params={
                    "amount": to_minor_units(fee.amount, fee.currency),
                    "currency": fee.currency.lower(),
                    "customer": customer.customer_id,
                    "payment_method": customer.default_payment_method,
                    "off_session": True,
                    "confirm": True,
                    "description": fee.note,
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
                None, audit_codes.PAYMENTS_FEE_CHARGED, payment, kind=kind, **fee.audit_data
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
