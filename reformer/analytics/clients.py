"""Clients over time: retention by first-visit cohort, segments, and who is slipping away.

- A client's **cohort** is the local month of their first attended class (in the scope's
  studios). **Still booking after k months**: they hold a booking (confirmed, attended,
  no-show) for a class in the month k months after their cohort month. A month that has not
  begun yet has no figure.
- **Segments** for a period: *active* clients booked a class in it; *new* attended their
  first class ever in it; *returning* booked two or more classes in it; *churned* had booked
  before but nothing in the 90 days up to the period's end. Retention rate = returning /
  active.
- **At risk**: regulars (4+ classes attended in the last 120 days) whose last visit is 21+
  days ago and who have nothing booked ahead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.analytics.insight_filters import AnalyticsQuery
from reformer.analytics.rollups import activity_sql, firsts_sql
from reformer.analytics.tables import Table, percent, ratio
from reformer.analytics.visits import visits_sql
from reformer.core.timezones import local_day_bounds, local_today, zone

OFFSETS = (1, 2, 3, 6)
COHORT_MONTHS = 12
REGULAR_VISITS = 4
REGULAR_WINDOW = dt.timedelta(days=120)
QUIET_FOR = dt.timedelta(days=21)
CHURN_AFTER = dt.timedelta(days=90)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass
class Cohort:
    month: dt.date
    size: int
    retained: dict[int, int | None]  # offset -> clients still booking (None: not yet known)

    def share(self, offset: int) -> float | None:
        kept = self.retained.get(offset)
        return None if kept is None else ratio(kept, self.size)


@dataclass
class Retention:
    cohorts: list[Cohort] = field(default_factory=list)

    def table(self) -> Table:
        table = Table(
            "Retention by first-visit month",
            [
                "First visit",
                "New clients",
                *[f"After {k} month{'s' if k > 1 else ''}" for k in OFFSETS],
            ],
        )
        for cohort in self.cohorts:
            table.rows.append(
                [
                    f"{cohort.month:%b %Y}",
                    cohort.size,
                    *[
                        percent(cohort.share(k)) if cohort.retained[k] is not None else "N/A"
                        for k in OFFSETS
                    ],
                ]
            )
        return table


def retention(q: AnalyticsQuery, *, now: dt.datetime | None = None) -> Retention:
    """Cohorts of the 12 months ending with the period's last month, in two queries: the
    cohort's clients (from the first-visit rollup), then their later months of activity."""
    last = q.period.end.replace(day=1)
    first = _add_months(last, -(COHORT_MONTHS - 1))
    tz = q.scope.time_zone
    cohorts_end = local_day_bounds(_add_months(last, 1), tz)[0]
    # Attendance is recorded from shortly before a class on: the weeks booked ahead hold
    # no first visit, so the live bookings are read up to a day ahead at most.
    firsts_until = min(cohorts_end, (now or timezone.now()) + dt.timedelta(days=1))
    firsts, params = firsts_sql(q.organization_id, q.scope.studio_ids, firsts_until)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT client_id, date_trunc('month', first_attended AT TIME ZONE %s)::date
              FROM ({firsts}) AS f(client_id, first_booked, first_attended)
             WHERE first_attended >= %s AND first_attended < %s
            """,
            [
                tz,
                *params,
                local_day_bounds(first, tz)[0],
                cohorts_end,
            ],
        )
        cohort_of = dict(cursor.fetchall())
        active: set[tuple[int, dt.date]] = set()
        if cohort_of:
            activity, activity_params = activity_sql(q.organization_id, q.scope.studio_ids)
            cursor.execute(
                f"""
                SELECT DISTINCT client_id, month FROM ({activity}) AS a
                 WHERE client_id = ANY(%s) AND month > %s AND booked > 0
                """,
                [*activity_params, list(cohort_of), first],
            )
            active = set(cursor.fetchall())
    this_month = local_today(tz, now).replace(day=1)
    sizes: dict[dt.date, int] = {}
    kept: dict[tuple[dt.date, int], int] = {}
    for client_id, cohort in cohort_of.items():
        sizes[cohort] = sizes.get(cohort, 0) + 1
        for k in OFFSETS:
            if (client_id, _add_months(cohort, k)) in active:
                kept[cohort, k] = kept.get((cohort, k), 0) + 1
    result = Retention()
    for cohort in sorted(sizes):
        retained = {
            k: kept.get((cohort, k), 0) if _add_months(cohort, k) <= this_month else None
            for k in OFFSETS
        }
        result.cohorts.append(Cohort(cohort, sizes[cohort], retained))
    return result


@dataclass
class Segments:
    active: int = 0
    new: int = 0
    returning: int = 0
    churned: int = 0

    @property
    def retention_rate(self) -> float | None:
        return ratio(self.returning, self.active)

    def table(self) -> Table:
        return Table(
            "Client segments",
            ["Segment", "Clients", "Meaning"],
            [
                ["Active", self.active, "Booked a class in the period"],
                ["New", self.new, "Attended their first class in the period"],
                ["Returning", self.returning, "Booked 2 or more classes in the period"],
                ["Churned", self.churned, "Booked before, but nothing in the last 90 days"],
                ["Retention rate", percent(self.retention_rate), "Returning / active"],
            ],
        )


def segments(q: AnalyticsQuery) -> Segments:
    """One query over the visits rollup (`visits.visits_sql`): the period's bookings (active,
    returning), the 90 days before its end (churned) and each client's first booking and
    first visit (new: first visit ever within the period; such a client booked in it)."""
    start, end = q.bounds()
    churn_from = end - CHURN_AFTER
    visits, params = visits_sql(
        q.organization_id,
        q.scope.studio_ids,
        [(start, end), (churn_from, end)],
        ("booked",),
        until=end,
    )
    sql = f"""
        SELECT COUNT(*) FILTER (WHERE n > 0),
               COUNT(*) FILTER (WHERE first_attended >= %s AND first_attended < %s),
               COUNT(*) FILTER (WHERE n >= 2),
               COUNT(*) FILTER (WHERE first_booked < %s AND recent = 0)
          FROM (
            SELECT client_id, MIN(first_booked) AS first_booked,
                   MIN(first_attended) AS first_attended, SUM(b0) AS n, SUM(b1) AS recent
              FROM ({visits}) AS v(studio_id, class_type_id, instructor_id, client_id,
                                   first_booked, first_attended, b0, b1)
             GROUP BY client_id
          ) AS per_client
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, end, churn_from, *params])
        active, new, returning, churned = cursor.fetchone()
    return Segments(active, new, returning, churned)


