"""Memberships billed by Stripe: each paid invoice grants the period's package; a failed
renewal opens a grace period (booking goes on with the current package), after which the
membership is suspended; cancelling ends at period end; staff may pause.

Subscription events are applied by asking Stripe for the subscription as it is now, so
their order does not matter (an invoice before its subscription.created is fine: the ids
in the metadata lead to our rows).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import stripe
from django.db import IntegrityError, transaction
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.billing.models import ClientPackage, Payment, Subscription
from reformer.core import alerts, audit, live
from reformer.core.errors import DomainError
from reformer.core.parsing import to_id
from reformer.core.permissions import (
    BUY_ONLINE,
    MANAGE_SUBSCRIPTIONS,
    has_capability,
    require,
    require_same_organization,
)
from reformer.integrations.stripe.client import from_minor_units, provider_error
from reformer.payments import audit_codes, notices
from reformer.payments import errors as payment_errors
from reformer.payments.actions import grant
from reformer.payments.actions.accounts import client_for, stripe_account_of
from reformer.payments.models import StripeAccount, StripeCustomer

GRACE_PERIOD = dt.timedelta(days=7)

_STATUS_FROM_STRIPE = {
    "incomplete": Subscription.Status.INCOMPLETE,
    "trialing": Subscription.Status.ACTIVE,
    "active": Subscription.Status.ACTIVE,
    "past_due": Subscription.Status.PAST_DUE,
    "unpaid": Subscription.Status.SUSPENDED,
    "paused": Subscription.Status.PAUSED,
    "canceled": Subscription.Status.CANCELLED,
    "incomplete_expired": Subscription.Status.CANCELLED,
}


def _stamp(value: Any) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(int(value), tz=dt.UTC) if value else None


def _period(obj: dict[str, Any]) -> tuple[dt.datetime | None, dt.datetime | None]:
    """A subscription's current period (recent API versions keep it on the items)."""
    items = ((obj.get("items") or {}).get("data")) or [{}]
    start = obj.get("current_period_start") or items[0].get("current_period_start")
    end = obj.get("current_period_end") or items[0].get("current_period_end")
    return _stamp(start), _stamp(end)


def _ours(
    account: StripeAccount, metadata: dict[str, Any], provider_id: str
) -> Subscription | None:
    reference = str((metadata or {}).get("reformer_subscription") or "")
    scoped = Subscription.objects.filter(organization_id=account.organization_id)
    if (subscription_id := to_id(reference)) is not None:
        found = scoped.filter(pk=subscription_id).first()
        if found is not None and found.provider_id in (None, "", provider_id):
            return found
        return None
    return scoped.filter(provider_id=provider_id).first()


def _retrieve(account: StripeAccount, subscription_id: str):
    try:
        return client_for(account).v1.subscriptions.retrieve(subscription_id).to_dict()
    except stripe.StripeError as exc:
        raise provider_error(exc) from None


def sync_subscription(account: StripeAccount, subscription_id: str) -> Subscription | None:
    """Bring our row in line with the subscription as Stripe has it now."""
    remote = _retrieve(account, subscription_id)
    local = _ours(account, remote.get("metadata") or {}, subscription_id)
    if local is None:
        return None
    start, end = _period(remote)
    status = _STATUS_FROM_STRIPE.get(remote.get("status"), local.status)
    if remote.get("pause_collection") and status == Subscription.Status.ACTIVE:
        status = Subscription.Status.PAUSED
    with transaction.atomic():
        local = Subscription.objects.select_for_update().get(pk=local.pk)
        before = local.status
        if local.status == Subscription.Status.SUSPENDED and status == Subscription.Status.PAST_DUE:
            status = local.status  # our grace period already ran out
        local.provider_id = subscription_id
        local.customer_id = remote.get("customer") or local.customer_id
        local.status = status
        local.cancel_at_period_end = bool(remote.get("cancel_at_period_end"))
        local.current_period_start = start or local.current_period_start
        local.current_period_end = end or local.current_period_end
        if status not in (Subscription.Status.PAST_DUE, Subscription.Status.SUSPENDED):
            local.grace_until = None
        local.save()
        if before != status:
            audit.record(
                None, audit_codes.PAYMENTS_SUBSCRIPTION_STATUS, local, before=before, after=status
            )
        _publish(local)
    return local


def _publish(subscription: Subscription) -> None:
    user_id = Membership.objects.filter(pk=subscription.client_id).values_list(
        "user_id", flat=True
    )[0]
    live.publish_after_commit(
        [live.user_channel(user_id)], "subscription", "updated", [subscription.pk]
    )


def _mapping(value: Any) -> dict[str, Any]:
    """A nested JSON object of an event, or {} when the event has something else there."""
    return value if isinstance(value, dict) else {}


