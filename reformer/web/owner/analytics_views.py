"""The analytics page (PHX-25): a shell with filters, and one htmx request per panel.

Each panel runs under a statement timeout; a panel whose query fails or runs long renders
its own error with a Retry button and the rest of the page works. Clicking a chart (a
revenue point, a heatmap cell) loads the rows behind it into the drill-down area. Every
panel exports as CSV, Excel and PDF; every chart has a table for screen readers.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import DatabaseError, OperationalError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from reformer.analytics import actions as analytics_actions
from reformer.analytics import (
    clients,
    conversion,
    instructors,
    queries,
    revenue,
    table_exports,
    utilisation,
)
from reformer.analytics.insight_filters import filter_options
from reformer.analytics.tables import Table, change, percent
from reformer.core.money import format_money
from reformer.core.permissions import VIEW_METRICS
from reformer.web.auth import capability_required
from reformer.web.http import MemberRequest
from reformer.web.live_render import subscription_query
from reformer.web.owner.analytics_filters import AnalyticsFilters, read_analytics_filters
from reformer.web.owner.views import _timed_out, statement_timeout
from reformer.web.toasts import toast_response

logger = logging.getLogger(__name__)
EXPORTS_PER_MINUTE = 20


@dataclass(frozen=True)
class Panel:
    title: str
    template: str
    build: Callable[[AnalyticsFilters, MemberRequest], dict]
    tables: Callable[[dict], list[Table]]


def _change_text(value: float | None, label: str) -> str:
    if value is None:
        return f"No {label.lower()} to compare"
    sign = "+" if value >= 0 else "\u2212"  # a true minus sign
    return f"{sign}{abs(value) * 100:.1f}% vs {label.lower()}"


def _revenue(filters: AnalyticsFilters, request: MemberRequest) -> dict:
    dimension = request.GET.get("by", "product")
    panel = revenue.revenue_panel(filters.query, dimension)
    comparison = filters.query.comparison
    compare_label = dict(filters.comparisons).get(filters.query.compare, "")
    totals = [
        {
            "currency": currency,
            "value": format_money(amount, currency),
            "change": _change_text(panel.change(currency), compare_label) if comparison else "",
            "previous": format_money(panel.compare_totals.get(currency, 0), currency)
            if panel.compare_totals is not None
            else "",
        }
        for currency, amount in sorted(panel.totals.items())
    ]
    return {
        "panel": panel,
        "totals": totals,
        "dimensions": [
            {
                "key": key,
                "label": label,
                "current": key == panel.dimension,
                "url": filters.url("owner:analytics_panel", "revenue", by=key),
            }
            for key, label in revenue.DIMENSIONS.items()
        ],
        "intervals": [
            {
                "key": key,
                "label": label,
                "current": key == panel.interval,
                "url": filters.url(
                    "owner:analytics_panel", "revenue", by=panel.dimension, interval=key
                ),
            }
            for key, label in filters.intervals
        ],
        "chart": {
            "labels": panel.labels,
            "days": [day.isoformat() for day in panel.buckets],
            "series": [
                {"name": n, "data": [float(v) for v in vs]} for n, vs in panel.series.items()
            ],
            "compare": {
                "name": compare_label,
                "data": [float(v) for v in panel.compare_series],
            }
            if panel.compare_series is not None
            else None,
            "drill": filters.url("owner:analytics_drill", "revenue", by=panel.dimension),
        },
        "table": panel.table(),
    }


def _utilisation(filters: AnalyticsFilters, request: MemberRequest) -> dict:
    heat = utilisation.heatmap(filters.query)
    hours = heat.hours
    return {
        "heat": heat,
        "chart": {
            "hours": [f"{h:02d}:00" for h in hours],
            "weekdays": utilisation.WEEKDAYS,
            "cells": [
                [
                    hours.index(c.hour),
                    c.weekday,
                    round((c.fill or 0) * 100, 1),
                    c.booked,
                    c.capacity,
                    c.classes,
                ]
                for c in heat.cells
            ],
            "drill": filters.url("owner:analytics_drill", "utilisation"),
        },
        "best": [
            f"{utilisation.WEEKDAYS[c.weekday]} {c.hour:02d}:00 ({percent(c.fill)})"
            for c in heat.best
        ],
        "table": heat.table(),
    }


def _retention(filters: AnalyticsFilters, request: MemberRequest) -> dict:
    result = clients.retention(filters.query)
    segments = clients.segments(filters.query)
    return {
        "retention": result,
        "segments": segments,
        "offsets": clients.OFFSETS,
        "rows": [
            {
                "label": f"{c.month:%b %Y}",
                "size": c.size,
                "cells": [
                    {
                        "text": percent(c.share(k)) if c.retained[k] is not None else "—",
                        "level": int((c.share(k) or 0) * 10) if c.retained[k] is not None else None,
                    }
                    for k in clients.OFFSETS
                ],
            }
            for c in result.cohorts
        ],
        "retention_rate": percent(segments.retention_rate),
        "table": result.table(),
        "segments_table": segments.table(),
    }


def _studios(filters: AnalyticsFilters, request: MemberRequest) -> dict:
    q = filters.query
    compare_label = dict(filters.comparisons).get(q.compare, "")
    now = queries.summary(q.scope, q.period)
    before = queries.summary(q.scope, q.comparison) if q.comparison else None
    earlier = {studio.pk: m for studio, m in before.by_studio} if before else {}
    rows: list[dict[str, Any]] = []
    for studio, m in now.by_studio:
        e = earlier.get(studio.pk)
        rows.append(
            {
                "studio": studio,
                "bookings": m.bookings,
                "bookings_change": _change_text(change(m.bookings, e.bookings), compare_label)
                if e and e.bookings
                else "",
                "attendance": percent(m.attendance_rate),
                "utilisation": percent(m.utilisation),
                "utilisation_value": m.utilisation,
                "classes": m.sessions,
            }
        )
    table = Table(
        "Studios side by side",
        ["Studio", "Classes", "Bookings", "Change", "Attendance", "Utilisation"],
        [
            [
                r["studio"].name,
                r["classes"],
                r["bookings"],
                r["bookings_change"],
                r["attendance"],
                r["utilisation"],
            ]
            for r in rows
        ],
    )
    best = max(rows, key=lambda r: r["utilisation_value"] or 0) if rows else None
    return {
        "rows": rows,
        "table": table,
        "best": best,
        "chart": {
            "names": [r["studio"].name for r in rows],
            "bookings": [r["bookings"] for r in rows],
            "utilisation": [round((r["utilisation_value"] or 0) * 100, 1) for r in rows],
        },
    }


def _at_risk(filters: AnalyticsFilters, request: MemberRequest) -> dict:
    people = clients.at_risk(filters.query)
    return {"people": people, "table": clients.at_risk_table(people, filters.query.scope.time_zone)}


def _instructors(filters: AnalyticsFilters, request: MemberRequest) -> dict:
    rows = instructors.performance(filters.query)
    return {
        "rows": rows,
        "chart": {
            "names": [r.member.user.display_name for r in rows],
            "fill": [round((r.fill_rate or 0) * 100, 1) for r in rows],
            "retention": [round((r.retention or 0) * 100, 1) for r in rows],
            "no_show": [round((r.no_show_rate or 0) * 100, 1) for r in rows],
        },
        "table": instructors.performance_table(rows),
    }


def _conversion(filters: AnalyticsFilters, request: MemberRequest) -> dict:
    result = conversion.conversion(filters.query)
    return {
        "result": result,
        "rate": percent(result.rate),
        "chart": {
            "names": [r.product for r in result.rows],
            "rates": [round((r.rate or 0) * 100, 1) for r in result.rows],
        },
        "table": result.table(),
    }


PANELS: dict[str, Panel] = {
    "revenue": Panel("Revenue", "owner/analytics/_revenue.html", _revenue, lambda c: [c["table"]]),
    "utilisation": Panel(
        "Class utilisation",
        "owner/analytics/_utilisation.html",
        _utilisation,
        lambda c: [c["table"]],
    ),
    "retention": Panel(
        "Client retention",
        "owner/analytics/_retention.html",
        _retention,
        lambda c: [c["segments_table"], c["table"]],
    ),
    "studios": Panel(
        "Studios side by side", "owner/analytics/_studios.html", _studios, lambda c: [c["table"]]
    ),
    "at_risk": Panel(
        "Clients at risk", "owner/analytics/_at_risk.html", _at_risk, lambda c: [c["table"]]
    ),
    "instructors": Panel(
        "Instructor performance",
        "owner/analytics/_instructors.html",
        _instructors,
        lambda c: [c["table"]],
    ),
    "conversion": Panel(
        "Intro-offer conversion",
        "owner/analytics/_conversion.html",
        _conversion,
        lambda c: [c["table"]],
    ),
}


def _panel(name: str) -> Panel:
    if name not in PANELS:
        raise Http404("No such panel")
    return PANELS[name]


@require_GET
@capability_required(VIEW_METRICS)
def page(request: MemberRequest) -> HttpResponse:
    filters = read_analytics_filters(request)
    class_types, instructor_options = filter_options(request.membership)
    panels = [
        {
            "name": name,
            "title": panel.title,
            "url": filters.url("owner:analytics_panel", name),
            "exports": [
                {
                    "format": fmt,
                    "label": label,
                    "url": filters.url("owner:analytics_export", name, fmt),
                }
                for fmt, label in (("csv", "CSV"), ("xlsx", "Excel"), ("pdf", "PDF"))
            ],
        }
        for name, panel in PANELS.items()
    ]
    return render(
        request,
        "owner/analytics/page.html",
        {
            "filters": filters,
            "q": filters.query,
            "scope": filters.query.scope,
            "class_types": class_types,
            "instructor_options": instructor_options,
            "panels": panels,
            "live_query": subscription_query(metrics=True),
        },
    )


@require_GET
@capability_required(VIEW_METRICS)
def panel(request: MemberRequest, name: str) -> HttpResponse:
    spec = _panel(name)
    filters = read_analytics_filters(request)
    try:
        with statement_timeout():
            context = spec.build(filters, request)
    except DatabaseError as error:
        logger.exception("analytics panel %s failed", name)
        return render(
            request,
            "owner/analytics/_error.html",
            {
                "name": name,
                "title": spec.title,
                "retry_url": request.get_full_path(),
                "timed_out": isinstance(error, OperationalError) and _timed_out(error),
            },
        )
    context.update({"filters": filters, "q": filters.query, "name": name, "title": spec.title})
    return render(request, spec.template, context)


@require_GET
@capability_required(VIEW_METRICS)
def drill(request: MemberRequest, name: str) -> HttpResponse:
    filters = read_analytics_filters(request)
    try:
        with statement_timeout():
            if name == "revenue":
                day = dt.date.fromisoformat(request.GET.get("day", ""))
                table = revenue.revenue_rows(filters.query, day, request.GET.get("name", ""))
            elif name == "utilisation":
                weekday = int(request.GET.get("weekday", ""))
                hour = int(request.GET.get("hour", ""))
                if not (0 <= weekday <= 6 and 0 <= hour <= 23):
                    raise ValueError
                table = utilisation.slot_classes(filters.query, weekday, hour)
            else:
                raise Http404("No drill-down for that panel")
    except ValueError:
        return render(
            request,
            "owner/analytics/_drill.html",
            {"error": "Pick a point on the chart to see the rows behind it."},
            status=400,
        )
    except DatabaseError:
        logger.exception("analytics drill-down %s failed", name)
        return render(
            request,
            "owner/analytics/_drill.html",
            {
                "error": "Those rows could not be loaded. Please try again.",
                "retry_url": request.get_full_path(),
            },
        )
    return render(request, "owner/analytics/_drill.html", {"table": table})


def _export_allowed(request: MemberRequest) -> bool:
    key = f"owner-export:{request.user.pk}"
    cache.add(key, 0, timeout=60)
    try:
        return cache.incr(key) <= EXPORTS_PER_MINUTE
    except ValueError:
        cache.set(key, 1, timeout=60)
        return True


@require_GET
@capability_required(VIEW_METRICS)
def export(request: MemberRequest, name: str, fmt: str) -> HttpResponse:
    spec = _panel(name)
    if fmt not in table_exports.FORMATS:
        raise Http404("No such format")
    filters = read_analytics_filters(request)
    if filters.period_error:
        return toast_response(filters.period_error, status=400)
    if not _export_allowed(request):
        response = toast_response(
            "Too many exports in a minute. Please wait a moment and try again.", status=429
        )
        response["Retry-After"] = "60"
        return response
    try:
        with statement_timeout():
            context = spec.build(filters, request)
    except DatabaseError:
        logger.exception("analytics export %s failed", name)
        return toast_response(
            "That export took too long. Choose a shorter period and try again.", status=503
        )
    q = filters.query
    analytics_actions.record_panel_export(request.membership, q, panel=name, fmt=fmt)
    body = table_exports.render(fmt, spec.tables(context), filters.heading())
    response = HttpResponse(body, content_type=table_exports.FORMATS[fmt])
    where = f"studio-{q.scope.studio.pk}" if q.scope.studio else "all-studios"
    filename = f"reformer-{name}-{where}-{q.period.start}-{q.period.end}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
