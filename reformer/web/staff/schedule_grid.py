"""The staff schedule as a week grid: days across, time down. A day is split into lanes, one
per room, only where classes in two rooms run at the same time, and only that day; any
other class takes the day's whole width. So a week of two rooms is seven columns, plus one
for each day on which two rooms overlap, and those lanes are as wide as the others.

Built from the `Week` that `setup_queries.week_schedule` reads (no further query but the
studio's rooms). Each class gets its grid cell from its local start and end in the studio's
zone, in 15-minute rows, so a 50-minute class is as tall as it runs (taller when its text
needs it: the rows grow, the same for every day, see staff.css). Overlapping classes in one
room cannot exist (the database refuses them), so lanes never collide. The same DOM, in day
order, is a plain list on phones (staff.css).
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


@dataclass
class GridDay:
    day: dt.date
    is_today: bool
    column_start: int = 0
    column_end: int = 0
    classes: list[GridClass] = field(default_factory=list)
    lane_rooms: list[Room] = field(default_factory=list)  # empty: the day is one lane

    @property
    def lane_headers(self) -> list[tuple[int, Room]]:
        return [(self.column_start + index, room) for index, room in enumerate(self.lane_rooms)]


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
        return sum(day.column_end - day.column_start for day in self.days)


def _minutes(moment: dt.datetime) -> int:
    return moment.hour * 60 + moment.minute


def _overlaps(cell: GridClass, other: GridClass) -> bool:
    return other.row_start < cell.row_end and other.row_end > cell.row_start


def _lay_out_day(grid_day: GridDay, rooms: list[Room], column_start: int) -> int:
    """Give the day its lanes from `column_start`: one per room that has a class running at
    the same time (in the grid's rows) as another room's class, in room order; a class
    that overlaps no other room's class spans the whole day. Returns the next free column."""
    shared = {
        cell.session.room_id
        for cell in grid_day.classes
        for other in grid_day.classes
        if other.session.room_id != cell.session.room_id and _overlaps(cell, other)
    }
    grid_day.lane_rooms = [room for room in rooms if room.pk in shared]
    lane_of = {room.pk: index for index, room in enumerate(grid_day.lane_rooms)}
    grid_day.column_start = column_start
    grid_day.column_end = column_start + max(len(grid_day.lane_rooms), 1)
    for cell in grid_day.classes:
        beside = any(
            other.session.room_id != cell.session.room_id and _overlaps(cell, other)
            for other in grid_day.classes
        )
        if beside:
            cell.column = column_start + lane_of[cell.session.room_id]
            cell.column_end = cell.column + 1
        else:
            cell.column, cell.column_end = grid_day.column_start, grid_day.column_end
    return grid_day.column_end


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
    days = [GridDay(day=day.day, is_today=day.is_today) for day in week.days]
    by_date = {grid_day.day: grid_day for grid_day in days}
    for session, start, end in spans:
        offset = _minutes(start) - first * 60
        length = max(int((end - start).total_seconds() // 60), SLOT_MINUTES)
        row_start = HEADER_ROWS + 1 + offset // SLOT_MINUTES
        row_end = row_start + math.ceil(length / SLOT_MINUTES)
        by_date[start.date()].classes.append(
            GridClass(
                session=session,
                column=0,  # set with the day's lanes
                row_start=row_start,
                row_end=min(row_end, HEADER_ROWS + 1 + (last - first) * 60 // SLOT_MINUTES),
            )
        )
    column = 2  # the first column holds the hours
    for grid_day in days:
        column = _lay_out_day(grid_day, rooms, column)
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
