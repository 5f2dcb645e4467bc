"""Studio time across daylight-saving changes (core.timezones and session generation).

2026 changes: New York springs forward on Sun 8 March (02:00 -> 03:00) and falls back on
Sun 1 November (02:00 -> 01:00); London on Sun 29 March (01:00 -> 02:00) and Sun 25 October
(02:00 -> 01:00).
"""

from __future__ import annotations

import datetime as dt

import pytest

from reformer.core.timezones import local_day_bounds, local_to_utc, local_week_bounds, to_local
from reformer.scheduling.actions import generate_sessions
from reformer.scheduling.models import ClassSession, RecurringTemplate
from tests import factories

NEW_YORK, LONDON = "America/New_York", "Europe/London"
UTC = dt.UTC


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "tz", "expected"),
    [
        (dt.date(2026, 3, 7), NEW_YORK, utc(2026, 3, 7, 12)),  # EST, UTC-5
        (dt.date(2026, 3, 9), NEW_YORK, utc(2026, 3, 9, 11)),  # EDT, UTC-4
        (dt.date(2026, 10, 31), NEW_YORK, utc(2026, 10, 31, 11)),
        (dt.date(2026, 11, 2), NEW_YORK, utc(2026, 11, 2, 12)),
        (dt.date(2026, 3, 28), LONDON, utc(2026, 3, 28, 7)),  # GMT
        (dt.date(2026, 3, 30), LONDON, utc(2026, 3, 30, 6)),  # BST, UTC+1
        (dt.date(2026, 10, 24), LONDON, utc(2026, 10, 24, 6)),
        (dt.date(2026, 10, 26), LONDON, utc(2026, 10, 26, 7)),
    ],
)
def test_it_converts_seven_in_the_morning_around_the_changes(day, tz, expected):
    moment = local_to_utc(day, dt.time(7, 0), tz)

    assert moment == expected
    assert to_local(moment, tz).time() == dt.time(7, 0)


@pytest.mark.parametrize(
    ("day", "tz", "expected", "summer_offset"),
    [
        (dt.date(2026, 11, 1), NEW_YORK, utc(2026, 11, 1, 5, 30), -4),
        (dt.date(2026, 10, 25), LONDON, utc(2026, 10, 25, 0, 30), 1),
    ],
)
def test_it_takes_the_first_of_an_ambiguous_time(day, tz, expected, summer_offset):
    moment = local_to_utc(day, dt.time(1, 30), tz)

    assert moment == expected
    first = to_local(moment, tz)
    assert (first.time(), first.utcoffset()) == (dt.time(1, 30), dt.timedelta(hours=summer_offset))
    # The second 01:30, in winter time, is an hour later.
    assert to_local(moment + dt.timedelta(hours=1), tz).time() == dt.time(1, 30)


# A time skipped by the spring change moves forward by the gap, as clocks do.
@pytest.mark.parametrize(
    ("day", "at", "tz", "expected"),
    [
        (dt.date(2026, 3, 8), dt.time(2, 30), NEW_YORK, utc(2026, 3, 8, 7, 30)),  # 03:30 EDT
        (dt.date(2026, 3, 29), dt.time(1, 30), LONDON, utc(2026, 3, 29, 1, 30)),  # 02:30 BST
    ],
)
def test_it_moves_a_skipped_time_forward_by_the_gap(day, at, tz, expected):
    moment = local_to_utc(day, at, tz)

    assert moment == expected
    assert to_local(moment, tz).time() == dt.time(at.hour + 1, at.minute)


def test_it_never_moves_a_skipped_time_before_the_change():
    """What holds today as well: the skipped 02:30 lands on the change day."""
    moment = local_to_utc(dt.date(2026, 3, 8), dt.time(2, 30), NEW_YORK)

    assert to_local(moment, NEW_YORK).date() == dt.date(2026, 3, 8)