@dataclass
class AtRiskClient:
    member: Membership
    visits: int
    last_visit: dt.datetime
    days_away: int


def at_risk(q: AnalyticsQuery, *, now: dt.datetime | None = None, limit: int = 100):
    """Regulars who stopped coming, most loyal first: two queries. The visits rollup finds
    the clients with enough visits and none lately; only for them are the bookings read
    (their last visit, anything booked ahead)."""
    now = now or timezone.now()
    window_start, quiet_from = now - REGULAR_WINDOW, now - QUIET_FOR
    # A visit can be checked in a little before its class starts: up to a day ahead here,
    # and the last visit is checked exactly below.
    soon = now + dt.timedelta(days=1)
    visits, visits_params = visits_sql(
        q.organization_id,
        q.scope.studio_ids,
        [(window_start, now), (quiet_from, soon)],
        ("attended",),
        until=soon,
        firsts=False,
    )
    scope = "b.client_id = r.client_id AND s.studio_id = ANY(%s) AND b.organization_id = %s"
    sql = f"""
        WITH regulars AS (
            SELECT client_id, SUM(a0) AS visits
              FROM ({visits}) AS v(studio_id, class_type_id, instructor_id, client_id,
                                   first_booked, first_attended, a0, a1)
             GROUP BY client_id HAVING SUM(a0) >= %s AND SUM(a1) = 0
        )
        SELECT r.client_id, r.visits, last.visit
          FROM regulars r
          CROSS JOIN LATERAL (
            SELECT MAX(b.starts_at) AS visit
              FROM bookings_booking b JOIN scheduling_classsession s ON s.id = b.session_id
             WHERE {scope} AND b.status = 'attended' AND b.starts_at >= %s
          ) AS last
         WHERE last.visit < %s AND NOT EXISTS (
            SELECT 1 FROM bookings_booking b JOIN scheduling_classsession s ON s.id = b.session_id
             WHERE {scope} AND b.status = 'confirmed' AND b.starts_at >= %s
         )
         ORDER BY r.visits DESC, last.visit DESC, r.client_id
         LIMIT %s
    """
    params: list[Any] = [
        *visits_params,
        REGULAR_VISITS,
        q.scope.studio_ids,
        q.organization_id,
        window_start,
        quiet_from,
        q.scope.studio_ids,
        q.organization_id,
        now,
        limit,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    members = Membership.objects.select_related("user").in_bulk([row[0] for row in rows])
    return [
        AtRiskClient(members[cid], visits, last, (now - last).days)
        for cid, visits, last in rows
        if cid in members
    ]


def at_risk_table(clients: list[AtRiskClient], tz_name: str) -> Table:
    table = Table(
        "Clients at risk",
        ["Client", "Email", "Phone", "Classes in the last 120 days", "Last visit", "Days away"],
    )
    for entry in clients:
        user = entry.member.user
        table.rows.append(
            [
                user.display_name,
                user.email,
                user.phone,
                entry.visits,
                entry.last_visit.astimezone(zone(tz_name)).strftime("%Y-%m-%d"),
                entry.days_away,
            ]
        )
    return table
