"""Audit event codes (core.audit.record) and admin alert codes (core.models.AdminAlert)
written by analytics: one constant per code, so a grep for the name finds every writer."""

from __future__ import annotations

ANALYTICS_METRICS_EXPORTED = "analytics.metrics.exported"
ANALYTICS_PANEL_EXPORTED = "analytics.exported"
