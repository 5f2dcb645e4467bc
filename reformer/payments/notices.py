"""Payment emails, queued in the caller's transaction through the outbox
(notifications.actions.queue_templated_email): receipts, failures, renewals."""

from __future__ import annotations

from django.urls import reverse

from reformer.accounts.models import Membership
from reformer.billing.models import Payment, Subscription
from reformer.core import timeformat
from reformer.core.money import format_money
from reformer.core.timezones import to_local
from reformer.notifications.actions import queue_templated_email
from reformer.notifications.rendering import absolute, studio_context
from reformer.studios.models import Organization

# Roles told about a failed renewal (the studio's side of "tell the client and the studio").
STUDIO_CONTACT_ROLES = ("owner", "manager")


def _when(moment, organization: Organization) -> str:
    """A date as the organization writes it: receipts are often queued by the Stripe event
    job, where no organization is active."""
    local = to_local(moment, organization.time_zone)
    return timeformat.when(local, "day_year", timeformat.locale_of(organization))


def queue_receipt(payment: Payment) -> None:
    organization = payment.client.organization
    queue_templated_email(
        payment.client.user,
        "payment_receipt",
        subject=f"Receipt from {organization.name}: {_item(payment)}",
        context={
            "studio_name": organization.name,
            **studio_context(payment.studio),
            "product_name": _item(payment),
            "amount": format_money(payment.amount, payment.currency),
            "method": payment.get_method_display(),
            "paid_on": _when(payment.paid_at or payment.created_at, organization),
            "receipt_number": receipt_number(payment),
            "receipt_url": payment.receipt_url,
        },
        idempotency_key=f"payment-receipt:{payment.pk}",
        organization=payment.organization_id,
    )


def queue_refund_notice(
    payment: Payment, *, amount, credits_removed: int, refund_id: int, why: str = ""
) -> None:
    organization = payment.client.organization
    queue_templated_email(
        payment.client.user,
        "payment_refunded",
        subject=f"{organization.name} refunded {format_money(amount, payment.currency)}",
        context={
            "amount": format_money(amount, payment.currency),
            "product_name": _item(payment),
            "credits_removed": credits_removed,
            "receipt_number": receipt_number(payment),
            "studio_name": organization.name,
            **studio_context(payment.studio),
            "why": why,
        },
        idempotency_key=f"payment-refunded:{refund_id}",
        organization=payment.organization_id,
    )


def queue_renewal_failed(subscription: Subscription, *, invoice_id: str) -> None:
    organization = subscription.client.organization
    grace = _when(subscription.grace_until, organization)
    context = {
        "client_name": subscription.client.user.name or subscription.client.user.email,
        "product_name": subscription.product.name,
        "membership_name": membership_name(subscription.product.name),
        "amount": format_money(subscription.amount, subscription.currency),
        "grace_until": grace,
        "studio_name": organization.name,
        **studio_context(subscription.studio),
        # The payments page, whose "Update card or cancel" opens Stripe's billing portal
        # (the portal itself is a POST that makes a one-time session).
        "update_card_url": absolute(reverse("payments:history")),
    }
    queue_templated_email(
        subscription.client.user,
        "renewal_failed",
        subject=f"Your {subscription.product.name} payment did not go through",
        context=context,
        idempotency_key=f"renewal-failed:{invoice_id}",
        organization=subscription.organization_id,
    )
    staff = Membership.objects.filter(
        organization_id=subscription.organization_id, role__in=STUDIO_CONTACT_ROLES, active=True
    ).select_related("user")
    for member in staff:
        queue_templated_email(
            member.user,
            "renewal_failed_staff",
            subject=f"Membership payment failed: {context['client_name']}",
            context=context,
            idempotency_key=f"renewal-failed:{invoice_id}:{member.pk}",
            organization=subscription.organization_id,
        )


def queue_fee_charged(payment: Payment, *, reason: str) -> None:
    organization = payment.client.organization
    queue_templated_email(
        payment.client.user,
        "fee_charged",
        subject=f"{organization.name}: {reason} fee of "
        f"{format_money(payment.amount, payment.currency)}",
        context={
            "reason": reason,
            "amount": format_money(payment.amount, payment.currency),
            "studio_name": organization.name,
            **studio_context(payment.studio),
            "receipt_url": payment.receipt_url,
        },
        idempotency_key=f"fee-charged:{payment.pk}",
        organization=payment.organization_id,
    )


def membership_name(product_name: str) -> str:
    """ "your Gold membership", but "your 8 per Month Membership", not "... Membership
    membership"."""
    if "membership" in product_name.lower():
        return product_name
    return f"{product_name} membership"


def _item(payment: Payment) -> str:
    return payment.product.name if payment.product else payment.note or payment.get_kind_display()


def receipt_number(payment: Payment) -> str:
    return f"R-{payment.organization_id:03d}-{payment.pk:06d}"
