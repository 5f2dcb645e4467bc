"""An organization's Stripe account (owner only) and its studios' fee policies."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import stripe
from django.db import transaction

from reformer.accounts.models import Membership
from reformer.core import audit
from reformer.core.errors import DomainError
from reformer.core.money import quantize
from reformer.core.permissions import MANAGE_BILLING, require
from reformer.integrations.stripe.client import new_client, provider_error
from reformer.payments import audit_codes, secrets
from reformer.payments import errors as payment_errors
from reformer.payments.models import StripeAccount, StudioFeePolicy
from reformer.studios.models import Studio

SECRET_KEY_PATTERN = re.compile(r"(sk|rk)_(test|live)_[A-Za-z0-9]{8,247}")
WEBHOOK_SECRET_PATTERN = re.compile(r"whsec_[A-Za-z0-9+/=]{8,250}")


def stripe_account_of(organization_id: int) -> StripeAccount | None:
    return StripeAccount.objects.filter(organization_id=organization_id).first()


def secret_key_of(account: StripeAccount) -> str:
    try:
        return secrets.decrypt(account.secret_key_encrypted)
    except secrets.KeyUnreadable:
        raise DomainError(
            payment_errors.KEYS_UNREADABLE,
            "The studio's Stripe keys can no longer be read (the server's secret key "
            "changed). The owner needs to enter them again under Payments settings.",
        ) from None


def online_account_of(organization_id: int) -> StripeAccount | None:
    """The account new online sales go through: None until both keys are saved (an account
    whose webhooks cannot be verified would take money it never hears back about)."""
    account = stripe_account_of(organization_id)
    return account if account is not None and account.webhooks_ready else None


def webhook_secret_of(account: StripeAccount) -> str:
    return secrets.decrypt(account.webhook_secret_encrypted)


def client_for(account: StripeAccount) -> stripe.StripeClient:
    return new_client(secret_key_of(account))


def connect_stripe(
    actor: Membership, *, secret_key: str, webhook_secret: str = ""
) -> StripeAccount:
    """Save (or replace) the organization's Stripe keys after Stripe accepts the secret key.

    An empty key keeps the one already saved (rotate one key at a time). A first
    connection may save the secret key alone: the webhook URL to add in Stripe exists only
    once the account does, and its signing secret comes after (online sales wait for it).
    """
    require(actor, MANAGE_BILLING)
    secret_key = (secret_key or "").strip()
    webhook_secret = (webhook_secret or "").strip()
    existing = stripe_account_of(actor.organization_id)
    if not secret_key and existing is not None:  # keep the saved key (step 2: signing secret)
        secret_key = secret_key_of(existing)
    if not SECRET_KEY_PATTERN.fullmatch(secret_key):
        raise DomainError(
            "validation",
            "That does not look like a Stripe secret key: it starts with sk_test_ or sk_live_ "
            "(Stripe Dashboard → Developers → API keys).",
            field="secret_key",
        )
    if webhook_secret and not WEBHOOK_SECRET_PATTERN.fullmatch(webhook_secret):
        raise DomainError(
            "validation",
            "A webhook signing secret starts with whsec_ (Stripe Dashboard → Developers → "
            "Webhooks → your endpoint → Signing secret).",
            field="webhook_secret",
        )
    try:  # Before saving: a key Stripe refuses is never stored.
        remote = new_client(secret_key).v1.accounts.retrieve_current().to_dict()
    except stripe.StripeError as exc:
        error = provider_error(exc)
        error.data["field"] = "secret_key"
        raise error from None
    settings = (remote.get("settings") or {}).get("dashboard") or {}
    mode = StripeAccount.Mode.LIVE if "_live_" in secret_key else StripeAccount.Mode.TEST
    with transaction.atomic():
        account = existing or StripeAccount(organization_id=actor.organization_id)
        account.secret_key_encrypted = secrets.encrypt(secret_key)
        account.secret_key_last4 = secret_key[-4:]
        if webhook_secret:
            account.webhook_secret_encrypted = secrets.encrypt(webhook_secret)
            account.webhook_secret_last4 = webhook_secret[-4:]
        account.mode = mode
        account.account_name = (settings.get("display_name") or "")[:200]
        account.connected_by = actor.user
        account.save()
        audit.record(
            actor,
            audit_codes.PAYMENTS_STRIPE_CONNECTED,
            account,
            mode=mode,
            secret_key_last4=account.secret_key_last4,
            webhook_secret_changed=bool(webhook_secret),
        )
    return account


def disconnect_stripe(actor: Membership) -> None:
    """Forget the keys: online sales stop, desk sales go on, history stays."""
    require(actor, MANAGE_BILLING)
    with transaction.atomic():
        account = stripe_account_of(actor.organization_id)
        if account is None:
            return
        audit.record(actor, audit_codes.PAYMENTS_STRIPE_DISCONNECTED, account, mode=account.mode)
        account.delete()


def _fee(value: Decimal | str | None, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = quantize(value)
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError("validation", "Enter an amount like 15.00.", field=field) from None
    if amount < 0 or amount > Decimal("10000"):
        raise DomainError("validation", "Enter a fee between 0 and 10,000.", field=field)
    return amount or None


def set_fee_policy(
    actor: Membership,
    studio: Studio,
    *,
    late_cancel_fee: Decimal | str | None,
    no_show_fee: Decimal | str | None,
    currency: str = "",
) -> StudioFeePolicy:
    """Opt a studio in (or out) of late-cancel and no-show fees. Empty = no fee."""
    require(actor, MANAGE_BILLING, studio=studio)
    late = _fee(late_cancel_fee, "late_cancel_fee")
    no_show = _fee(no_show_fee, "no_show_fee")
    with transaction.atomic():
        policy, _ = StudioFeePolicy.objects.get_or_create(
            studio=studio, defaults={"organization_id": studio.organization_id}
        )
        policy.late_cancel_fee, policy.no_show_fee = late, no_show
        if currency:
            policy.currency = currency.upper()[:3]
        policy.save()
        audit.record(
            actor,
            audit_codes.PAYMENTS_FEE_POLICY_UPDATED,
            policy,
            studio=studio,
            late_cancel_fee=late,
            no_show_fee=no_show,
        )
    return policy
