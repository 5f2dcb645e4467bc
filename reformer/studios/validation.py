"""Input checks shared by the studio and scheduling actions.

Each failure is a `DomainError(VALIDATION, message, field=...)` whose message speaks to the
person filling in the form. Also here: reading which database constraint refused a write, so
actions can turn an IntegrityError into a message.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from django.db import IntegrityError

from reformer.core import timeformat
from reformer.core.errors import VALIDATION, DomainError
from reformer.core.parsing import require_int
from reformer.core.timezones import to_local

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def invalid(message: str, field: str | None = None) -> DomainError:
    return DomainError(VALIDATION, message, field=field)


def clean_text(
    value: object, *, field: str, label: str, max_length: int, required: bool = True
) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise invalid(f"{label} is required.", field)
    if len(text) > max_length:
        raise invalid(f"{label} is too long: at most {max_length} characters.", field)
    return text


def clean_int(value: object, *, field: str, label: str, minimum: int, maximum: int) -> int:
    return require_int(value, field=field, label=label, minimum=minimum, maximum=maximum)


def clean_time_zone(value: object, field: str = "time_zone") -> str:
    name = str(value or "").strip()
    if name not in zoneinfo.available_timezones():
        raise invalid(f"{name or 'That'!r} is not a known time zone (e.g. Europe/London).", field)
    return name


def clean_colour(value: object, field: str = "colour") -> str:
    colour = str(value or "").strip()
    if not _COLOUR.match(colour):
        raise invalid("Use a colour like #3b6e8f.", field)
    return colour.lower()


def parse_clock(value: object, *, field: str, label: str = "Time") -> dt.time:
    """A wall-clock time from "HH:MM" (24-hour) or a `datetime.time`."""
    if isinstance(value, dt.time):
        if value.second or value.microsecond:
            raise invalid(f"{label} must be a whole minute (HH:MM).", field)
        return value.replace(tzinfo=None)
    match = _CLOCK.match(str(value or "").strip())
    if not match:
        raise invalid(f"{label} must look like 07:30 (24-hour HH:MM); got {value!r}.", field)
    return dt.time(int(match[1]), int(match[2]))


def clock(value: dt.time) -> str:
    """The time as the organization reads it ("7:00 AM" or "07:00"): for messages only."""
    return timeformat.when(value, "time")


def stored_clock(value: dt.time) -> str:
    """Canonical "HH:MM" for stored wall-clock times (opening hours): never the display
    format, which is per organization and which <input type=time> cannot read back."""
    return f"{value.hour:02d}:{value.minute:02d}"


def day_label(day: dt.date) -> str:
    """'Mon 9 Mar 2026'."""
    return timeformat.when(day, "day_year")


def local_span(starts_at: dt.datetime, ends_at: dt.datetime, tz_name: str) -> str:
    """'07:00-07:50' (with an en dash) in the studio's zone."""
    return timeformat.time_range(to_local(starts_at, tz_name), to_local(ends_at, tz_name))


def violated_constraint(exc: IntegrityError) -> str | None:
    """The name of the constraint PostgreSQL reported, if any."""
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"


def apply_changes(obj: object, values: dict[str, object]) -> dict[str, list[object]]:
    """Set the attributes whose value differs; return {field: [old, new]} for the audit log."""
    changes: dict[str, list[object]] = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            setattr(obj, name, new)
            changes[name] = [old, new]
    return changes
