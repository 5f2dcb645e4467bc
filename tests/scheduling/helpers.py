"""Helpers for the studio and scheduling tests: a fixed clock, local times, sessions."""

from __future__ import annotations

import datetime as dt

from django.apps import apps

from reformer.core.models import AuditEvent
from reformer.core.timezones import local_to_utc
from reformer.scheduling.models import ClassSession
from tests import factories

# The tests' "now": Wednesday 25 February 2026, 12:00 UTC (07:00 in New York), before the
# spring daylight-saving changes of New York (8 March) and London (29 March).
NOW = dt.datetime(2026, 2, 25, 12, 0, tzinfo=dt.UTC)
NEXT_MONDAY = dt.date(2026, 3, 2)
NEW_YORK = "America/New_York"


def local(day: dt.date, hour: int, minute: int = 0, tz: str = NEW_YORK) -> dt.datetime:
    return local_to_utc(day, dt.time(hour, minute), tz)


def make_session(tenant, *, starts_at: dt.datetime, minutes: int = 50, **fields) -> ClassSession:
    fields.setdefault("room", tenant.room)
    fields.setdefault("class_type", tenant.class_type)
    return factories.ClassSessionFactory(
        starts_at=starts_at, ends_at=starts_at + dt.timedelta(minutes=minutes), **fields
    )


def audit_codes() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("code", flat=True))


def snapshot() -> dict[str, list[dict]]:
    """Every row of every table of the project's apps (tests hold few rows)."""
    labels = {"core", "accounts", "studios", "scheduling", "billing", "bookings", "notifications"}
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label in labels:
            tables[model._meta.label] = list(model.objects.order_by("pk").values())
    return tables
