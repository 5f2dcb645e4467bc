"""The dashboard's filters, read from the query string (so back/forward and links work)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse

from reformer.analytics import queries
from reformer.analytics.periods import PRESETS, Period, PeriodError, parse_period, preset_period
from reformer.core.errors import NotFound
from reformer.core.parsing import to_id
from reformer.core.timezones import local_today
from reformer.web.http import MemberRequest


@dataclass(frozen=True)
class Filters:
    scope: queries.Scope
    period: Period
    interval: str
    period_error: str = ""

    def query(self, **overrides: str | int | None) -> str:
        """The query string of these filters, with some values replaced (None drops one)."""
        params: dict[str, str | int | None] = {}
        if self.scope.studio is not None:
            params["studio"] = self.scope.studio.pk
        params.update(self.period.as_query())
        if self.interval != "day":
            params["interval"] = self.interval
        params.update(overrides)
        return urlencode({k: v for k, v in params.items() if v not in (None, "")})

    def url(self, name: str, **overrides: str | int | None) -> str:
        query = self.query(**overrides)
        return f"{reverse(name)}?{query}" if query else reverse(name)

    @property
    def presets(self) -> list[tuple[str, str]]:
        return list(PRESETS.items())


def _studio_id(request: MemberRequest) -> int | None:
    raw = request.GET.get("studio", "").strip()
    if not raw:
        return None
    if (pk := to_id(raw)) is None:
        raise NotFound("studio")
    return pk


def read_filters(request: MemberRequest) -> Filters:
    """Authorize (NotFound/PermissionDenied propagate) and parse the filters of a request."""
    scope = queries.metrics_scope(request.membership, studio_id=_studio_id(request))
    today = local_today(scope.time_zone)
    try:
        period = parse_period(request.GET, today)
        error = ""
    except PeriodError as problem:
        period, error = preset_period("this_month", today), str(problem)
    interval = request.GET.get("interval", "day")
    if interval not in queries.INTERVALS:
        interval = "day"
    return Filters(scope=scope, period=period, interval=interval, period_error=error)
