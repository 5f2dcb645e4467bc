"""The client's side: buy a package or membership, come back from Checkout, see the
payment history with receipts, manage the membership (cancel, card via the portal)."""

from __future__ import annotations

import contextlib
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from reformer.billing.models import Payment
from reformer.core.errors import AccessError, DomainError
from reformer.core.permissions import BUY_ONLINE
from reformer.payments import queries
from reformer.payments.actions import checkout, one_membership, subscriptions
from reformer.studios.models import Studio
from reformer.web.auth import capability_required, get_or_404
from reformer.web.http import MemberRequest
from reformer.web.live_render import subscription_query

buyer_required = capability_required(BUY_ONLINE)


def _studio_choice(request: MemberRequest, actor) -> tuple[list[Studio], Studio | None]:
    studios = list(queries.studios_for(actor).filter(active=True))
    chosen = request.POST.get("studio") or request.GET.get("studio") or ""
    if not chosen:
        chosen = str(queries.usual_studio_id(actor) or "")
    match = next((s for s in studios if str(s.pk) == chosen), None)
    return studios, match or (studios[0] if studios else None)


@require_GET
@buyer_required
def shop(request: MemberRequest) -> HttpResponse:
    actor = request.membership
    studios, studio = _studio_choice(request, actor)
    current = one_membership.ongoing_membership(actor)
    online = queries.sells_online(actor)
    products: list[Any] = list(queries.products_for_sale(actor))  # each given .monthly
    for product in products:
        # A monthly subscription only where it is sold as one (checkout: online, a
        # recurring kind); at the desk every product is a package valid for its days.
        product.monthly = online and product.kind in checkout.RECURRING_KINDS
    return render(
        request,
        "payments/shop.html",
        {
            "products": products,
            "online": online,
            # One membership at a time: said once above, and on memberships instead of
            # Subscribe while one is ongoing.
            "current_plan": current,
            "membership_refusal": getattr(
                one_membership.ongoing_membership_refusal(actor, current), "message", ""
            ),
            "studios": studios,
            "studio": studio,
        },
    )


@require_POST
@buyer_required
def buy(request: MemberRequest, product_id: int) -> HttpResponse:
    actor = request.membership
    product = get_or_404(queries.products_for_sale(actor), product_id, "package")
    _studios, studio = _studio_choice(request, actor)
    if studio is None:
        messages.error(request, "This studio has no location to buy at yet.")
        return redirect("payments:shop")
    return_url = request.build_absolute_uri(reverse("payments:checkout_return", args=[0]))
    cancel_url = request.build_absolute_uri(reverse("payments:checkout_cancelled", args=[0]))
    try:
        _, url = checkout.start_checkout(
            actor,
            product=product,
            studio=studio,
            return_url=return_url.replace("/0/", "/{payment}/"),
            cancel_url=cancel_url.replace("/0/", "/{payment}/"),
        )
    except AccessError:
        raise
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("payments:shop")
    return redirect(url)


def _return_context(payment: Payment) -> dict:
    return {
        "payment": payment,
        "live_query": subscription_query(page="payments.return"),
    }


@require_GET
@buyer_required
def checkout_return(request: MemberRequest, pk: int) -> HttpResponse:
    """Back from Checkout: granted already, granted now (Stripe says paid), or "confirming
    your payment" until the webhook's live event swaps in the result."""
    actor = request.membership
    payment = queries.payment_for(actor, pk)
    if payment.client_id != actor.pk:
        return render(request, "404.html", status=404)
    if payment.status == Payment.Status.PENDING:
        with contextlib.suppress(DomainError):  # Stripe unreachable: the webhook still comes
            checkout.confirm_return(actor, payment)
        payment = queries.payment_for(actor, pk)
    template = "payments/_return_status.html" if request.htmx else "payments/return.html"
    return render(request, template, _return_context(payment))


@require_GET
@buyer_required
def checkout_cancelled(request: MemberRequest, pk: int) -> HttpResponse:
    actor = request.membership
    payment = queries.payment_for(actor, pk)
    if payment.client_id != actor.pk:
        return render(request, "404.html", status=404)
    try:
        checkout.abandon_checkout(actor, payment)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("payments:checkout_return", pk=payment.pk)


@require_GET
@buyer_required
def history(request: MemberRequest) -> HttpResponse:
    actor = request.membership
    return render(
        request,
        "payments/history.html",
        {
            "payments": queries.my_payments(actor),
            "plans": queries.subscriptions_of(actor, actor),
            "online": queries.sells_online(actor),
            "live_query": subscription_query(page="payments.history"),
        },
    )


@require_POST
@buyer_required
def portal(request: MemberRequest) -> HttpResponse:
    try:
        url = subscriptions.portal_url(
            request.membership, return_url=request.build_absolute_uri(reverse("payments:history"))
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("payments:history")
    return redirect(url)


@require_POST
@capability_required(BUY_ONLINE)
def cancel_my_membership(request: MemberRequest, pk: int) -> HttpResponse:
    actor = request.membership
    subscription = queries.subscription_for(actor, pk)
    try:
        subscriptions.cancel_subscription(actor, subscription)
    except AccessError:
        raise
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Your membership will end at the end of the period you paid for.")
    return redirect("payments:history")
