"""Helpers for the studio and scheduling tests: a fixed clock, local times, audit codes."""

from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.db import connection

from reformer.core.models import AuditEvent
from reformer.core.timezones import local_to_utc

# The tests' "now": Wednesday 25 February 2026, 12:00 UTC (07:00 in New York), before the
# spring daylight-saving changes of New York (8 March) and London (29 March).
NOW = dt.datetime(2026, 2, 25, 12, 0, tzinfo=dt.UTC)
NEXT_MONDAY = dt.date(2026, 3, 2)
NEW_YORK = "America/New_York"


def local(day: dt.date, hour: int, minute: int = 0, tz: str = NEW_YORK) -> dt.datetime:
    return local_to_utc(day, dt.time(hour, minute), tz)


def audit_codes() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("code", flat=True))


PROJECT_APPS = {
    "core",
    "accounts",
    "studios",
    "scheduling",
    "billing",
    "bookings",
    "notifications",
    "appointments",
    "onboarding",
}


def snapshot() -> dict[str, tuple[int, str]]:
    """Per table of the project's apps: (rows, md5 of every row's text), in one query."""
    tables = sorted(
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in PROJECT_APPS
    )
    parts = [
        f"SELECT '{table}', count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
        f" FROM {connection.ops.quote_name(table)} t"
        for table in tables
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return {table: (count, digest) for table, count, digest in cursor.fetchall()}
