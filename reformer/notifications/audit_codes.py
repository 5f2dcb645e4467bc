"""Audit event codes (core.audit.record) and admin alert codes (core.models.AdminAlert)
written by notifications: one constant per code, so a grep for the name finds every writer."""

from __future__ import annotations

# Admin alerts
ALERT_NOTIFICATIONS_DELIVERY_FAILED = "notifications.delivery_failed"
