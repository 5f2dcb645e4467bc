"""Paying for an appointment priced in money through Stripe Checkout.

The place is held first (`appointments.actions.paid.hold_for_payment`: the slot is taken
and a pending Payment written in one transaction), then the Checkout Session is opened with
the payment's id in its metadata, exactly as a package purchase is (`checkout`). The same
webhooks and the client's return confirm it once (`grant.mark_paid`); a Checkout that fails
or expires (30 minutes) frees the slot (`grant.mark_unpaid`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import stripe
from django.db import transaction
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.appointments.actions import paid
from reformer.appointments.models import AppointmentType, Attendee
from reformer.core import audit
from reformer.core.errors import DomainError
from reformer.core.permissions import BUY_ONLINE, require
from reformer.integrations.stripe.client import provider_error, to_minor_units
from reformer.payments import audit_codes
from reformer.payments import errors as payment_errors
from reformer.payments.actions import grant
from reformer.payments.actions.accounts import client_for, online_account_of
from reformer.payments.actions.checkout import ensure_customer
from reformer.studios.models import Studio

HOLD_FOR = paid.HOLD_FOR


def start_appointment_checkout(
    actor: Membership,
    kind: AppointmentType,
    *,
    studio: Studio,
    instructor: Membership,
    starts_at: dt.datetime,
    return_url: str,
    cancel_url: str,
) -> tuple[Attendee, str]:
    """Hold the slot and open Checkout; returns the held place and the page to pay on.
    `return_url` / `cancel_url` may hold `{payment}`."""
    require(actor, BUY_ONLINE)
    account = online_account_of(actor.organization_id)
    if account is None:
        raise DomainError(
            payment_errors.NOT_ONLINE,
            "This studio does not take payments online yet: book it at the front desk.",
        )
    customer = ensure_customer(account, actor)
    place = paid.hold_for_payment(
        actor, kind, studio=studio, instructor=instructor, starts_at=starts_at
    )
    payment = place.payment
    assert payment is not None and kind.price is not None  # hold_for_payment made both
    metadata = {"reformer_payment": str(payment.pk), "reformer_client": str(actor.pk)}
    params: dict = {
        "mode": "payment",
        "customer": customer.customer_id,
        "client_reference_id": str(payment.pk),
        "line_items": [
            {
                "price_data": {
                    "currency": kind.currency.lower(),
                    "unit_amount": to_minor_units(kind.price, kind.currency),
                    "product_data": {"name": f"{kind.name} with {instructor.name}"},
                },
                "quantity": 1,
            }
        ],
        "metadata": metadata,
        "expires_at": int((timezone.now() + HOLD_FOR).timestamp()),
        "success_url": return_url.replace("{payment}", str(payment.pk))
        + "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": cancel_url.replace("{payment}", str(payment.pk)),
        "payment_intent_data": {"setup_future_usage": "off_session", "metadata": metadata},
    }
    try:
        session = client_for(account).v1.checkout.sessions.create(
            params=cast(Any, params), options={"idempotency_key": f"checkout-{payment.pk}"}
        )
    except stripe.StripeError as exc:
        grant.mark_unpaid(payment.pk, status=payment.Status.FAILED, reason=str(exc)[:200])
        raise provider_error(exc) from None
    if not session.url:
        grant.mark_unpaid(payment.pk, status=payment.Status.FAILED, reason="No checkout page")
        raise DomainError(
            payment_errors.PROVIDER, "Stripe did not return a checkout page. Try again."
        )
    held_until = dt.datetime.fromtimestamp(session.expires_at, tz=dt.UTC)
    with transaction.atomic():
        type(payment).objects.filter(pk=payment.pk).update(provider_id=session.id)
        payment.provider_id = session.id
        # The hold ends when the Checkout Session does (the sweep's deadline).
        Attendee.objects.filter(pk=place.pk, status=Attendee.Status.HELD).update(
            held_until=held_until
        )
        place.held_until = held_until
        audit.record(
            actor,
            audit_codes.PAYMENTS_CHECKOUT_STARTED,
            payment,
            appointment=place.appointment_id,
            studio=studio,
        )
    return place, session.url
