"""Cell values: dates and times in the formats these exports use, counts, emails."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from reformer.core.timezones import zone

_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%d.%m.%Y")
_TIME_FORMATS = ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M:%S %p", "%I:%M%p", "%I%p")


class BadValue(ValueError):
    pass


def email(text: str) -> str:
    value = text.strip().lower()
    try:
        validate_email(value)
    except ValidationError as exc:
        raise BadValue(f"“{text}” is not an email address") from exc
    return value


def count(text: str, what: str) -> int | None:
    if not text.strip():
        return None
    if not re.fullmatch(r"\d{1,6}(\.0+)?", text.strip()):
        raise BadValue(f"{what} “{text}” is not a whole number")
    return int(float(text))


def date(text: str) -> dt.date:
    text = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 (a calendar date)
        except ValueError:
            continue
    raise BadValue(f"“{text}” is not a date (use YYYY-MM-DD)")


def time(text: str) -> dt.time:
    text = text.strip().upper()
    for fmt in _TIME_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).time()  # noqa: DTZ007 (a wall-clock time)
        except ValueError:
            continue
    raise BadValue(f"“{text}” is not a time (use HH:MM)")


def moment(text: str, tz_name: str, *, end_of_day: bool = False) -> dt.datetime:
    """An instant. ISO 8601 with an offset is taken as is; a date and time without one is
    the studio's local time (`tz_name`); a bare date is its start (or end) in that zone."""
    text = text.strip()
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None:
        parts = text.rsplit(" ", 2) if re.search(r"\d[:]\d", text) else [text]
        day_text, time_text = (parts[0], " ".join(parts[1:])) if len(parts) > 1 else (text, "")
        day = date(day_text)
        at = time(time_text) if time_text else (dt.time.max if end_of_day else dt.time.min)
        return dt.datetime.combine(day, at, tzinfo=zone(tz_name))
    if parsed.tzinfo is None:
        if len(text) == 10 and end_of_day:
            parsed = dt.datetime.combine(parsed.date(), dt.time.max)
        parsed = parsed.replace(tzinfo=zone(tz_name))
    return parsed.astimezone(dt.UTC)
