"""Live payment updates: the checkout return page swaps in the outcome as soon as the
webhook grants (or fails) the payment; other pages get a toast."""

from __future__ import annotations

from reformer.billing.models import Payment
from reformer.web import live_render

live_render.register_toast(
    "payment", "succeeded", "Payment received: your package is ready.", "success"
)


@live_render.register("payment", applies=lambda _, subs: subs.page == "payments.return")
def checkout_outcome(membership, event, subscriptions) -> str:
    if subscriptions.page != "payments.return":
        return ""
    payments = Payment.objects.filter(
        organization_id=membership.organization_id, client=membership, pk__in=event["ids"][:20]
    ).select_related("product", "client_package")
    return "".join(
        live_render.fragment("payments/_return_status.html", {"payment": p, "oob": True})
        for p in payments
    )
