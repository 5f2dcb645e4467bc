"""Reads about money, scoped to the actor: what clients may buy, payment histories (the
client's own; staff per client and per studio), memberships, what needs attention."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.billing.models import PackageProduct, Payment, Subscription
from reformer.core.errors import NotFound
from reformer.core.permissions import (
    BUY_ONLINE,
    SELL_AT_DESK,
    VIEW_PAYMENTS,
    has_capability,
    is_client,
    limited_to_own_studios,
    reaches_every_studio,
    require,
    studio_ids_in_scope,
)
from reformer.payments.models import Refund, StripeAccount, StudioFeePolicy
from reformer.studios.models import Studio

HISTORY_LIMIT = 200
STALE_CHECKOUT = dt.timedelta(hours=1)


def products_for_sale(actor: Membership) -> QuerySet[PackageProduct]:
    return PackageProduct.objects.filter(organization_id=actor.organization_id, active=True)


def stripe_account(actor: Membership) -> StripeAccount | None:
    return StripeAccount.objects.filter(organization_id=actor.organization_id).first()


def sells_online(actor: Membership) -> bool:
    """Checkout is offered only once Stripe's webhooks can be verified (both keys saved)."""
    account = stripe_account(actor)
    return account is not None and account.webhooks_ready


def _payments(actor: Membership) -> QuerySet[Payment]:
    return (
        Payment.objects.filter(organization_id=actor.organization_id)
        .select_related("product", "studio", "client__user", "client_package", "recorded_by")
        .prefetch_related(Prefetch("refunds", queryset=Refund.objects.select_related("actor")))
        .order_by("-created_at", "-pk")
    )


def _staff_scope(actor: Membership) -> Q:
    """Payments at the actor's studios (owners: all, including ones without a studio)."""
    if reaches_every_studio(actor):
        return Q()
    return Q(studio_id__in=studio_ids_in_scope(actor))


def my_payments(actor: Membership) -> QuerySet[Payment]:
    """The client's own history. A checkout left open for more than an hour is left out
    (Stripe expires it within a day; nothing was charged)."""
    require(actor, BUY_ONLINE)
    stale = Q(status=Payment.Status.PENDING, created_at__lt=timezone.now() - STALE_CHECKOUT)
    return _payments(actor).filter(client=actor).exclude(stale)[:HISTORY_LIMIT]


def client_payments(actor: Membership, client: Membership) -> QuerySet[Payment]:
    if client.organization_id != actor.organization_id:
        raise NotFound("client")
    require(actor, VIEW_PAYMENTS)
    return _payments(actor).filter(_staff_scope(actor), client=client)[:HISTORY_LIMIT]


def appointment_fees(actor: Membership, client: Membership) -> dict[int, list[Payment]]:
    """The late-cancel and no-show fees of a client's appointment places, by place id, for
    the client's history (staff who see payments, at their studios)."""
    if client.organization_id != actor.organization_id:
        raise NotFound("client")
    require(actor, VIEW_PAYMENTS)
    fees: dict[int, list[Payment]] = {}
    for payment in _payments(actor).filter(
        _staff_scope(actor), client=client, kind=Payment.Kind.FEE, fee_for_place__isnull=False
    )[:HISTORY_LIMIT]:
        assert payment.fee_for_place_id is not None  # filtered above
        fees.setdefault(payment.fee_for_place_id, []).append(payment)
    return fees


def studio_payments(
    actor: Membership, *, studio: Studio | None = None, status: str = ""
) -> QuerySet[Payment]:
    require(actor, VIEW_PAYMENTS, studio=studio)
    payments = _payments(actor).filter(_staff_scope(actor))
    if studio is not None:
        payments = payments.filter(studio=studio)
    if status in Payment.Status.values:
        payments = payments.filter(status=status)
    return payments


def totals(payments: QuerySet[Payment]) -> dict[str, object]:
    """Paid and refunded sums per currency of a payments list."""
    rows = (
        payments.model.objects.filter(pk__in=payments.values("pk"))
        .filter(status__in=[Payment.Status.SUCCEEDED, Payment.Status.REFUNDED])
        .values("currency")
        .annotate(paid=Sum("amount"), refunded=Sum("amount_refunded"))
        .order_by("currency")
    )
    return {row["currency"]: (row["paid"], row["refunded"]) for row in rows}


