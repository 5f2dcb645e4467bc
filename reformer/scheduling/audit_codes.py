"""Audit event codes (core.audit.record) written by scheduling (alert codes live in
core.alerts): one constant per code, so a grep for the name finds every writer."""

from __future__ import annotations

SCHEDULING_CLASS_TYPE_CREATED = "scheduling.class_type.created"
SCHEDULING_CLASS_TYPE_UPDATED = "scheduling.class_type.updated"
SCHEDULING_CLASS_TYPE_PHOTO_CHANGED = "scheduling.class_type.photo_changed"
SCHEDULING_CLASS_TYPE_PHOTO_REMOVED = "scheduling.class_type.photo_removed"
SCHEDULING_SESSION_CREATED = "scheduling.session.created"
SCHEDULING_SESSION_NOTES_SET = "scheduling.session.notes_set"
SCHEDULING_SESSION_UPDATED = "scheduling.session.updated"
SCHEDULING_TEMPLATE_CREATED = "scheduling.template.created"
SCHEDULING_TEMPLATE_DEACTIVATED = "scheduling.template.deactivated"
SCHEDULING_TEMPLATE_GENERATED = "scheduling.template.generated"
SCHEDULING_TEMPLATE_UPDATED = "scheduling.template.updated"
SCHEDULING_UNAVAILABILITY_ADDED = "scheduling.unavailability.added"
SCHEDULING_UNAVAILABILITY_REMOVED = "scheduling.unavailability.removed"
