"""The staff's side: payments per studio and per client, a payment with its refunds, the
desk's point of sale, memberships (pause, cancel), and the owner's Stripe settings."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reformer.core.errors import AccessError, DomainError
from reformer.core.money import format_money
from reformer.core.parsing import to_id
from reformer.core.permissions import (
    MANAGE_BILLING,
    MANAGE_SUBSCRIPTIONS,
    REFUND_PAYMENTS,
    SELL_AT_DESK,
    VIEW_PAYMENTS,
    has_capability,
)
from reformer.payments import queries
from reformer.payments.actions import accounts, desk, refunds, subscriptions
from reformer.payments.actions.refunds import ONLINE_METHODS as ONLINE
from reformer.web.auth import capability_required, get_or_404
from reformer.web.errors import render_domain_error
from reformer.web.http import MemberRequest
from reformer.web.payments.forms import FeePolicyForm, RefundForm, SaleForm, StripeKeysForm


@require_GET
@capability_required(VIEW_PAYMENTS)
def studio_payments(request: MemberRequest) -> HttpResponse:
    actor = request.membership
    studios = list(queries.studios_for(actor))
    studio_id = request.GET.get("studio", "")
    studio = next((s for s in studios if str(s.pk) == studio_id), None)
    status = request.GET.get("status", "")
    payments = queries.studio_payments(actor, studio=studio, status=status)
    return render(
        request,
        "payments/staff/payments.html",
        {
            "payments": payments[:200],
            "totals": queries.totals(payments),
            "studios": studios,
            "studio": studio,
            "status": status,
            "statuses": payments.model.Status.choices,
            "attention": queries.needing_attention(actor),
            "can_sell": has_capability(actor, SELL_AT_DESK),
        },
    )


@require_http_methods(["GET", "POST"])
@capability_required(VIEW_PAYMENTS)
def payment_detail(request: MemberRequest, pk: int) -> HttpResponse:
    actor = request.membership
    payment = queries.payment_for(actor, pk)
    form = RefundForm(request.POST or None)
    context = {
        "payment": payment,
        "form": form,
        "refund_limit": "Up to "
        + format_money(payment.refundable_amount, payment.currency)
        + (" back to the card through Stripe" if payment.method in ONLINE else ""),
        "can_refund": has_capability(actor, REFUND_PAYMENTS, studio=payment.studio)
        if payment.studio
        else has_capability(actor, REFUND_PAYMENTS),
    }
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "payments/staff/payment.html", context, status=422)
        try:
            refund = refunds.refund_payment(actor, payment, **form.cleaned_data)
        except DomainError as error:
            return render_domain_error(
                request, error, template="payments/staff/payment.html", context=context
            )
        removed = (
            f" {refund.credits_removed} credit{'s' if refund.credits_removed != 1 else ''} "
            "taken back."
            if refund.credits_removed
            else ""
        )
        amount = format_money(refund.amount, payment.currency)
        messages.success(request, f"Refunded {amount}.{removed}")
        return redirect("payments:payment", pk=payment.pk)
    return render(request, "payments/staff/payment.html", context)


@require_GET
@capability_required(VIEW_PAYMENTS)
def client_payments(request: MemberRequest, pk: int) -> HttpResponse:
    actor = request.membership
    client = queries.client_for(actor, pk)
    return render(
        request,
        "payments/staff/client.html",
        {
            "client": client,
            "payments": queries.client_payments(actor, client),
            "plans": queries.subscriptions_of(actor, client),
            "can_manage": has_capability(actor, MANAGE_SUBSCRIPTIONS),
            "can_sell": has_capability(actor, SELL_AT_DESK),
        },
    )


@require_http_methods(["GET", "POST"])
@capability_required(SELL_AT_DESK)
def sell(request: MemberRequest) -> HttpResponse:
    actor = request.membership
    search = request.GET.get("q", "")
    clients = list(queries.desk_clients(actor, search))
    chosen = request.GET.get("client") or request.POST.get("client")
    chosen_id = to_id(chosen)
    if chosen_id is not None and not any(c.pk == chosen_id for c in clients):
        extra = queries.desk_clients(actor, limit=None).filter(pk=chosen_id).first()
        if extra is not None:
            clients.insert(0, extra)
    products = list(queries.products_for_sale(actor))
    studios = list(queries.studios_for(actor).filter(active=True))
    form = SaleForm(
        request.POST or None,
        initial={"client": chosen},
        clients=clients,
        products=products,
        studios=studios,
    )
    context = {"form": form, "search": search, "has_clients": bool(clients)}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "payments/staff/sell.html", context, status=422)
        data = form.cleaned_data
        try:
            payment = desk.sell_at_desk(
                actor,
                client=next(c for c in clients if c.pk == data["client"]),
                product=next(p for p in products if p.pk == data["product"]),
                studio=next(s for s in studios if s.pk == data["studio"]),
                method=data["method"],
                amount=data["amount"],
                note=data["note"],
            )
        except DomainError as error:
            return render_domain_error(
                request, error, template="payments/staff/sell.html", context=context
            )
        messages.success(
            request, f"Sold {data_product_name(payment)}. The package is on the account."
        )
        return redirect("payments:receipt", pk=payment.pk)
    return render(request, "payments/staff/sell.html", context)


def data_product_name(payment) -> str:
    return payment.product.name if payment.product else "the package"


@require_POST
@capability_required(MANAGE_SUBSCRIPTIONS)
def membership_action(request: MemberRequest, pk: int, action: str) -> HttpResponse:
    actor = request.membership
    subscription = queries.subscription_for(actor, pk)
    try:
        if action == "cancel":
            subscriptions.cancel_subscription(actor, subscription)
            messages.success(request, "The membership will end at the end of the paid period.")
        elif action in ("pause", "resume"):
            subscriptions.pause_subscription(actor, subscription, paused=action == "pause")
            messages.success(
                request,
                "Membership paused: no charges until resumed."
                if action == "pause"
                else "Membership resumed.",
            )
    except AccessError:
        raise
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("payments:client", pk=subscription.client_id)


@require_http_methods(["GET", "POST"])
@capability_required(MANAGE_BILLING)
def settings_page(request: MemberRequest) -> HttpResponse:
    actor = request.membership
    account = queries.stripe_account(actor)
    form = StripeKeysForm(request.POST or None, connected=account is not None)
    studios = list(queries.studios_for(actor))
    policies = queries.fee_policies(actor)
    fee_forms = [
        (
            studio,
            FeePolicyForm(
                prefix=f"studio-{studio.pk}",
                initial={
                    "late_cancel_fee": getattr(policies.get(studio.pk), "late_cancel_fee", None),
                    "no_show_fee": getattr(policies.get(studio.pk), "no_show_fee", None),
                },
            ),
        )
        for studio in studios
    ]
    context = {
        "account": account,
        "form": form,
        "fee_forms": fee_forms,
        "keys_title": "Connect Stripe"
        if account is None
        else ("Replace keys" if account.webhooks_ready else "Save the webhook signing secret"),
        "webhook_url": request.build_absolute_uri(
            reverse("payments:stripe_webhook", args=[account.webhook_token])
        )
        if account
        else "",
    }
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "payments/staff/settings.html", context, status=422)
        try:
            saved = accounts.connect_stripe(actor, **form.cleaned_data)
        except DomainError as error:
            return render_domain_error(
                request, error, template="payments/staff/settings.html", context=context
            )
        if saved.webhooks_ready:
            messages.success(request, "Stripe keys saved. Clients can now pay online.")
        else:
            messages.success(
                request,
                "Secret key saved. Next: add the webhook URL shown on this page in Stripe, then "
                "save its signing secret here. Clients cannot pay online until then.",
            )
        return redirect("payments:settings")
    return render(request, "payments/staff/settings.html", context)


@require_POST
@capability_required(MANAGE_BILLING)
def disconnect(request: MemberRequest) -> HttpResponse:
    accounts.disconnect_stripe(request.membership)
    messages.success(request, "Stripe disconnected. Packages are sold at the desk only.")
    return redirect("payments:settings")


@require_POST
@capability_required(MANAGE_BILLING)
def fee_policy(request: MemberRequest, studio_id: int) -> HttpResponse:
    actor = request.membership
    studio = get_or_404(queries.studios_for(actor), studio_id, "studio")
    form = FeePolicyForm(request.POST, prefix=f"studio-{studio.pk}")
    if not form.is_valid():
        messages.error(request, f"{studio.name}: enter fees like 15.00, or leave them empty.")
        return redirect("payments:settings")
    currency = queries.products_for_sale(actor).values_list("currency", flat=True).first() or "USD"
    try:
        accounts.set_fee_policy(actor, studio, currency=currency, **form.cleaned_data)
    except AccessError:
        raise
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Fees for {studio.name} saved.")
    return redirect("payments:settings")
