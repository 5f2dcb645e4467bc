"""CSV exports of the dashboard metrics, produced row by row for a streaming response."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

from reformer.analytics import queries

if TYPE_CHECKING:
    from reformer.analytics.periods import Period
    from reformer.analytics.queries import Metrics, Scope

METRIC_COLUMNS = [
    "bookings",
    "attended",
    "no_shows",
    "attendance_rate_percent",
    "booked_places",
    "capacity",
    "utilisation_percent",
    "classes",
    "revenue",
]


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}"


def _revenue(revenue: dict[str, Decimal] | None) -> str:
    if revenue is None:
        return ""
    if not revenue:
        return "0.00"
    return "; ".join(f"{amount:.2f} {currency}" for currency, amount in revenue.items())


def _metric_cells(metrics: Metrics) -> list[str | int]:
    return [
        metrics.bookings,
        metrics.attended,
        metrics.no_shows,
        _percent(metrics.attendance_rate),
        metrics.booked_places,
        metrics.capacity,
        _percent(metrics.utilisation),
        metrics.sessions,
        _revenue(metrics.revenue),
    ]


def _safe(text: str) -> str:
    """Neutralise spreadsheet formulas in names typed by users (CSV injection)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def summary_csv(scope: Scope, period: Period) -> Iterator[str]:
    """One row per studio, then the total (each with its revenue)."""
    writer = csv.writer(_Echo())
    yield writer.writerow(["period_start", "period_end", "time_zone", "studio", *METRIC_COLUMNS])
    summary = queries.summary(scope, period)
    dates = [period.start.isoformat(), period.end.isoformat()]
    # Each studio's row counts its own local days (queries.summary), so it names its zone.
    for studio, metrics in summary.by_studio:
        yield writer.writerow(
            [*dates, studio.time_zone, _safe(studio.name), *_metric_cells(metrics)]
        )
    if scope.studio is None:
        zones = sorted(scope.zones) or [scope.time_zone]
        total_zone = zones[0] if len(zones) == 1 else "each studio's own"
        yield writer.writerow([*dates, total_zone, scope.label, *_metric_cells(summary.total)])


def daily_csv(scope: Scope, period: Period) -> Iterator[str]:
    """One row per local day of the period."""
    writer = csv.writer(_Echo())
    studio = _safe(scope.label)
    yield writer.writerow(["date", "studio", *METRIC_COLUMNS])
    for row in queries.daily_rows(scope, period):
        yield writer.writerow([row.day.isoformat(), studio, *_metric_cells(row.metrics)])


def filename(scope: Scope, period: Period, kind: str) -> str:
    where = f"studio-{scope.studio.pk}" if scope.studio else "all-studios"
    return f"reformer-{kind}-{where}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
