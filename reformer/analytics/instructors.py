"""Instructor performance over a period, for classes that have started.

- **Fill rate**: places booked / capacity of their scheduled classes.
- **No-show rate**: no-shows / (attended + no-shows) of their classes.
- **Client retention**: of the clients who attended their classes in the period, the share
  who came to two or more of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.analytics.insight_filters import AnalyticsQuery
from reformer.analytics.tables import Table, percent, ratio
from reformer.analytics.visits import visits_sql


@dataclass
class InstructorRow:
    member: Membership
    classes: int
    booked: int
    capacity: int
    attended: int
    no_shows: int
    clients: int
    returning: int

    @property
    def fill_rate(self) -> float | None:
        return ratio(self.booked, self.capacity)

    @property
    def no_show_rate(self) -> float | None:
        return ratio(self.no_shows, self.attended + self.no_shows)

    @property
    def retention(self) -> float | None:
        return ratio(self.returning, self.clients)


def _filters(q: AnalyticsQuery) -> tuple[str, list[Any]]:
    clauses, params = [], []
    if q.class_type is not None:
        clauses.append("AND s.class_type_id = %s")
        params.append(q.class_type.pk)
    if q.instructor is not None:
        clauses.append("AND s.instructor_id = %s")
        params.append(q.instructor.pk)
    return " ".join(clauses), params


def performance(q: AnalyticsQuery, *, now: dt.datetime | None = None) -> list[InstructorRow]:
    """Three queries: classes per instructor, visits per instructor (the visits rollup,
    `visits.visits_sql`), the instructors."""
    now = now or timezone.now()
    start, end = q.bounds()
    end = min(end, now)
    extra, extra_params = _filters(q)
    base: list[Any] = [q.organization_id, q.scope.studio_ids, start, end]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT s.instructor_id, COUNT(*), SUM(s.booked_count), SUM(s.capacity)
              FROM scheduling_classsession s
             WHERE s.organization_id = %s AND s.studio_id = ANY(%s) AND s.status = 'scheduled'
               AND s.starts_at >= %s AND s.starts_at < %s AND s.instructor_id IS NOT NULL
               {extra}
             GROUP BY 1
            """,
            base + extra_params,
        )
        classes = {row[0]: row[1:] for row in cursor.fetchall()}
        visits, visits_params = visits_sql(
            q.organization_id,
            q.scope.studio_ids,
            [(start, end)],
            ("attended", "no_show"),
            until=end,
            firsts=False,
            class_type_id=q.class_type.pk if q.class_type else None,
            instructor_id=q.instructor.pk if q.instructor else None,
        )
        cursor.execute(
            f"""
            SELECT instructor_id, SUM(attended), SUM(no_shows),
                   COUNT(*) FILTER (WHERE attended > 0), COUNT(*) FILTER (WHERE attended >= 2)
              FROM (
                SELECT instructor_id, client_id, SUM(a0) AS attended, SUM(n0) AS no_shows
                  FROM ({visits}) AS v(studio_id, class_type_id, instructor_id, client_id,
                                       first_booked, first_attended, a0, n0)
                 WHERE instructor_id IS NOT NULL AND (a0 > 0 OR n0 > 0)
                 GROUP BY 1, 2
              ) per_client
             GROUP BY 1
            """,
            visits_params,
        )
        bookings = {row[0]: row[1:] for row in cursor.fetchall()}
    members = Membership.objects.select_related("user").in_bulk(set(classes) | set(bookings))
    rows = []
    for pk, member in members.items():
        n, booked, capacity = classes.get(pk, (0, 0, 0))
        attended, no_shows, clients, returning = bookings.get(pk, (0, 0, 0, 0))
        rows.append(
            InstructorRow(
                member,
                n,
                int(booked or 0),
                int(capacity or 0),
                int(attended or 0),
                int(no_shows or 0),
                clients,
                returning,
            )
        )
    rows.sort(key=lambda r: (-(r.fill_rate or 0), r.member.user.display_name))
    return rows


def performance_table(rows: list[InstructorRow]) -> Table:
    table = Table(
        "Instructor performance",
        [
            "Instructor",
            "Classes",
            "Fill rate",
            "Attended",
            "No-show rate",
            "Clients",
            "Client retention",
        ],
    )
    for row in rows:
        table.rows.append(
            [
                row.member.user.display_name,
                row.classes,
                percent(row.fill_rate),
                row.attended,
                percent(row.no_show_rate),
                row.clients,
                percent(row.retention),
            ]
        )
    return table
