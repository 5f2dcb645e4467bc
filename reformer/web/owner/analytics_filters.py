"""The analytics page's filters, read from the query string (links and back/forward work)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse

from reformer.analytics.insight_filters import COMPARISONS, AnalyticsQuery, analytics_query
from reformer.analytics.periods import PRESETS, PeriodError, parse_period, preset_period
from reformer.analytics.queries import INTERVALS, metrics_scope
from reformer.core.errors import NotFound
from reformer.core.parsing import to_id
from reformer.core.timezones import local_today
from reformer.web.http import MemberRequest

DEFAULT_RANGE = "last_30_days"


def _id(request: MemberRequest, name: str, what: str) -> int | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    pk = to_id(raw)
    if pk is None:
        raise NotFound(what)
    return pk


@dataclass(frozen=True)
class AnalyticsFilters:
    query: AnalyticsQuery
    period_error: str = ""

    def params(self, **overrides: str | int | None) -> dict[str, str | int]:
        q = self.query
        params: dict[str, str | int | None] = {
            "studio": q.scope.studio.pk if q.scope.studio else None,
            **q.period.as_query(),
            "compare": q.compare if q.compare != "previous" else None,
            "class_type": q.class_type.pk if q.class_type else None,
            "instructor": q.instructor.pk if q.instructor else None,
            "interval": q.interval if q.interval != "day" else None,
        }
        params.update(overrides)
        return {k: v for k, v in params.items() if v is not None and v != ""}

    def url(self, name: str, *args: object, **overrides: str | int | None) -> str:
        query = urlencode(self.params(**overrides))
        base = reverse(name, args=args)
        return f"{base}?{query}" if query else base

    @property
    def presets(self) -> list[tuple[str, str]]:
        return list(PRESETS.items())

    @property
    def comparisons(self) -> list[tuple[str, str]]:
        return list(COMPARISONS.items())

    @property
    def intervals(self) -> list[tuple[str, str]]:
        return list(INTERVALS.items())

    def heading(self) -> list[str]:
        """The first lines of an export: what it covers."""
        q = self.query
        where = q.scope.label
        lines = [
            f"{q.scope.actor.organization.name}: analytics",
            f"{where}, {q.period.start.isoformat()} to {q.period.end.isoformat()} "
            f"({q.scope.time_zone})",
        ]
        if q.class_type:
            lines.append(f"Class type: {q.class_type.name}")
        if q.instructor:
            lines.append(f"Instructor: {q.instructor.user.display_name}")
        return lines


def read_analytics_filters(request: MemberRequest) -> AnalyticsFilters:
    """Authorize and parse. NotFound / PermissionDenied propagate (404 / 403 pages)."""
    studio_id = _id(request, "studio", "studio")
    scope = metrics_scope(request.membership, studio_id=studio_id)
    today = local_today(scope.time_zone)
    params = request.GET.copy()
    params.setdefault("range", DEFAULT_RANGE)
    error = ""
    try:
        period = parse_period(params, today)
    except PeriodError as problem:
        period, error = preset_period(DEFAULT_RANGE, today), str(problem)
    query = analytics_query(
        request.membership,
        period,
        studio_id=studio_id,
        compare=request.GET.get("compare", "previous"),
        class_type_id=_id(request, "class_type", "class type"),
        instructor_id=_id(request, "instructor", "instructor"),
        interval=request.GET.get("interval", "day"),
    )
    return AnalyticsFilters(query, error)
