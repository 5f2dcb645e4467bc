"""Reporting periods: presets and custom ranges of local calendar days.

A period is a range of whole local days, both ends included. Its UTC bounds are taken in
the reporting time zone (the selected studio's, or the organization's for all studios), so
"this month" starts at local midnight on the 1st, whatever the daylight-saving offset.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from reformer.core.timezones import local_day_bounds, usable_date

PRESETS = {
    "this_month": "This month",
    "last_7_days": "Last 7 days",
    "last_30_days": "Last 30 days",
    "last_month": "Last month",
    "last_3_months": "Last 3 months",
    "last_12_months": "Last 12 months",
    "custom": "Custom range",
}
DEFAULT_PRESET = "this_month"
# A custom range longer than this is refused: it would only ever be a typo.
MAX_CUSTOM_DAYS = 366 * 20


@dataclass(frozen=True)
class Period:
    preset: str
    start: dt.date  # first local day, included
    end: dt.date  # last local day, included

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        if self.preset != "custom":
            return PRESETS[self.preset]
        return f"{_day_label(self.start)} to {_day_label(self.end)}"

    def utc_bounds(self, tz_name: str) -> tuple[dt.datetime, dt.datetime]:
        """[local midnight of start, local midnight after end) in UTC."""
        return local_day_bounds(self.start, tz_name)[0], local_day_bounds(self.end, tz_name)[1]

    def as_query(self) -> dict[str, str]:
        if self.preset == "custom":
            return {"range": "custom", "from": self.start.isoformat(), "to": self.end.isoformat()}
        return {"range": self.preset}


def _day_label(day: dt.date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _months_back(day: dt.date, months: int) -> dt.date:
    """The same day `months` earlier (the month's last day where it is shorter), plus one."""
    index = day.year * 12 + day.month - 1 - months
    year, month = index // 12, index % 12 + 1
    for candidate in range(day.day, 27, -1):
        try:
            return dt.date(year, month, candidate) + dt.timedelta(days=1)
        except ValueError:
            continue
    return dt.date(year, month, day.day) + dt.timedelta(days=1)


def preset_period(preset: str, today: dt.date) -> Period:
    if preset == "last_7_days":
        return Period(preset, today - dt.timedelta(days=6), today)
    if preset == "last_3_months":
        return Period(preset, _months_back(today, 3), today)
    if preset == "last_12_months":
        return Period(preset, _months_back(today, 12), today)
    if preset == "last_30_days":
        return Period(preset, today - dt.timedelta(days=29), today)
    if preset == "last_month":
        end = _month_start(today) - dt.timedelta(days=1)
        return Period(preset, _month_start(end), end)
    start = _month_start(today)
    next_month = (start + dt.timedelta(days=32)).replace(day=1)
    return Period("this_month", start, next_month - dt.timedelta(days=1))


class PeriodError(ValueError):
    """A custom range that cannot be used; the message is for the user."""


def parse_period(params: Mapping[str, str], today: dt.date) -> Period:
    """Read `range` (a preset or "custom") with `from`/`to` (ISO dates) from a query string."""
    preset = params.get("range") or DEFAULT_PRESET
    if preset not in PRESETS:
        preset = DEFAULT_PRESET
    if preset != "custom":
        return preset_period(preset, today)
    try:
        start = dt.date.fromisoformat(params.get("from") or "")
        end = dt.date.fromisoformat(params.get("to") or "")
    except ValueError:
        raise PeriodError("Enter both dates of the custom range (YYYY-MM-DD).") from None
    if not (usable_date(start) and usable_date(end)):
        raise PeriodError("Enter both dates of the custom range (YYYY-MM-DD).")
    if end < start:
        raise PeriodError("The end date must be on or after the start date.")
    if (end - start).days > MAX_CUSTOM_DAYS:
        raise PeriodError("Choose a range of at most 20 years.")
    return Period("custom", start, end)
