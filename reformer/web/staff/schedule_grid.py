"""The staff schedule as a week grid: days across, time down, one lane per room in each day;
a class no other room's class overlaps takes the day's whole width (names stay legible).

Built from the `Week` that `setup_queries.week_schedule` reads (no further query but the
studio's rooms). Each class gets its grid cell from its local start and end in the studio's
zone, in 15-minute rows, so a 50-minute class is as tall as it runs. Overlapping classes
in one room cannot exist (the database refuses them), so lanes never collide. The same
DOM, in day order, is a plain list on phones (staff.css).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from reformer.core.timezones import to_local
from reformer.scheduling.models import ClassSession
from reformer.studios.models import Room
from reformer.web.staff.setup_queries import Week

SLOT_MINUTES = 15
DEFAULT_HOURS = (7, 20)  # an empty week still shows a working day
HEADER_ROWS = 2  # the day names, then the room names


@dataclass
class GridClass:
    session: ClassSession
    column: int
    row_start: int
    row_end: int
    column_end: int = 0  # exclusive; the whole day when no other room has a class meanwhile

    @property
    def spans_day(self) -> bool:
        return self.column_end - self.column > 1


@dataclass
class GridDay:
    day: dt.date
    is_today: bool
    column_start: int
    column_end: int
    classes: list[GridClass] = field(default_factory=list)


@dataclass
class GridHour:
    label_time: dt.time
    row: int


@dataclass
class WeekGrid:
    rooms: list[Room]
    days: list[GridDay]
    hours: list[GridHour]
    row_count: int

    @property
    def lane_count(self) -> int:
        return len(self.rooms) * len(self.days)

    @property
    def room_headers(self) -> list[tuple[int, Room]]:
        return [
            (day.column_start + index, room)
            for day in self.days
            for index, room in enumerate(self.rooms)
        ]


def _minutes(moment: dt.datetime) -> int:
    return moment.hour * 60 + moment.minute


def _widen_lone_classes(grid_day: GridDay) -> None:
    """A class that no other room's class overlaps (in the grid's rows) takes the whole
    day's width: with two rooms a lane is a fourteenth of the page, too narrow for a class's
    name; only classes that run at the same time share the day, side by side by room."""
    for cell in grid_day.classes:
        alone = not any(
            other is not cell and other.row_start < cell.row_end and other.row_end > cell.row_start
            for other in grid_day.classes
        )
        if alone:
            cell.column, cell.column_end = grid_day.column_start, grid_day.column_end


def week_grid(week: Week, rooms: list[Room]) -> WeekGrid:
    tz_name = week.studio.time_zone
    spans = [
        (session, to_local(session.starts_at, tz_name), to_local(session.ends_at, tz_name))
        for day in week.days
        for session in day.sessions
    ]
    extra = {s.room_id: s.room for s, _, _ in spans if s.room_id not in {r.pk for r in rooms}}
    rooms = rooms + list(extra.values())  # a room archived since keeps its classes visible
    used = {session.room_id for session, _, _ in spans}
    if used:  # a lane for each room that has a class this week; others only take space
        rooms = [room for room in rooms if room.pk in used]
    first = min((_minutes(start) // 60 for _, start, _ in spans), default=DEFAULT_HOURS[0])
    last = (
        max(
            (math.ceil((_minutes(start) + (end - start).total_seconds() / 60) / 60))
            for _, start, end in spans
        )
        if spans
        else DEFAULT_HOURS[1]
    )
    first, last = min(first, DEFAULT_HOURS[0]), max(last, DEFAULT_HOURS[1])
    last = min(last, 24)
    lanes = max(len(rooms), 1)
    lane_of = {room.pk: index for index, room in enumerate(rooms)}
    days = [
        GridDay(
            day=day.day,
            is_today=day.is_today,
            column_start=2 + index * lanes,
            column_end=2 + (index + 1) * lanes,
        )
        for index, day in enumerate(week.days)
    ]
    by_date = {grid_day.day: grid_day for grid_day in days}
    for session, start, end in spans:
        grid_day = by_date[start.date()]
        offset = _minutes(start) - first * 60
        length = max(int((end - start).total_seconds() // 60), SLOT_MINUTES)
        row_start = HEADER_ROWS + 1 + offset // SLOT_MINUTES
        row_end = row_start + math.ceil(length / SLOT_MINUTES)
        column = grid_day.column_start + lane_of.get(session.room_id, 0)
        grid_day.classes.append(
            GridClass(
                session=session,
                column=column,
                row_start=row_start,
                row_end=min(row_end, HEADER_ROWS + 1 + (last - first) * 60 // SLOT_MINUTES),
                column_end=column + 1,
            )
        )
    for grid_day in days:
        _widen_lone_classes(grid_day)
    slots_per_hour = 60 // SLOT_MINUTES
    hours = [
        GridHour(dt.time(hour), HEADER_ROWS + 1 + (hour - first) * slots_per_hour)
        for hour in range(first, last)
    ]
    return WeekGrid(
        rooms=rooms,
        days=days,
        hours=hours,
        row_count=HEADER_ROWS + (last - first) * slots_per_hour,
    )
