"""Utilisation heatmap: places booked / capacity of scheduled classes, by local weekday and
hour of the class's start (in its studio's own time zone), with its drill-down rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from reformer.analytics.insight_filters import AnalyticsQuery
from reformer.analytics.tables import Table, percent, ratio
from reformer.core.timezones import zone

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
# The spec's colour bands: green from 80 %, yellow from 50 %, red below.
BANDS = ((0.8, "high"), (0.5, "medium"), (0.0, "low"))


def band(value: float | None) -> str:
    if value is None:
        return "none"
    return next(name for floor, name in BANDS if value >= floor)


def _where(q: AnalyticsQuery) -> tuple[str, list[Any]]:
    start, end = q.bounds()
    clauses = [
        "s.organization_id = %s",
        "s.studio_id = ANY(%s)",
        "s.status = 'scheduled'",
        "s.starts_at >= %s",
        "s.starts_at < %s",
    ]
    params: list[Any] = [q.organization_id, q.scope.studio_ids, start, end]
    if q.class_type is not None:
        clauses.append("s.class_type_id = %s")
        params.append(q.class_type.pk)
    if q.instructor is not None:
        clauses.append("s.instructor_id = %s")
        params.append(q.instructor.pk)
    return " AND ".join(clauses), params


_LOCAL = "(s.starts_at AT TIME ZONE st.time_zone)"


@dataclass
class Cell:
    weekday: int  # 0 = Monday
    hour: int
    booked: int
    capacity: int
    classes: int

    @property
    def fill(self) -> float | None:
        return ratio(self.booked, self.capacity)

    @property
    def band(self) -> str:
        return band(self.fill)


@dataclass
class Heatmap:
    cells: list[Cell] = field(default_factory=list)

    @property
    def hours(self) -> list[int]:
        if not self.cells:
            return list(range(6, 21))
        return list(range(min(c.hour for c in self.cells), max(c.hour for c in self.cells) + 1))

    def cell(self, weekday: int, hour: int) -> Cell | None:
        return next((c for c in self.cells if c.weekday == weekday and c.hour == hour), None)

    @property
    def grid(self) -> list[tuple[str, list[Cell | None]]]:
        return [(WEEKDAYS[d], [self.cell(d, h) for h in self.hours]) for d in range(7)]

    @property
    def best(self) -> list[Cell]:
        return sorted(self.cells, key=lambda c: (-(c.fill or 0), c.weekday, c.hour))[:3]

    def table(self) -> Table:
        table = Table(
            "Class utilisation by weekday and hour",
            ["Weekday", "Hour", "Classes", "Places booked", "Capacity", "Utilisation"],
        )
        for c in sorted(self.cells, key=lambda c: (c.weekday, c.hour)):
            table.rows.append(
                [
                    WEEKDAYS[c.weekday],
                    f"{c.hour:02d}:00",
                    c.classes,
                    c.booked,
                    c.capacity,
                    percent(c.fill),
                ]
            )
        return table


def heatmap(q: AnalyticsQuery) -> Heatmap:
    """One grouped query over the period's classes."""
    where, params = _where(q)
    sql = f"""
        SELECT EXTRACT(ISODOW FROM {_LOCAL})::int - 1, EXTRACT(HOUR FROM {_LOCAL})::int,
               SUM(s.booked_count), SUM(s.capacity), COUNT(*)
          FROM scheduling_classsession s JOIN studios_studio st ON st.id = s.studio_id
         WHERE {where}
         GROUP BY 1, 2
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return Heatmap([Cell(d, h, int(b), int(c), n) for d, h, b, c, n in rows])


def slot_classes(q: AnalyticsQuery, weekday: int, hour: int, limit: int = 200) -> Table:
    """Drill-down: the classes of one heatmap cell."""
    where, params = _where(q)
    sql = f"""
        SELECT s.starts_at, st.time_zone, st.name, ct.name,
               COALESCE(NULLIF(u.name, ''), split_part(u.email, '@', 1), ''),
               s.booked_count, s.capacity
          FROM scheduling_classsession s
          JOIN studios_studio st ON st.id = s.studio_id
          JOIN scheduling_classtype ct ON ct.id = s.class_type_id
          LEFT JOIN accounts_membership m ON m.id = s.instructor_id
          LEFT JOIN accounts_user u ON u.id = m.user_id
         WHERE {where}
           AND EXTRACT(ISODOW FROM {_LOCAL})::int - 1 = %s
           AND EXTRACT(HOUR FROM {_LOCAL})::int = %s
         ORDER BY s.starts_at, s.id
         LIMIT %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, weekday, hour, limit])
        rows = cursor.fetchall()
    table = Table(
        f"Classes on {WEEKDAYS[weekday]}s at {hour:02d}:00",
        ["Date", "Studio", "Class", "Instructor", "Booked", "Capacity", "Utilisation"],
    )
    for starts_at, tz_name, studio, class_type, instructor, booked, capacity in rows:
        local = starts_at.astimezone(zone(tz_name))
        table.rows.append(
            [
                local.strftime("%Y-%m-%d %H:%M"),
                studio,
                class_type,
                instructor or "Not assigned",
                booked,
                capacity,
                percent(ratio(booked, capacity)),
            ]
        )
    return table