def _invoice_subscription(account: StripeAccount, invoice: dict[str, Any]):
    # A signed event is still read defensively: a string or list where an object belongs
    # means "not about our subscription", never a crashed job.
    details = _mapping(_mapping(invoice.get("parent")).get("subscription_details"))
    subscription_id = details.get("subscription") or invoice.get("subscription")
    if not subscription_id or not isinstance(subscription_id, str):
        return None, None, {}
    metadata = _mapping(details.get("metadata"))
    if not metadata:
        metadata = _mapping(_retrieve(account, subscription_id).get("metadata"))
    return _ours(account, metadata, subscription_id), subscription_id, metadata


def apply_invoice_paid(account: StripeAccount, invoice: dict[str, Any]) -> None:
    """A paid invoice starts its period: one package per invoice, however often told."""
    local, subscription_id, metadata = _invoice_subscription(account, invoice)
    if local is None:
        return
    lines = (invoice.get("lines") or {}).get("data") or [{}]
    period = lines[0].get("period") or {}
    start = _stamp(period.get("start") or invoice.get("period_start")) or timezone.now()
    end = _stamp(period.get("end") or invoice.get("period_end"))
    if end is None or end <= start:
        end = start + dt.timedelta(days=local.product.validity_days)
    receipt = invoice.get("hosted_invoice_url") or ""
    first = invoice.get("billing_reason") == "subscription_create"
    reference = str(metadata.get("reformer_payment") or "")
    payment = None
    if first and (payment_id := to_id(reference)) is not None:
        payment = Payment.objects.filter(
            pk=payment_id, organization_id=account.organization_id, subscription=local
        ).first()
    if payment is None:
        payment = _renewal_payment(local, invoice, start)
    grant.mark_paid(
        payment.pk,
        period=(start, end),
        provider_id=invoice["id"],
        receipt_url=receipt,
        payment_intent_id=str(invoice.get("payment_intent") or ""),
        subscription_id=local.pk,
    )
    with transaction.atomic():
        row = Subscription.objects.select_for_update().get(pk=local.pk)
        row.provider_id = subscription_id
        if row.status in (
            Subscription.Status.INCOMPLETE,
            Subscription.Status.PAST_DUE,
        ):
            row.status = Subscription.Status.ACTIVE
            row.grace_until = None
        if row.current_period_end is None or end > row.current_period_end:
            row.current_period_start, row.current_period_end = start, end
        row.save()
        _publish(row)


def _renewal_payment(local: Subscription, invoice: dict[str, Any], start: dt.datetime) -> Payment:
    scoped = Payment.objects.filter(organization_id=local.organization_id, provider="stripe")
    existing = scoped.filter(provider_id=invoice["id"]).first()
    if existing is not None:
        return existing
    currency = (invoice.get("currency") or local.currency).upper()
    try:
        with transaction.atomic():
            return Payment.objects.create(
                organization_id=local.organization_id,
                studio_id=local.studio_id,
                client_id=local.client_id,
                product_id=local.product_id,
                subscription=local,
                kind=Payment.Kind.MEMBERSHIP,
                method=Payment.Method.CARD_SAVED,
                amount=from_minor_units(int(invoice.get("amount_paid") or 0), currency)
                or local.amount,
                currency=currency,
                provider_id=invoice["id"],
                created_at=timezone.now(),
            )
    except IntegrityError:  # a concurrent delivery created it first
        return scoped.get(provider_id=invoice["id"])


def apply_invoice_failed(account: StripeAccount, invoice: dict[str, Any]) -> None:
    """A renewal failed: past due with a grace period; the current package lasts until it
    ends; the client and the studio are told (once per invoice)."""
    local, _subscription_id, _ = _invoice_subscription(account, invoice)
    if local is None or invoice.get("billing_reason") == "subscription_create":
        return
    now = timezone.now()
    with transaction.atomic():
        row = (
            Subscription.objects.select_for_update()
            .select_related("client__user", "client__organization", "product")
            .get(pk=local.pk)
        )
        if row.status in (Subscription.Status.CANCELLED, Subscription.Status.SUSPENDED):
            return
        row.status = Subscription.Status.PAST_DUE
        if row.grace_until is None:
            row.grace_until = now + GRACE_PERIOD
        row.save()
        ClientPackage.objects.filter(
            payment__subscription=row,
            status=ClientPackage.Status.ACTIVE,
            expires_at__gt=now,
            expires_at__lt=row.grace_until,
        ).update(expires_at=row.grace_until)
        audit.record(None, audit_codes.PAYMENTS_SUBSCRIPTION_PAST_DUE, row, invoice=invoice["id"])
        notices.queue_renewal_failed(row, invoice_id=invoice["id"])
        alerts.raise_alert(
            alerts.PAYMENT_RENEWAL_FAILED,
            f"{row.client.user.name or row.client.user.email}: the {row.product.name} "
            "renewal failed; booking stops when the 7-day grace period ends unless the card "
            "is updated.",
            organization_id=row.organization_id,
            studio_id=row.studio_id,
            data={"client": row.client_id, "subscription": row.pk},
        )
        _publish(row)


def drop_incomplete(subscription_id: int) -> None:
    Subscription.objects.filter(pk=subscription_id, status=Subscription.Status.INCOMPLETE).update(
        status=Subscription.Status.CANCELLED
    )


