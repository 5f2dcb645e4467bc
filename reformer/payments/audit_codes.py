"""Audit event codes (core.audit.record; alert codes live in core.alerts) written by
payments: one constant per code, so a grep for the name finds every writer."""

from __future__ import annotations

PAYMENTS_CHECKOUT_STARTED = "payments.checkout.started"
PAYMENTS_DESK_SOLD = "payments.desk.sold"
PAYMENTS_FEE_CHARGED = "payments.fee.charged"
PAYMENTS_FEE_FAILED = "payments.fee.failed"
PAYMENTS_FEE_POLICY_UPDATED = "payments.fee_policy.updated"
PAYMENTS_GRANT_REFUSED = "payments.payment.grant_refused"
PAYMENTS_PAYMENT_REFUNDED = "payments.payment.refunded"
PAYMENTS_PAYMENT_SUCCEEDED = "payments.payment.succeeded"
PAYMENTS_STRIPE_CONNECTED = "payments.stripe.connected"
PAYMENTS_STRIPE_DISCONNECTED = "payments.stripe.disconnected"
PAYMENTS_SUBSCRIPTION_CANCEL_REQUESTED = "payments.subscription.cancel_requested"
PAYMENTS_SUBSCRIPTION_PAST_DUE = "payments.subscription.past_due"
PAYMENTS_SUBSCRIPTION_PAUSED = "payments.subscription.paused"
PAYMENTS_SUBSCRIPTION_RESUMED = "payments.subscription.resumed"
PAYMENTS_SUBSCRIPTION_STATUS = "payments.subscription.status"
PAYMENTS_SUBSCRIPTION_SUSPENDED = "payments.subscription.suspended"
