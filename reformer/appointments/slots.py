"""Open appointment slots: instructor hours minus time off, closures and everything the
instructor or the equipment is already taken for (classes and appointments alike).

Reads only, in a fixed number of queries whatever the span (8): the instructors who teach
the type here, their weekly hours, their dated exceptions, their time off, the studio's
closures, the instructors' occupancy, the matching equipment and its occupancy. The rest
is interval arithmetic in Python, in the studio's local time (hours are local; 09:00 stays
09:00 across daylight saving).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Func, Q
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.appointments.models import AppointmentType, HoursException, Occupancy, WeeklyHours
from reformer.core.permissions import STAFF_ROLES
from reformer.core.timezones import local_to_utc, local_today
from reformer.scheduling.models import InstructorUnavailability
from reformer.studios.models import Closure, Spot, Studio, StudioPolicy

SLOT_STEP_MINUTES = 30  # offered start times: on the hour and the half hour
MIN_NOTICE = dt.timedelta(hours=1)  # the instructor needs at least this much warning
MAX_DAYS = 31

Interval = tuple[dt.datetime, dt.datetime]


class _Lower(Func):
    function = "LOWER"
    output_field = models.DateTimeField()


class _Upper(Func):
    function = "UPPER"
    output_field = models.DateTimeField()


@dataclass(frozen=True)
class Slot:
    starts_at: dt.datetime
    ends_at: dt.datetime
    instructor_id: int
    spot_ids: tuple[int, ...]  # free equipment, in the order they would be given


@dataclass
class SlotSearch:
    """Everything the search read, so a booking can explain why a time is not open."""

    appointment_type: AppointmentType
    studio: Studio
    instructors: dict[int, Membership]
    slots: list[Slot] = field(default_factory=list)
    hours: dict[int, list[Interval]] = field(default_factory=dict)  # instructor -> worked
    busy: dict[int, list[Interval]] = field(default_factory=dict)  # instructor -> taken

    def by_start(self) -> list[tuple[dt.datetime, list[Slot]]]:
        grouped: dict[dt.datetime, list[Slot]] = defaultdict(list)
        for slot in self.slots:
            grouped[slot.starts_at].append(slot)
        return sorted(grouped.items())


def booking_horizon_days(studio: Studio) -> int:
    policy = StudioPolicy.objects.filter(studio=studio).only("booking_window_days").first()
    return policy.booking_window_days if policy else StudioPolicy().booking_window_days


def teaching_instructors(
    appointment_type: AppointmentType, studio: Studio, instructor_id: int | None = None
) -> dict[int, Membership]:
    """Active staff who teach this type and reach this studio (owners reach every one)."""
    members = (
        appointment_type.instructors.filter(
            active=True, organization_id=studio.organization_id, role__in=STAFF_ROLES
        )
        .filter(Q(role="owner") | Q(studios=studio))
        .select_related("user")
        .distinct()
    )
    if instructor_id is not None:
        members = members.filter(pk=instructor_id)
    return {m.pk: m for m in members}


def search(
    appointment_type: AppointmentType,
    studio: Studio,
    *,
    first_day: dt.date | None = None,
    days: int = 7,
    instructor_id: int | None = None,
    now: dt.datetime | None = None,
) -> SlotSearch:
    """Open slots of `days` local days from `first_day` (today), bounded by the booking
    window. Pure read."""
    now = now or timezone.now()
    tz = studio.time_zone
    today = local_today(tz, now)
    first_day = max(first_day or today, today)
    days = max(1, min(days, MAX_DAYS))
    last_allowed = today + dt.timedelta(days=booking_horizon_days(studio))
    day_list = [
        first_day + dt.timedelta(days=i)
        for i in range(days)
        if first_day + dt.timedelta(days=i) <= last_allowed
    ]
    result = SlotSearch(
        appointment_type,
        studio,
        teaching_instructors(appointment_type, studio, instructor_id),
    )
    if not day_list or not result.instructors:
        return result
    ids = list(result.instructors)
    span_start = local_to_utc(day_list[0], dt.time(0), tz)
    span_end = local_to_utc(day_list[-1] + dt.timedelta(days=1), dt.time(0), tz)

    weekly: dict[tuple[int, int], list[tuple[dt.time, dt.time]]] = defaultdict(list)
    for hours in WeeklyHours.objects.filter(instructor_id__in=ids, studio=studio):
        weekly[(hours.instructor_id, hours.weekday)].append((hours.starts, hours.ends))
    extra: dict[tuple[int, dt.date], list[Interval]] = defaultdict(list)
    blocked: dict[int, list[Interval]] = defaultdict(list)
    for change in HoursException.objects.filter(
        instructor_id__in=ids, date__gte=day_list[0], date__lte=day_list[-1]
    ):
        span = (
            local_to_utc(change.date, change.starts, tz),
            local_to_utc(change.date, change.ends, tz),
        )
        if change.kind == HoursException.Kind.BLOCKED:
            blocked[change.instructor_id].append(span)
        elif change.studio_id == studio.pk:
            extra[(change.instructor_id, change.date)].append(span)
    away: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for off in InstructorUnavailability.objects.filter(
        instructor_id__in=ids, starts_on__lte=day_list[-1], ends_on__gte=day_list[0]
    ):
        away[off.instructor_id].append((off.starts_on, off.ends_on))
    closed = set(
        Closure.objects.filter(
            studio=studio, date__gte=day_list[0], date__lte=day_list[-1]
        ).values_list("date", flat=True)
    )
    busy: dict[int | None, list[Interval]] = defaultdict(list)
    # Bounds as plain columns: parsing range values costs more than the whole query.
    for instructor_id_, lower, upper in (
        Occupancy.objects.filter(instructor_id__in=ids, period__overlap=(span_start, span_end))
        .annotate(lower=_Lower("period"), upper=_Upper("period"))
        .values_list("instructor_id", "lower", "upper")
    ):
        busy[instructor_id_].append((lower, upper))
    found_spots = list(
        Spot.objects.filter(
            room__studio=studio,
            equipment_type__iexact=appointment_type.equipment,
            active=True,
        )
        .order_by("room_id", "row", "column", "label")
        .values_list("pk", "room_id")
    )
    # Smaller rooms first: a private goes to the private studio before a reformer of the
    # group room (which would keep a group class out of that room meanwhile).
    room_size: dict[int, int] = defaultdict(int)
    for _, spot_room in found_spots:
        room_size[spot_room] += 1
    spots = sorted(found_spots, key=lambda spot: (room_size[spot[1]], spot[1]))
    room_use: dict[int | None, list[tuple[Interval, int | None]]] = defaultdict(list)
    for room_id, spot_id, lower, upper in (
        Occupancy.objects.filter(
            room_id__in={room for _, room in spots}, period__overlap=(span_start, span_end)
        )
        .annotate(
            spot=_Lower("spots", output_field=models.BigIntegerField()),
            lower=_Lower("period"),
            upper=_Upper("period"),
        )
        .values_list("room_id", "spot", "lower", "upper")
    ):
        room_use[room_id].append(((lower, upper), spot_id))  # spot None: the whole room

    length = dt.timedelta(minutes=appointment_type.duration_minutes)
    earliest = now + MIN_NOTICE
    for instructor_id_ in ids:
        worked: list[Interval] = []
        for day in day_list:
            if day in closed or any(a <= day <= b for a, b in away[instructor_id_]):
                continue
            for starts, ends in weekly[(instructor_id_, day.weekday())]:
                worked.append((local_to_utc(day, starts, tz), local_to_utc(day, ends, tz)))
            worked.extend(extra[(instructor_id_, day)])
        worked = _subtract(_merge(worked), _merge(blocked[instructor_id_]))
        result.hours[instructor_id_] = worked
        taken = _merge(busy[instructor_id_])
        result.busy[instructor_id_] = taken
        for window_start, window_end in worked:
            start = _first_step(window_start, tz)
            # Only what touches this window matters: a few intervals, not the fortnight's.
            window_busy = [(a, b) for a, b in taken if a < window_end and window_start < b]
            window_use = {
                room_id: [u for u in uses if u[0][0] < window_end and window_start < u[0][1]]
                for room_id, uses in room_use.items()
            }
            while start + length <= window_end:
                end = start + length
                if start >= earliest and not _overlaps(window_busy, start, end):
                    whole_rooms, taken_spots = _taken(window_use, start, end)
                    free = tuple(
                        spot_id
                        for spot_id, room_id in spots
                        if room_id not in whole_rooms and spot_id not in taken_spots
                    )
                    if free:
                        result.slots.append(Slot(start, end, instructor_id_, free))
                start += dt.timedelta(minutes=SLOT_STEP_MINUTES)
    result.slots.sort(key=lambda s: (s.starts_at, result.instructors[s.instructor_id].name))
    return result


def _first_step(moment: dt.datetime, tz: str) -> dt.datetime:
    """The window's start rounded up to the next step of the local clock."""
    from reformer.core.timezones import to_local

    local = to_local(moment, tz)
    minutes = local.hour * 60 + local.minute
    rounded = -(-minutes // SLOT_STEP_MINUTES) * SLOT_STEP_MINUTES
    return moment + dt.timedelta(minutes=rounded - minutes, seconds=-local.second)


def _merge(intervals: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _subtract(intervals: list[Interval], cuts: list[Interval]) -> list[Interval]:
    result = []
    for start, end in intervals:
        pieces = [(start, end)]
        for cut_start, cut_end in cuts:
            next_pieces = []
            for a, b in pieces:
                if cut_end <= a or cut_start >= b:
                    next_pieces.append((a, b))
                    continue
                if a < cut_start:
                    next_pieces.append((a, cut_start))
                if cut_end < b:
                    next_pieces.append((cut_end, b))
            pieces = next_pieces
        result.extend(pieces)
    return result


def _overlaps(intervals: list[Interval], start: dt.datetime, end: dt.datetime) -> bool:
    return any(a < end and start < b for a, b in intervals)


def _taken(window_use, start: dt.datetime, end: dt.datetime) -> tuple[set[int], set[int]]:
    """Rooms taken whole (a class) and single spots taken (appointments) over [start, end)."""
    whole_rooms: set[int] = set()
    taken_spots: set[int] = set()
    for room_id, uses in window_use.items():
        for (a, b), spot_id in uses:
            if a < end and start < b:
                if spot_id is None:
                    whole_rooms.add(room_id)
                else:
                    taken_spots.add(spot_id)
    return whole_rooms, taken_spots


def within_hours(search_result: SlotSearch, instructor_id: int, start, end) -> bool:
    return any(a <= start and end <= b for a, b in search_result.hours.get(instructor_id, []))
