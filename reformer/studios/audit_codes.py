"""Audit event codes (core.audit.record) and admin alert codes (core.models.AdminAlert)
written by studios: one constant per code, so a grep for the name finds every writer."""

from __future__ import annotations

STUDIOS_CLOSURE_ADDED = "studios.closure.added"
STUDIOS_CLOSURE_REMOVED = "studios.closure.removed"
STUDIOS_ORGANIZATION_CREATED = "studios.organization.created"
STUDIOS_ORGANIZATION_UPDATED = "studios.organization.updated"
STUDIOS_POLICY_UPDATED = "studios.policy.updated"
STUDIOS_ROOM_CREATED = "studios.room.created"
STUDIOS_ROOM_LAYOUT_SET = "studios.room.layout_set"
STUDIOS_ROOM_UPDATED = "studios.room.updated"
STUDIOS_SPOT_ADDED = "studios.spot.added"
STUDIOS_SPOT_DEACTIVATED = "studios.spot.deactivated"
STUDIOS_SPOT_UPDATED = "studios.spot.updated"
STUDIOS_STUDIO_CREATED = "studios.studio.created"
STUDIOS_STUDIO_HOURS_SET = "studios.studio.hours_set"
STUDIOS_STUDIO_SPECIAL_HOURS_SET = "studios.studio.special_hours_set"
STUDIOS_STUDIO_UPDATED = "studios.studio.updated"
