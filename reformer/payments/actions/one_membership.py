"""One recurring membership at a time: a client with an ongoing one is not sold a second
(both would be billed every month). Ongoing = active, past due or paused, including one
cancelled at period end until it ends: the new one can start from then (simplest correct:
Stripe would otherwise bill both for the rest of the period). A membership checkout still
open (incomplete) is closed at Stripe before a new one opens, so an abandoned tab cannot
be paid on top of the new one; one already paid is waited for instead."""

from __future__ import annotations

import stripe

from reformer.accounts.models import Membership
from reformer.billing.models import Payment, Subscription
from reformer.core.errors import DomainError
from reformer.core.timezones import to_local
from reformer.integrations.stripe.client import provider_error
from reformer.payments import errors as payment_errors
from reformer.payments.models import StripeAccount

ONGOING = (
    Subscription.Status.ACTIVE,
    Subscription.Status.PAST_DUE,
    Subscription.Status.PAUSED,
)


def _day(subscription: Subscription) -> str:
    if subscription.current_period_end is None:
        return "the end of the period you paid for"
    tz = (
        subscription.studio.time_zone
        if subscription.studio
        else subscription.organization.time_zone
    )
    day = to_local(subscription.current_period_end, tz)
    return f"{day:%B} {day.day}, {day.year}"


def ongoing_membership(client: Membership) -> Subscription | None:
    return (
        Subscription.objects.filter(client=client, status__in=ONGOING)
        .select_related("product", "studio", "organization")
        .order_by("-created_at")
        .first()
    )


def ongoing_membership_refusal(
    client: Membership, current: Subscription | None = None
) -> DomainError | None:
    """Why this client may not start another membership now (None: they may)."""
    current = current or ongoing_membership(client)
    if current is None:
        return None
    name = current.product.name
    if current.status == Subscription.Status.PAST_DUE:
        message = (
            f"You already have {name}, and its last payment failed: update your card from "
            "your payments page. To change membership, ask the studio."
        )
    elif current.cancel_at_period_end:
        message = (
            f"You already have {name} until {_day(current)} (cancelled, nothing more is "
            "charged). You can start a new membership once it has ended, or ask the studio "
            "to change it sooner."
        )
    elif current.status == Subscription.Status.PAUSED:
        message = (
            f"You already have {name} (paused). To change membership, ask the studio: one "
            "membership at a time, so you are never billed twice."
        )
    else:
        message = (
            f"You already have {name}, renewing on {_day(current)}. To change membership, "
            "cancel it at period end from your payments page and start the new one after "
            "it ends, or ask the studio."
        )
    return DomainError(payment_errors.ALREADY_SUBSCRIBED, message)


def close_open_membership_checkouts(account: StripeAccount, client: Membership) -> None:
    """Before a new membership checkout: expire the client's earlier ones still open at
    Stripe (left in another tab); refuse if one was paid and is only being confirmed."""
    from reformer.payments.actions import checkout, grant, subscriptions

    pending = Payment.objects.filter(
        client=client,
        kind=Payment.Kind.MEMBERSHIP,
        status=Payment.Status.PENDING,
        subscription__status=Subscription.Status.INCOMPLETE,
    )
    for payment in pending:
        if not payment.provider_id:  # no session was opened (Stripe refused): nothing to pay
            continue
        session = checkout.retrieve_session(account, payment.provider_id)
        if session.get("status") == "complete":
            raise DomainError(
                payment_errors.ALREADY_SUBSCRIBED,
                "Your earlier membership checkout went through and is being confirmed: "
                "see your payments page in a moment.",
            )
        if session.get("status") == "open":
            try:
                checkout.expire_session(account, payment)
            except stripe.StripeError as exc:
                raise provider_error(exc) from None
        grant.mark_unpaid(
            payment.pk,
            status=Payment.Status.CANCELLED,
            reason="Replaced by a newer checkout: nothing was charged.",
        )
        if payment.subscription_id:
            subscriptions.drop_incomplete(payment.subscription_id)
