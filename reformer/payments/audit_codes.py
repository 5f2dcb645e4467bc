"""Staff alert codes (core.alerts.raise_alert) written by payments: one constant per code,
so a grep for the name finds every writer and the web layer every kind it links."""

from __future__ import annotations

RENEWAL_FAILED = "payments.renewal_failed"  # data: client, subscription
FEE_NOT_CHARGED = "payments.fee_not_charged"  # data: payment