def end_overdue_grace(*, now: dt.datetime | None = None) -> int:
    """Suspend memberships whose grace period ran out: cancel at Stripe, end the package
    so booking stops. Safe to run twice."""
    now = now or timezone.now()
    overdue = list(
        Subscription.objects.filter(status=Subscription.Status.PAST_DUE, grace_until__lte=now)
    )
    for subscription in overdue:
        account = stripe_account_of(subscription.organization_id)
        if account is not None and subscription.provider_id:
            with contextlib.suppress(stripe.InvalidRequestError):  # already cancelled there
                client_for(account).v1.subscriptions.cancel(subscription.provider_id)
        with transaction.atomic():
            row = Subscription.objects.select_for_update().get(pk=subscription.pk)
            if row.status != Subscription.Status.PAST_DUE:
                continue
            row.status = Subscription.Status.SUSPENDED
            row.save(update_fields=["status"])
            ClientPackage.objects.filter(
                payment__subscription=row,
                status=ClientPackage.Status.ACTIVE,
                expires_at__gt=now,
                starts_at__lt=now,
            ).update(expires_at=now)
            audit.record(None, audit_codes.PAYMENTS_SUBSCRIPTION_SUSPENDED, row)
            _publish(row)
    return len(overdue)


def _check_manage(actor: Membership, subscription: Subscription) -> None:
    require_same_organization(actor, subscription, "membership")
    if subscription.client_id == actor.pk and has_capability(actor, BUY_ONLINE):
        return
    require(actor, MANAGE_SUBSCRIPTIONS, studio=subscription.studio)


def cancel_subscription(actor: Membership, subscription: Subscription) -> Subscription:
    """End at the end of the paid period (the client keeps what they paid for)."""
    _check_manage(actor, subscription)
    if subscription.status in (Subscription.Status.CANCELLED, Subscription.Status.SUSPENDED):
        raise DomainError(payment_errors.NOT_ACTIVE, "This membership has already ended.")
    account = stripe_account_of(actor.organization_id)
    if account is None or not subscription.provider_id:
        raise DomainError(
            payment_errors.NOT_ONLINE, "This membership is not billed online; nothing to cancel."
        )
    try:
        client_for(account).v1.subscriptions.update(
            subscription.provider_id, params={"cancel_at_period_end": True}
        )
    except stripe.StripeError as exc:
        raise provider_error(exc) from None
    with transaction.atomic():
        Subscription.objects.filter(pk=subscription.pk).update(cancel_at_period_end=True)
        audit.record(actor, audit_codes.PAYMENTS_SUBSCRIPTION_CANCEL_REQUESTED, subscription)
        _publish(subscription)
    subscription.refresh_from_db()
    return subscription


def pause_subscription(
    actor: Membership, subscription: Subscription, *, paused: bool
) -> Subscription:
    """Staff freeze (or unfreeze) a membership: no invoices while paused."""
    require_same_organization(actor, subscription, "membership")
    require(actor, MANAGE_SUBSCRIPTIONS, studio=subscription.studio)
    allowed = (Subscription.Status.ACTIVE,) if paused else (Subscription.Status.PAUSED,)
    if subscription.status not in allowed:
        raise DomainError(
            payment_errors.NOT_ACTIVE,
            "Only an active membership can be paused." if paused else "It is not paused.",
        )
    account = stripe_account_of(actor.organization_id)
    if account is None or not subscription.provider_id:
        raise DomainError(payment_errors.NOT_ONLINE, "This membership is not billed online.")
    try:
        client_for(account).v1.subscriptions.update(
            subscription.provider_id,
            params={"pause_collection": {"behavior": "void"} if paused else ""},
        )
    except stripe.StripeError as exc:
        raise provider_error(exc) from None
    with transaction.atomic():
        status = Subscription.Status.PAUSED if paused else Subscription.Status.ACTIVE
        Subscription.objects.filter(pk=subscription.pk).update(status=status)
        audit.record(
            actor,
            audit_codes.PAYMENTS_SUBSCRIPTION_PAUSED
            if paused
            else audit_codes.PAYMENTS_SUBSCRIPTION_RESUMED,
            subscription,
        )
        _publish(subscription)
    subscription.refresh_from_db()
    return subscription


def portal_url(actor: Membership, *, return_url: str) -> str:
    """Stripe's Customer Portal for the client: update the card, cancel the membership."""
    require(actor, BUY_ONLINE)
    account = stripe_account_of(actor.organization_id)
    customer = StripeCustomer.objects.filter(client=actor).first()
    if account is None or customer is None:
        raise DomainError(
            payment_errors.NO_CUSTOMER, "You have no card or membership on file with this studio."
        )
    try:
        session = client_for(account).v1.billing_portal.sessions.create(
            params={"customer": customer.customer_id, "return_url": return_url}
        )
    except stripe.StripeError as exc:
        raise provider_error(exc) from None
    return session.url
