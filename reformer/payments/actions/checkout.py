"""Buying online: a client pays for a package or membership through Stripe Checkout.

`start_checkout` is the one purchase path (rules about who may buy what, e.g. an intro
offer only for first-timers, go in `check_may_buy`). The Payment (and, for a membership,
the Subscription) row is written first and its id travels in the session's metadata, so
a webhook that arrives before we saved the session id still finds it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import stripe
from django.db import transaction
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.billing.models import PackageProduct, Payment, Subscription
from reformer.core import audit
from reformer.core.errors import DomainError
from reformer.core.permissions import BUY_ONLINE, require, require_same_organization
from reformer.integrations.stripe.client import provider_error, to_minor_units
from reformer.onboarding.intro import intro_offer_refusal
from reformer.payments import audit_codes
from reformer.payments import errors as payment_errors
from reformer.payments.actions import grant, one_membership
from reformer.payments.actions.accounts import client_for, online_account_of, stripe_account_of
from reformer.payments.models import StripeAccount, StripeCustomer
from reformer.studios.models import Studio

# Memberships and unlimited plans renew every month; class packs are bought once.
RECURRING_KINDS = frozenset({PackageProduct.Kind.MEMBERSHIP, PackageProduct.Kind.UNLIMITED})
# At most this many checkouts opened per client in the window (a runaway script or a
# double-clicking client cannot open sessions at Stripe without end).
CHECKOUT_LIMIT = 10
CHECKOUT_WINDOW = dt.timedelta(minutes=10)
ABANDONED = "You left the checkout before paying: nothing was charged and no package was added."


def check_may_buy(actor: Membership, product: PackageProduct) -> None:
    """Whether this client may buy this product (the hook for purchase rules)."""
    if not product.active:
        raise DomainError(
            payment_errors.PRODUCT_UNAVAILABLE,
            f"{product.name} is no longer for sale. Pick another package.",
        )
    if product.price <= 0:
        raise DomainError(
            payment_errors.FREE_PRODUCT,
            f"{product.name} is free: ask the front desk to add it to your account.",
        )
    if (refusal := intro_offer_refusal(actor, product)) is not None:
        raise refusal  # first-timer offers: once per client, before any booking or purchase


def ensure_customer(account: StripeAccount, client: Membership) -> StripeCustomer:
    """The client's Stripe customer, created once and cached."""
    existing = StripeCustomer.objects.filter(client=client).first()
    if existing is not None:
        return existing
    try:
        customer = client_for(account).v1.customers.create(
            params={
                "email": client.user.email,
                "name": client.user.name or client.user.email,
                "metadata": {"reformer_client": str(client.pk)},
            },
            options={"idempotency_key": f"customer-{client.organization_id}-{client.pk}"},
        )
    except stripe.StripeError as exc:
        raise provider_error(exc) from None
    row, _ = StripeCustomer.objects.get_or_create(
        client=client,
        defaults={"organization_id": client.organization_id, "customer_id": customer.id},
    )
    return row


def start_checkout(
    actor: Membership,
    *,
    product: PackageProduct,
    studio: Studio,
    return_url: str,
    cancel_url: str,
) -> tuple[Payment, str]:
    """Open a Stripe Checkout Session; returns the pending payment and the page to send
    the client to. `return_url` / `cancel_url` may hold `{payment}`."""
    require(actor, BUY_ONLINE)
    require_same_organization(actor, product, "package")
    require_same_organization(actor, studio, "studio")
    check_may_buy(actor, product)
    account = online_account_of(actor.organization_id)
    if account is None:
        raise DomainError(
            payment_errors.NOT_ONLINE,
            "This studio does not take payments online yet: buy at the front desk.",
        )
    is_membership = product.kind in RECURRING_KINDS
    if is_membership and (refusal := one_membership.ongoing_membership_refusal(actor)):
        raise refusal  # any membership, not only this product: both would be billed
    now = timezone.now()
    recent = Payment.objects.filter(
        client=actor, method=Payment.Method.CARD_ONLINE, created_at__gte=now - CHECKOUT_WINDOW
    ).count()
    if recent >= CHECKOUT_LIMIT:
        raise DomainError(
            payment_errors.TOO_MANY_CHECKOUTS,
            "You have started several checkouts in the last few minutes. Wait a few "
            "minutes, or finish the one that is open.",
        )
    customer = ensure_customer(account, actor)
    if is_membership:
        one_membership.close_open_membership_checkouts(account, actor)
    with transaction.atomic():
        subscription = None
        if is_membership:
            subscription = Subscription.objects.create(
                organization_id=actor.organization_id,
                studio=studio,
                client=actor,
                product=product,
                amount=product.price,
                currency=product.currency,
                customer_id=customer.customer_id,
                status=Subscription.Status.INCOMPLETE,
            )
        payment = Payment.objects.create(
            organization_id=actor.organization_id,
            studio=studio,
            client=actor,
            product=product,
            subscription=subscription,
            kind=Payment.Kind.MEMBERSHIP if is_membership else Payment.Kind.PACKAGE,
            method=Payment.Method.CARD_ONLINE,
            amount=product.price,
            currency=product.currency,
            created_at=now,
        )
    metadata = {"reformer_payment": str(payment.pk), "reformer_client": str(actor.pk)}
    price_data: dict = {
        "currency": product.currency.lower(),
        "unit_amount": to_minor_units(product.price, product.currency),
        "product_data": {"name": product.name},
    }
    params: dict = {
        "mode": "subscription" if is_membership else "payment",
        "customer": customer.customer_id,
        "client_reference_id": str(payment.pk),
        "line_items": [{"price_data": price_data, "quantity": 1}],
        "metadata": metadata,
        "success_url": return_url.replace("{payment}", str(payment.pk))
        + "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": cancel_url.replace("{payment}", str(payment.pk)),
    }
    if subscription is not None:
        price_data["recurring"] = {"interval": "month"}
        params["subscription_data"] = {
            "metadata": {**metadata, "reformer_subscription": str(subscription.pk)}
        }
    else:
        # The card is kept for late-cancel and no-show fees (shown in the studio's policy).
        params["payment_intent_data"] = {"setup_future_usage": "off_session", "metadata": metadata}
    try:
        session = client_for(account).v1.checkout.sessions.create(
            params=cast(Any, params), options={"idempotency_key": f"checkout-{payment.pk}"}
        )
    except stripe.StripeError as exc:
        grant.mark_unpaid(payment.pk, status=Payment.Status.FAILED, reason=str(exc)[:200])
        raise provider_error(exc) from None
    if not session.url:
        raise DomainError(
            payment_errors.PROVIDER, "Stripe did not return a checkout page. Try again."
        )
    with transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(provider_id=session.id)
        payment.provider_id = session.id
        audit.record(
            actor, audit_codes.PAYMENTS_CHECKOUT_STARTED, payment, product=product, studio=studio
        )
    return payment, session.url


