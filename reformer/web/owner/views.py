"""The owner dashboard: the page with its metric cards and chart data in the first response,
and the partials it refreshes.

The cards and the chart's figures (the page's largest content) come with the page, each
under its own 10 s statement timeout; a panel whose queries hit it is sent as "Loading
data..." instead, which fetches the panel by htmx a little later, a few times, then offers
a retry button; the rest of the page is not held up. The upcoming schedule (below the
fold) is fetched after load. The cards and the chart re-fetch themselves when a live
booking event arrives (see live.py); the chart itself is drawn by dashboard.js when it is
near the screen and the browser is idle.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import OperationalError
from django.http import (
    HttpResponse,
    HttpResponseBadRequest,
)
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString

from reformer.analytics import actions as analytics_actions
from reformer.analytics import exports, queries
from reformer.core.money import format_money
from reformer.core.parsing import MAX_ID, to_int
from reformer.core.permissions import MANAGE_STAFF, VIEW_METRICS, has_capability
from reformer.core.timezones import local_today
from reformer.web import db_timeout
from reformer.web.auth import capability_required
from reformer.web.http import MemberRequest
from reformer.web.live_render import subscription_query
from reformer.web.owner.changes import (
    change,
    comparison_label,
    revenue_change,
    unattributed_revenue,
)
from reformer.web.owner.filters import Filters, read_filters
from reformer.web.toasts import toast_response

METRICS_TIMEOUT_MS = 10_000
MAX_ATTEMPTS = 3
SCHEDULE_PAGE_SIZE = 10
EXPORTS_PER_MINUTE = 20


def statement_timeout(milliseconds: int = METRICS_TIMEOUT_MS) -> AbstractContextManager[None]:
    return db_timeout.statement_timeout(milliseconds)


_timed_out = db_timeout.timed_out


def _panel_html(
    request: MemberRequest,
    panel_id: str,
    template: str,
    build: Callable[[], dict],
    path: str | None = None,
) -> SafeString:
    """One panel's HTML, its queries under the timeout; on timeout, the "Loading data..."
    retry that fetches the panel from `path` (the panel's own URL; this request's by
    default)."""
    try:
        with statement_timeout():
            return render_to_string(template, build(), request)
    except OperationalError as error:
        if not _timed_out(error):
            raise
    path = path or request.path
    attempt = _attempt(request) + 1
    query = request.GET.copy()
    query["attempt"] = str(attempt)
    retry_query = request.GET.copy()
    retry_query["attempt"] = "0"
    return render_to_string(
        "owner/_loading.html",
        {
            "panel_id": panel_id,
            "retry_url": f"{path}?{query.urlencode()}",
            "manual_retry_url": f"{path}?{retry_query.urlencode()}",
            "gave_up": attempt >= MAX_ATTEMPTS,
        },
        request,
    )


def _attempt(request: MemberRequest) -> int:
    raw = request.GET.get("attempt", "0")
    return min(to_int(raw, minimum=0, maximum=MAX_ID) or 0, MAX_ATTEMPTS)


def _url_or_none(name: str, *args: object) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _percent(value: float | None) -> str:
    return "No data" if value is None else f"{value * 100:.1f}%"


def _revenue_text(revenue: dict | None) -> str:
    if revenue is None:
        return "—"
    if not revenue:
        return format_money(0, "USD")
    return " + ".join(format_money(amount, currency) for currency, amount in revenue.items())


def _cards(
    total: queries.Metrics,
    so_far: queries.Metrics,
    before: queries.Metrics,
    filters: Filters,
    against: str,
) -> list[dict[str, str]]:
    """The four cards: each shows the whole period's figure (`total`), and its change is
    `so_far` (the compared part of the period) against `before`."""
    scope = filters.scope
    if scope.whole_organization:
        revenue_hint = "Taken online and at the desk, less refunds"
    elif len(scope.studios) == 1:
        revenue_hint = "Taken at this studio, online and at the desk, less refunds"
    else:  # a manager's several studios
        revenue_hint = "Taken at your studios, online and at the desk, less refunds"
    return [
        {
            "key": "bookings",
            "label": "Total bookings",
            "value": f"{total.bookings:,}",
            "hint": "Places booked in classes of the period, not cancelled",
            **change(so_far.bookings, before.bookings, against),
        },
        {
            "key": "revenue",
            "label": "Revenue",
            "value": _revenue_text(total.revenue),
            "hint": revenue_hint,
            **revenue_change(so_far.revenue, before.revenue, against),
        },
        {
            "key": "attendance",
            "label": "Attendance rate",
            "value": _percent(total.attendance_rate),
            "hint": f"{total.attended:,} attended, {total.no_shows:,} no-shows",
            **change(so_far.attendance_rate, before.attendance_rate, against, points=True),
        },
        {
            "key": "utilisation",
            "label": "Class utilisation",
            "value": _percent(total.utilisation),
            "hint": f"Classes held so far: {total.booked_places:,} of {total.capacity:,} "
            "places booked",
            **change(so_far.utilisation, before.utilisation, against, points=True),
        },
    ]


def _intro_card(filters: Filters) -> dict[str, str]:
    """Intro conversion: of the clients who took an intro offer in the period, how many went
    on to buy a pack or membership (organization-wide, like revenue)."""
    from reformer.web.frontdoor.queries import intro_conversion

    since, until = filters.period.utc_bounds(filters.scope.time_zone)
    result = intro_conversion(filters.scope.actor.organization_id, since, until)
    return {
        "key": "intro_conversion",
        "label": "Intro conversion",
        "value": _percent(result.rate),
        "hint": f"{result.converted:,} of {result.buyers:,} intro buyers went on to buy a "
        "pack or membership",
    }


def _promotion_card(filters: Filters) -> dict[str, str]:
    """Waitlist promotion in the period (PHX-16): filled places, pass-overs, failed runs."""
    since, until = filters.period.utc_bounds(filters.scope.time_zone)
    counts = queries.promotion_metrics(filters.scope, since, until)
    return {
        "key": "waitlist_promotions",
        "label": "Waitlist promotions",
        "value": f"{counts.promoted:,}",
        "hint": f"{counts.passed_over:,} passed over, {counts.failed:,} failed and retried "
        "(see alerts)",
    }


def _setup_links(request: MemberRequest) -> list[dict[str, str]]:
    membership = request.membership
    candidates = [
        ("Set up your classes", "Add class types and a weekly schedule.", "staff:schedule"),
        ("Add class types", "Name your classes, their length and capacity.", "staff:class_types"),
        ("Set up your studios", "Rooms, spots, opening hours and policies.", "staff:studios"),
        ("Create packages", "Class packs and memberships clients can buy.", "staff:products"),
        ("Invite instructors", "Send your team an invitation by email.", "owner:instructors"),
    ]
    links = []
    for label, text, name in candidates:
        if url := _url_or_none(name):
            links.append({"label": label, "text": text, "url": url})
    if url := _url_or_none("organization_public", membership.organization.slug):
        links.append(
            {
                "label": "Invite clients",
                "text": "Share your public page: clients join and book from there.",
                "url": url,
            }
        )
    return links


def _scope_label(scope: queries.Scope) -> str:
    """The page's subtitle: a manager's several studios are named, not "All studios"."""
    if scope.label == "Your studios":
        return "Your studios: " + ", ".join(studio.name for studio in scope.studios)
    return scope.label


@capability_required(VIEW_METRICS)
def dashboard(request: MemberRequest) -> HttpResponse:
    filters = read_filters(request)
    context = {
        "filters": filters,
        "scope": filters.scope,
        "scope_label": _scope_label(filters.scope),
        "period": filters.period,
        "metrics_panel": _metrics_html(request, filters, reverse("owner:metrics")),
        "chart_panel": _chart_html(request, filters, reverse("owner:chart")),
        "schedule_url": filters.url(
            "owner:schedule",
            range=None,
            page=request.GET.get("page"),
            **{"from": None, "to": None},
        ),
        "export_url": filters.url("owner:export_csv", interval=None),
        "export_daily_url": filters.url("owner:export_csv", interval=None, kind="daily"),
        "instructors_url": reverse("owner:instructors"),
        "may_manage_staff": has_capability(request.membership, MANAGE_STAFF),
        "live_query": subscription_query(metrics=True),
    }
    return render(request, "owner/dashboard.html", context)


def _metrics_html(request: MemberRequest, filters: Filters, path: str | None = None) -> SafeString:
    def build() -> dict:
        summary = queries.summary(filters.scope, filters.period)
        today = local_today(filters.scope.time_zone)
        compared, previous = queries.compared_periods(filters.period, today)
        so_far = (
            summary.total
            if compared == filters.period
            else queries.summary(filters.scope, compared).total
        )
        before = queries.summary(filters.scope, previous).total
        against = comparison_label(filters.period, compared, previous)
        show_comparison = filters.scope.studio is None and len(filters.scope.studios) > 1
        active = queries.has_any_activity(filters.scope)
        return {
            "filters": filters,
            "summary": summary,
            "cards": [
                *_cards(summary.total, so_far, before, filters, against),
                _intro_card(filters),
                _promotion_card(filters),
            ],
            "unattributed_revenue": unattributed_revenue(summary),
            "rows": [
                {
                    "studio": studio,
                    "bookings": f"{m.bookings:,}",
                    "revenue": _revenue_text(m.revenue),
                    "attendance": _percent(m.attendance_rate),
                    "utilisation": _percent(m.utilisation),
                    "url": filters.url("owner:dashboard", studio=studio.pk),
                }
                for studio, m in summary.by_studio
            ],
            "total_bookings": f"{summary.total.bookings:,}",
            "total_revenue": _revenue_text(summary.total.revenue),
            "total_attendance": _percent(summary.total.attendance_rate),
            "total_utilisation": _percent(summary.total.utilisation),
            "show_comparison": show_comparison,
            "total_label": filters.scope.label,
            "onboarding": not active,
            "setup_links": [] if active else _setup_links(request),
            "metrics_url": filters.url("owner:metrics"),
        }

    return _panel_html(request, "metrics-panel", "owner/_metrics.html", build, path)


def _chart_html(request: MemberRequest, filters: Filters, path: str | None = None) -> SafeString:
    def build() -> dict:
        series = queries.period_series(filters.scope, filters.period, filters.interval)
        # Buckets that start after today hold classes still to come: their places are only
        # booked so far, and the chart draws them apart (dashed) so a month's last weeks do
        # not read as a collapse.
        today = local_today(filters.scope.time_zone)
        upcoming_from = next(
            (n for n, day in enumerate(series.days) if day > today), len(series.days)
        )
        toggles = [
            {
                "interval": key,
                "label": label,
                "current": key == filters.interval,
                "url": filters.url("owner:chart", interval=key),
                "page_url": filters.url("owner:dashboard", interval=key),
            }
            for key, label in queries.INTERVALS.items()
        ]
        return {
            "filters": filters,
            "series": series,
            "period": filters.period,
            "toggles": toggles,
            "chart_data": {
                "labels": series.labels,
                "counts": series.counts,
                "interval": series.interval,
                "cap": series.scale_cap,
                "upcoming_from": upcoming_from,
            },
            "has_upcoming": upcoming_from < len(series.days),
            "rows": list(zip(series.labels, series.counts, strict=True)),
            "chart_url": filters.url("owner:chart"),
        }

    return _panel_html(request, "chart-panel", "owner/_chart.html", build, path)


@capability_required(VIEW_METRICS)
def metrics(request: MemberRequest) -> HttpResponse:
    return HttpResponse(_metrics_html(request, read_filters(request)))


@capability_required(VIEW_METRICS)
def chart(request: MemberRequest) -> HttpResponse:
    return HttpResponse(_chart_html(request, read_filters(request)))


@capability_required(VIEW_METRICS)
def schedule(request: MemberRequest) -> HttpResponse:
    filters = read_filters(request)

    def build() -> dict:
        paginator = Paginator(queries.upcoming_sessions(filters.scope), SCHEDULE_PAGE_SIZE)
        page_obj = paginator.get_page(request.GET.get("page"))
        return {"page_obj": page_obj, "sessions": page_obj.object_list, "filters": filters}

    return HttpResponse(_panel_html(request, "schedule-panel", "owner/_schedule.html", build))


def _export_allowed(request: MemberRequest) -> bool:
    key = f"owner-export:{request.user.pk}"
    cache.add(key, 0, timeout=60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=60)
        count = 1
    return count <= EXPORTS_PER_MINUTE


@capability_required(VIEW_METRICS)
def export_csv(request: MemberRequest) -> HttpResponse:
    filters = read_filters(request)
    if filters.period_error:
        return HttpResponseBadRequest(filters.period_error, content_type="text/plain")
    if not _export_allowed(request):
        message = "Too many exports in a minute. Please wait a moment and try again."
        response = toast_response(message, status=429)
        response["Retry-After"] = "60"
        return response
    kind = "daily" if request.GET.get("kind") == "daily" else "summary"
    scope, period = filters.scope, filters.period
    analytics_actions.record_export(request.membership, scope, period, kind=kind)
    rows = (
        exports.daily_csv(scope, period) if kind == "daily" else exports.summary_csv(scope, period)
    )
    # Under ASGI Django buffers a synchronous stream anyway; the export is one row per studio
    # or per day, so build it whole.
    response = HttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{exports.filename(scope, period, kind)}"'
    )
    return response
