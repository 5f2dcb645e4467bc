"""Audit event codes (core.audit.record) and admin alert codes (core.models.AdminAlert)
written by billing: one constant per code, so a grep for the name finds every writer."""

from __future__ import annotations

BILLING_PACKAGE_GRANTED = "billing.package.granted"
BILLING_PRODUCT_CREATED = "billing.product.created"
BILLING_PRODUCT_DEACTIVATED = "billing.product.deactivated"
BILLING_PRODUCT_REACTIVATED = "billing.product.reactivated"
BILLING_PRODUCT_UPDATED = "billing.product.updated"