def retrieve_session(account: StripeAccount, session_id: str):
    """The session as Stripe has it now, with its payment and charge (for the receipt)."""
    try:
        return (
            client_for(account)
            .v1.checkout.sessions.retrieve(
                session_id, params={"expand": ["payment_intent.latest_charge"]}
            )
            .to_dict()
        )
    except stripe.StripeError as exc:
        raise provider_error(exc) from None


def confirm_return(actor: Membership, payment: Payment) -> Payment:
    """The client is back from Checkout: if Stripe says paid, grant now (the webhook then
    finds it done); otherwise the page waits for the webhook."""
    require_same_organization(actor, payment, "payment")
    if payment.client_id != actor.pk:
        raise DomainError("not_found", "That payment was not found.")
    account = stripe_account_of(actor.organization_id)
    if payment.status != Payment.Status.PENDING or account is None or not payment.provider_id:
        return payment
    if payment.kind in (Payment.Kind.PACKAGE, Payment.Kind.APPOINTMENT):
        session = retrieve_session(account, payment.provider_id)
        if session.get("payment_status") == "paid":
            apply_completed_session(payment, session)
    payment.refresh_from_db()
    return payment


def abandon_checkout(actor: Membership, payment: Payment) -> Payment:
    """The client came back without paying: close the session so it cannot be paid later,
    and record why (a decline says what the bank said)."""
    require_same_organization(actor, payment, "payment")
    if payment.client_id != actor.pk:
        raise DomainError("not_found", "That payment was not found.")
    account = stripe_account_of(actor.organization_id)
    if payment.status != Payment.Status.PENDING or account is None or not payment.provider_id:
        return payment
    session = retrieve_session(account, payment.provider_id)
    if session.get("payment_status") == "paid":
        apply_completed_session(payment, session)
    else:
        intent = session.get("payment_intent")
        error = (intent or {}).get("last_payment_error") if isinstance(intent, dict) else None
        reason = ABANDONED
        status = Payment.Status.CANCELLED
        if error:
            status = Payment.Status.FAILED
            reason = (
                f"{error.get('message') or 'Your card was declined.'} Nothing was charged and "
                "no package was added. Try a different card, or check the card details "
                "with your bank."
            )
        if session.get("status") == "open":
            try:
                expire_session(account, payment)
            except stripe.StripeError as exc:
                raise provider_error(exc) from None
        grant.mark_unpaid(payment.pk, status=status, reason=reason)
    payment.refresh_from_db()
    return payment


def expire_session(account: StripeAccount, payment: Payment) -> None:
    """Close an open Checkout Session so it can no longer be paid. Keyed per payment:
    expiring is one-way, so a retry after a lost answer gets Stripe's first answer
    instead of "only open sessions can be expired"."""
    assert payment.provider_id  # only sessions we opened
    client_for(account).v1.checkout.sessions.expire(
        payment.provider_id, options={"idempotency_key": f"expire-{payment.pk}"}
    )


def apply_completed_session(payment: Payment, session) -> bool:
    """A Checkout Session for a one-off purchase is paid: grant and keep the card."""
    intent = session.get("payment_intent")
    intent_id, receipt_url, method, card = "", "", "", ""
    if isinstance(intent, dict):
        intent_id = intent.get("id", "")
        method = intent.get("payment_method") or ""
        charge = intent.get("latest_charge")
        if isinstance(charge, dict):
            receipt_url = charge.get("receipt_url") or ""
            details = (charge.get("payment_method_details") or {}).get("card") or {}
            if details:
                card = (
                    f"{str(details.get('brand', 'card')).title()} •••• {details.get('last4', '')}"
                )
    elif isinstance(intent, str):
        intent_id = intent
    if method:
        StripeCustomer.objects.filter(client_id=payment.client_id).update(
            default_payment_method=method, card_label=card
        )
    return grant.mark_paid(payment.pk, payment_intent_id=intent_id, receipt_url=receipt_url)