@pytest.mark.parametrize(
    ("day", "tz", "hours"),
    [
        (dt.date(2026, 3, 8), NEW_YORK, 23),
        (dt.date(2026, 3, 9), NEW_YORK, 24),
        (dt.date(2026, 11, 1), NEW_YORK, 25),
        (dt.date(2026, 3, 29), LONDON, 23),
        (dt.date(2026, 10, 25), LONDON, 25),
    ],
)
def test_it_bounds_a_local_day(day, tz, hours):
    start, end = local_day_bounds(day, tz)

    assert end - start == dt.timedelta(hours=hours)
    assert to_local(start, tz).replace(tzinfo=None) == dt.datetime.combine(day, dt.time(0))
    assert to_local(end, tz).replace(tzinfo=None) == dt.datetime.combine(
        day + dt.timedelta(days=1), dt.time(0)
    )


def test_it_starts_a_day_without_a_midnight_at_its_first_instant():
    # Chile springs forward at midnight: 6 September 2026 begins at 01:00 local.
    start, end = local_day_bounds(dt.date(2026, 9, 6), "America/Santiago")

    assert to_local(start, "America/Santiago").date() == dt.date(2026, 9, 6)
    assert end - start == dt.timedelta(hours=23)


def test_it_bounds_a_week_across_a_change():
    start, end = local_week_bounds(utc(2026, 3, 11, 15), NEW_YORK)

    assert (start, end) == (utc(2026, 3, 9, 4), utc(2026, 3, 16, 4))
    start, end = local_week_bounds(utc(2026, 3, 6, 15), NEW_YORK)
    assert end - start == dt.timedelta(days=7, hours=-1)


# ------------------------------------------------------------------------------ generation


@pytest.mark.parametrize(
    ("tz", "today", "mondays", "utc_hours"),
    [
        (NEW_YORK, dt.date(2026, 2, 25), ["2026-03-02", "2026-03-09", "2026-03-16"], [12, 11, 11]),
        (NEW_YORK, dt.date(2026, 10, 20), ["2026-10-26", "2026-11-02", "2026-11-09"], [11, 12, 12]),
        (LONDON, dt.date(2026, 3, 18), ["2026-03-23", "2026-03-30", "2026-04-06"], [7, 6, 6]),
        (LONDON, dt.date(2026, 10, 14), ["2026-10-19", "2026-10-26", "2026-11-02"], [6, 7, 7]),
    ],
)
def test_it_generates_a_monday_seven_oclock_class_at_seven_local_every_week(
    db, time_machine, tz, today, mondays, utc_hours
):
    time_machine.move_to(dt.datetime.combine(today, dt.time(12), tzinfo=UTC), tick=False)
    template = weekly_template(tz, weekday=0, at=dt.time(7, 0), start=today)

    generate_sessions(until=dt.date.fromisoformat(mondays[-1]))

    sessions = list(ClassSession.objects.filter(template=template).order_by("starts_at"))
    assert [to_local(s.starts_at, tz).isoformat()[:16] for s in sessions] == [
        f"{day}T07:00" for day in mondays
    ]
    assert [s.starts_at.hour for s in sessions] == utc_hours
    assert all(s.ends_at - s.starts_at == dt.timedelta(minutes=50) for s in sessions)


def test_it_generates_a_class_at_an_ambiguous_time_once(db, time_machine):
    time_machine.move_to(utc(2026, 10, 20, 12), tick=False)
    template = weekly_template(NEW_YORK, weekday=6, at=dt.time(1, 30), start=dt.date(2026, 10, 20))

    generate_sessions(until=dt.date(2026, 11, 8))
    generate_sessions(until=dt.date(2026, 11, 8))

    starts = list(
        ClassSession.objects.filter(template=template)
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
    )
    assert [moment.hour for moment in starts] == [5, 5, 6]  # 25 Oct and 1 Nov EDT, 8 Nov EST
    assert starts[1] == utc(2026, 11, 1, 5, 30)


def weekly_template(tz, *, weekday, at, start):
    organization = factories.OrganizationFactory(time_zone=tz)
    studio = factories.StudioFactory(organization=organization, time_zone=tz)
    room = factories.RoomFactory(studio=studio)
    class_type = factories.ClassTypeFactory(organization=organization, duration_minutes=50)
    return RecurringTemplate.objects.create(
        organization=organization,
        studio=studio,
        room=room,
        class_type=class_type,
        weekday=weekday,
        local_start_time=at,
        capacity=8,
        start_date=start,
    )