def payment_for(actor: Membership, pk: int) -> Payment:
    """A payment the actor may see: their own (client) or one at their studios (staff)."""
    try:
        payment = _payments(actor).filter(pk=pk).first()
    except (TypeError, ValueError):
        payment = None
    if payment is None or (payment.client_id != actor.pk and is_client(actor)):
        raise NotFound("payment")
    if payment.client_id != actor.pk:
        require(actor, VIEW_PAYMENTS, studio=payment.studio)
    return payment


def subscriptions_of(actor: Membership, client: Membership) -> QuerySet[Subscription]:
    if client.organization_id != actor.organization_id:
        raise NotFound("client")
    if client.pk != actor.pk:
        require(actor, VIEW_PAYMENTS)
    return (
        Subscription.objects.filter(client=client)
        .exclude(status=Subscription.Status.INCOMPLETE)
        .select_related("product", "studio")
        .order_by("-created_at")
    )


def subscription_for(actor: Membership, pk: int) -> Subscription:
    found = (
        Subscription.objects.filter(organization_id=actor.organization_id, pk=pk)
        .select_related("studio", "product", "client__user")
        .first()
    )
    if found is None or (found.client_id != actor.pk and not has_capability(actor, VIEW_PAYMENTS)):
        raise NotFound("membership")
    return found


def needing_attention(actor: Membership) -> dict[str, list]:
    """Failed renewals and fees that could not be charged, at the actor's studios."""
    require(actor, VIEW_PAYMENTS)
    scope = _staff_scope(actor)
    past_due = list(
        Subscription.objects.filter(
            scope,
            organization_id=actor.organization_id,
            status__in=[Subscription.Status.PAST_DUE, Subscription.Status.SUSPENDED],
        ).select_related("client__user", "product")[:50]
    )
    failed_fees = list(
        _payments(actor).filter(scope, kind=Payment.Kind.FEE, status=Payment.Status.FAILED)[:50]
    )
    return {"past_due": past_due, "failed_fees": failed_fees}


def desk_clients(
    actor: Membership, query: str = "", *, limit: int | None = 50
) -> QuerySet[Membership]:
    require(actor, SELL_AT_DESK)
    clients = Membership.objects.filter(
        organization_id=actor.organization_id, role="client", active=True
    ).select_related("user")
    query = query.strip()
    if query:
        clients = clients.filter(Q(user__name__icontains=query) | Q(user__email__icontains=query))
    clients = clients.order_by("user__name", "user__email")
    return clients[:limit] if limit else clients


def client_for(actor: Membership, pk: int) -> Membership:
    try:
        found = (
            Membership.objects.filter(organization_id=actor.organization_id, role="client", pk=pk)
            .select_related("user")
            .first()
        )
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise NotFound("client")
    require(actor, VIEW_PAYMENTS)
    return found


def studios_for(actor: Membership) -> QuerySet[Studio]:
    studios = Studio.objects.filter(organization_id=actor.organization_id).order_by("name")
    if limited_to_own_studios(actor):
        studios = studios.filter(pk__in=studio_ids_in_scope(actor))
    return studios


def usual_studio_id(actor: Membership) -> int | None:
    """Where the client last booked or paid: the shop's default studio for them."""
    from reformer.bookings.models import Booking

    booked = (
        Booking.objects.filter(client=actor)
        .order_by("-created_at")
        .values("session__studio_id")[:1]
    )
    for row in booked:
        return row["session__studio_id"]
    paid = Payment.objects.filter(client=actor, studio__isnull=False).order_by("-created_at")
    return paid.values_list("studio_id", flat=True).first()


def fee_policies(actor: Membership) -> dict[int, StudioFeePolicy]:
    return {
        policy.studio_id: policy
        for policy in StudioFeePolicy.objects.filter(organization_id=actor.organization_id)
    }
