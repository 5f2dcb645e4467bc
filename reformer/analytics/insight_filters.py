"""What an analytics view covers: the metrics scope (studios), the period, what it is
compared with, and the class type / instructor filters. Built by `analytics_query`,
which authorizes the actor (NotFound for another organization's ids)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from reformer.accounts.models import Membership
from reformer.analytics.periods import Period
from reformer.analytics.queries import Scope, metrics_scope
from reformer.core.errors import NotFound
from reformer.scheduling.models import ClassType

COMPARISONS = {
    "previous": "Previous period",
    "last_year": "Same period last year",
    "none": "No comparison",
}


@dataclass(frozen=True)
class AnalyticsQuery:
    scope: Scope
    period: Period
    compare: str = "previous"
    class_type: ClassType | None = None
    instructor: Membership | None = None
    interval: str = "day"

    @property
    def organization_id(self) -> int:
        return self.scope.actor.organization_id

    @property
    def comparison(self) -> Period | None:
        return comparison_period(self.period, self.compare)

    def bounds(self, period: Period | None = None) -> tuple[dt.datetime, dt.datetime]:
        return (period or self.period).utc_bounds(self.scope.time_zone)


def _year_earlier(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def comparison_period(period: Period, compare: str) -> Period | None:
    if compare == "previous":
        end = period.start - dt.timedelta(days=1)
        return Period("custom", end - dt.timedelta(days=period.days - 1), end)
    if compare == "last_year":
        return Period("custom", _year_earlier(period.start), _year_earlier(period.end))
    return None


def analytics_query(
    actor: Membership,
    period: Period,
    *,
    studio_id: int | None = None,
    compare: str = "previous",
    class_type_id: int | None = None,
    instructor_id: int | None = None,
    interval: str = "day",
) -> AnalyticsQuery:
    # Another organization's ids are "not found" whoever asks, so they are looked up first.
    class_type = instructor = None
    if class_type_id is not None:
        class_type = ClassType.objects.filter(
            pk=class_type_id, organization_id=actor.organization_id
        ).first()
        if class_type is None:
            raise NotFound("class type")
    if instructor_id is not None:
        instructor = (
            Membership.objects.select_related("user")
            .filter(pk=instructor_id, organization_id=actor.organization_id)
            .exclude(role="client")
            .first()
        )
        if instructor is None:
            raise NotFound("instructor")
    scope = metrics_scope(actor, studio_id=studio_id)
    return AnalyticsQuery(
        scope=scope,
        period=period,
        compare=compare if compare in COMPARISONS else "previous",
        class_type=class_type,
        instructor=instructor,
        interval=interval if interval in ("day", "week", "month") else "day",
    )


def filter_options(actor: Membership) -> tuple[list[ClassType], list[Membership]]:
    """Class types and instructors of the actor's organization, for the filter menus."""
    class_types = list(
        ClassType.objects.filter(organization_id=actor.organization_id).order_by("name", "pk")
    )
    instructors = list(
        Membership.objects.filter(
            organization_id=actor.organization_id, role="instructor", active=True
        )
        .select_related("user")
        .order_by("user__name", "pk")
    )
    return class_types, instructors
