"""The fake Stripe's subscriptions: created by a paid subscription Checkout, renewed (paid or
failed) by tests, paused or cancelled at period end through the API or the Customer Portal.
Functions of the `FakeStripe` they act on (fake.py routes to them)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reformer.integrations.stripe.fake import Account, FakeStripe

MONTH_SECONDS = 30 * 24 * 3600


def start(fake: FakeStripe, account: Account, session: dict, intent: dict) -> None:
    """A subscription Checkout paid: the subscription, its created event and first invoice."""
    now = int(time.time())
    subscription = {
        "id": fake.new_id("sub"),
        "object": "subscription",
        "status": "active",
        "customer": session["customer"],
        "metadata": session["subscription_metadata"],
        "cancel_at_period_end": False,
        "pause_collection": None,
        "current_period_start": now,
        "current_period_end": now + MONTH_SECONDS,
        "items": {
            "data": [{"current_period_start": now, "current_period_end": now + MONTH_SECONDS}]
        },
        "default_payment_method": intent["payment_method"],
        "plan_amount": session["amount_total"],
        "currency": session["currency"],
    }
    account.objects[subscription["id"]] = subscription
    session["subscription"] = subscription["id"]
    fake.emit(account, "customer.subscription.created", subscription)
    invoice(fake, account, subscription, intent, paid=True, reason="subscription_create")


def invoice(
    fake: FakeStripe,
    account: Account,
    subscription: dict,
    intent: dict | None,
    *,
    paid: bool,
    reason: str,
) -> dict:
    bill = {
        "id": fake.new_id("in"),
        "object": "invoice",
        "subscription": subscription["id"],
        "customer": subscription["customer"],
        "billing_reason": reason,
        "status": "paid" if paid else "open",
        "amount_paid": subscription["plan_amount"] if paid else 0,
        "amount_due": subscription["plan_amount"],
        "currency": subscription["currency"],
        "payment_intent": intent["id"] if intent else None,
        "hosted_invoice_url": f"{fake.base_url}/invoices/x",
        "period_start": subscription["current_period_start"],
        "period_end": subscription["current_period_end"],
        "lines": {
            "data": [
                {
                    "period": {
                        "start": subscription["current_period_start"],
                        "end": subscription["current_period_end"],
                    }
                }
            ]
        },
        "parent": {
            "subscription_details": {
                "subscription": subscription["id"],
                "metadata": subscription["metadata"],
            }
        },
    }
    account.objects[bill["id"]] = bill
    fake.emit(account, "invoice.paid" if paid else "invoice.payment_failed", bill)
    return bill


def renew(fake: FakeStripe, subscription_id: str, *, succeed: bool = True) -> dict:
    """The next period's invoice: paid (a new period) or failed (past due)."""
    with fake._lock:
        account, subscription = fake.find(subscription_id)
        if succeed:
            subscription["current_period_start"] = subscription["current_period_end"]
            subscription["current_period_end"] += MONTH_SECONDS
            subscription["status"] = "active"
            item = subscription["items"]["data"][0]
            item["current_period_start"] = subscription["current_period_start"]
            item["current_period_end"] = subscription["current_period_end"]
            intent = fake._intent(
                account,
                subscription["plan_amount"],
                subscription["currency"],
                subscription["customer"],
                {},
            )
            fake._charge(account, intent)
        else:
            subscription["status"] = "past_due"
            intent = None
        fake.emit(account, "customer.subscription.updated", subscription)
        return invoice(
            fake, account, subscription, intent, paid=succeed, reason="subscription_cycle"
        )


def portal_cancel(fake: FakeStripe, portal_id: str) -> str:
    """The Customer Portal's cancel: every subscription of the customer ends with its period."""
    with fake._lock:
        account, portal = fake.find(portal_id)
        for obj in account.objects.values():
            if obj.get("object") == "subscription" and obj["customer"] == portal["customer"]:
                obj["cancel_at_period_end"] = True
                fake.emit(account, "customer.subscription.updated", obj)
        return portal["return_url"] or "/"


def update(fake: FakeStripe, account: Account, subscription: dict, params: dict) -> dict:
    if "cancel_at_period_end" in params:
        subscription["cancel_at_period_end"] = params["cancel_at_period_end"] == "true"
    if "pause_collection" in params:
        pause = params["pause_collection"]
        subscription["pause_collection"] = pause if isinstance(pause, dict) and pause else None
        subscription["status"] = "paused" if subscription["pause_collection"] else "active"
    fake.emit(account, "customer.subscription.updated", subscription)
    return subscription
