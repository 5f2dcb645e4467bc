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

from django.db import connection
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.analytics.insight_filters import AnalyticsQuery
from reformer.analytics.rollups import activity_sql
from reformer.analytics.tables import Table, percent, ratio
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
    """Cohorts of the 12 months ending with the period's last month: one query."""
    activity, params = activity_sql(q.organization_id, q.scope.studio_ids)
    last = q.period.end.replace(day=1)
    first = _add_months(last, -(COHORT_MONTHS - 1))
    joins = "\n".join(
        f"LEFT JOIN months m{k} ON m{k}.client_id = f.client_id AND m{k}.booked > 0"
        f" AND m{k}.month = (f.cohort + interval '{k} month')::date"
        for k in OFFSETS
    )
    kept = ", ".join(f"COUNT(m{k}.client_id)" for k in OFFSETS)
    # Equality joins on (client, month), unique after `months`: no DISTINCT needed.
    sql = f"""
        WITH activity AS ({activity}),
        months AS (
            SELECT client_id, month, SUM(booked) AS booked, SUM(attended) AS attended
              FROM activity GROUP BY client_id, month
        ),
        firsts AS (
            SELECT client_id, MIN(month) FILTER (WHERE attended > 0) AS cohort
              FROM months GROUP BY client_id
        )
        SELECT f.cohort, COUNT(*), {kept}
          FROM firsts f
          {joins}
         WHERE f.cohort BETWEEN %s AND %s
         GROUP BY f.cohort ORDER BY f.cohort
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, first, last])
        rows = {row[0]: row for row in cursor.fetchall()}
    this_month = local_today(q.scope.time_zone, now).replace(day=1)
    result = Retention()
    month = first
    while month <= last:
        row = rows.get(month)
        size = row[1] if row else 0
        retained = {}
        for position, k in enumerate(OFFSETS):
            known = _add_months(month, k) <= this_month
            retained[k] = (row[2 + position] if row else 0) if known else None
        if size:
            result.cohorts.append(Cohort(month, size, retained))
        month = _add_months(month, 1)
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


_HOLDING = "('confirmed', 'attended', 'no_show')"


def _month_start_utc(day: dt.date, tz_name: str) -> dt.datetime:
    """A day before the local month of `day` begins: where live bookings take over from
    rolled-up months, with a day of overlap (harmless for "did they ever") so that studios
    in other time zones leave no gap."""
    return local_day_bounds(day.replace(day=1), tz_name)[0] - dt.timedelta(days=1)


def segments(q: AnalyticsQuery) -> Segments:
    """One query: the period's bookings, plus "ever before" answered by the monthly
    rollup (with live bookings for the start of the month), so no history scan."""
    start, end = q.bounds()
    churn_from = end - CHURN_AFTER
    churn_day = (churn_from.astimezone(zone(q.scope.time_zone))).date()
    activity, activity_params = activity_sql(q.organization_id, q.scope.studio_ids)
    scope_sql = "b.organization_id = %s AND s.studio_id = ANY(%s)"
    scope_params = [q.organization_id, q.scope.studio_ids]
    sql = f"""
        WITH activity AS ({activity}),
        period AS (
            SELECT b.client_id, COUNT(*) AS n, bool_or(b.status = 'attended') AS attended
              FROM bookings_booking b JOIN scheduling_classsession s ON s.id = b.session_id
             WHERE {scope_sql} AND b.status IN {_HOLDING}
               AND b.starts_at >= %s AND b.starts_at < %s
             GROUP BY b.client_id
        ),
        visited_before AS (
            SELECT client_id FROM activity WHERE month < %s AND attended > 0
            UNION
            SELECT b.client_id
              FROM bookings_booking b JOIN scheduling_classsession s ON s.id = b.session_id
             WHERE {scope_sql} AND b.status = 'attended'
               AND b.starts_at >= %s AND b.starts_at < %s
        ),
        booked_before_churn AS (
            SELECT client_id FROM activity WHERE month < %s AND booked > 0
            UNION
            SELECT b.client_id
              FROM bookings_booking b JOIN scheduling_classsession s ON s.id = b.session_id
             WHERE {scope_sql} AND b.status IN {_HOLDING}
               AND b.starts_at >= %s AND b.starts_at < %s
        ),
        recent AS (
            SELECT DISTINCT b.client_id
              FROM bookings_booking b JOIN scheduling_classsession s ON s.id = b.session_id
             WHERE {scope_sql} AND b.status IN {_HOLDING}
               AND b.starts_at >= %s AND b.starts_at < %s
        )
        SELECT (SELECT COUNT(*) FROM period),
               (SELECT COUNT(*) FROM period p WHERE p.attended
                   AND p.client_id NOT IN (SELECT client_id FROM visited_before)),
               (SELECT COUNT(*) FROM period WHERE n >= 2),
               (SELECT COUNT(*) FROM booked_before_churn e
                 WHERE e.client_id NOT IN (SELECT client_id FROM recent))
    """
    params = [
        *activity_params,
        *scope_params,
        start,
        end,
        q.period.start.replace(day=1),
        *scope_params,
        _month_start_utc(q.period.start, q.scope.time_zone),
        start,
        churn_day.replace(day=1),
        *scope_params,
        _month_start_utc(churn_day, q.scope.time_zone),
        churn_from,
        *scope_params,
        churn_from,
        end,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        active, new, returning, churned = cursor.fetchone()
    return Segments(active, new, returning, churned)


@dataclass
class AtRiskClient:
    member: Membership
    visits: int
    last_visit: dt.datetime
    days_away: int


def at_risk(q: AnalyticsQuery, *, now: dt.datetime | None = None, limit: int = 100):
    """Regulars who stopped coming, most loyal first: two queries."""
    now = now or timezone.now()
    sql = f"""
        SELECT b.client_id,
               COUNT(*) FILTER (WHERE b.status = 'attended' AND b.starts_at < %s) AS visits,
               MAX(b.starts_at) FILTER (WHERE b.status = 'attended') AS last_visit,
               COUNT(*) FILTER (WHERE b.status = 'confirmed' AND b.starts_at >= %s) AS ahead
          FROM bookings_booking b JOIN scheduling_classsession s ON s.id = b.session_id
         WHERE b.organization_id = %s AND s.studio_id = ANY(%s) AND b.status IN {_HOLDING}
           AND b.starts_at >= %s
         GROUP BY b.client_id
        HAVING COUNT(*) FILTER (WHERE b.status = 'attended' AND b.starts_at < %s) >= %s
           AND MAX(b.starts_at) FILTER (WHERE b.status = 'attended') < %s
           AND COUNT(*) FILTER (WHERE b.status = 'confirmed' AND b.starts_at >= %s) = 0
         ORDER BY visits DESC, last_visit DESC, b.client_id
         LIMIT %s
    """
    params = [
        now,
        now,
        q.organization_id,
        q.scope.studio_ids,
        now - REGULAR_WINDOW,
        now,
        REGULAR_VISITS,
        now - QUIET_FOR,
        now,
        limit,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    members = Membership.objects.select_related("user").in_bulk([row[0] for row in rows])
    return [
        AtRiskClient(members[cid], visits, last, (now - last).days)
        for cid, visits, last, _ in rows
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
