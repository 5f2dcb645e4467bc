"""Studio time: stored in UTC, reasoned about in the studio's zone.

A weekly class at 07:00 local stays 07:00 local across daylight-saving changes because
each occurrence is converted from its own local date and time, never by adding 7 days of
UTC time to the previous one.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import lru_cache

from django.utils import timezone


@lru_cache(maxsize=256)
def zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def local_to_utc(day: dt.date, at: dt.time, tz_name: str) -> dt.datetime:
    """The UTC instant of a local wall-clock time in a zone.

    A time skipped by a spring-forward change (02:30 on that night) is moved forward by the
    gap, as clocks are; an ambiguous autumn time takes its first occurrence (fold=0).
    """
    # zoneinfo with fold=0 reads a skipped wall time with the offset in force before the
    # change, which lands the instant after the gap (02:30 -> 03:30 EDT), and an ambiguous
    # one as its first occurrence: exactly the rule above.
    return dt.datetime.combine(day, at).replace(tzinfo=zone(tz_name)).astimezone(dt.UTC)


def to_local(moment: dt.datetime, tz_name: str) -> dt.datetime:
    return moment.astimezone(zone(tz_name))


# Dates this close to the ends of Python's calendar overflow once moved by a week or a zone.
_CALENDAR_SLACK = dt.timedelta(days=366)


def usable_date(day: dt.date) -> bool:
    """Whether a date (typically from a query string) is far enough from year 1 and year 9999
    for day, week and time zone arithmetic on it not to overflow."""
    return dt.date.min + _CALENDAR_SLACK <= day <= dt.date.max - _CALENDAR_SLACK


def local_today(tz_name: str, now: dt.datetime | None = None) -> dt.date:
    return to_local(now or timezone.now(), tz_name).date()


def local_day_bounds(day: dt.date, tz_name: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a local calendar day in UTC (23 or 25 hours on change days)."""
    return (
        local_to_utc(day, dt.time(0, 0), tz_name),
        local_to_utc(day + dt.timedelta(days=1), dt.time(0, 0), tz_name),
    )


def local_week_bounds(moment: dt.datetime, tz_name: str) -> tuple[dt.datetime, dt.datetime]:
    """[Monday 00:00, next Monday 00:00) local, in UTC, of the week containing `moment`."""
    local_day = to_local(moment, tz_name).date()
    monday = local_day - dt.timedelta(days=local_day.weekday())
    return local_day_bounds(monday, tz_name)[0], local_day_bounds(
        monday + dt.timedelta(days=7), tz_name
    )[0]
