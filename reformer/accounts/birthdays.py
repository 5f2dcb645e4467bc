"""Client birthdays: the one rule for "is it their birthday?" (roster, check-in, validation).

The roster and the check-in search flag a client whose birthday falls in the week of the
class (Monday to Sunday, the studio's local date of the class): "Birthday on Thursday" on
another day of that week, so the instructor of a Monday class can still wish a happy
birthday for Wednesday. On the class's own day the flag says "Birthday today" only when the
class is today (the studio's local date); a roster read days ahead says "Birthday on class
day" -- "today" there would be false on the day it is read. Someone born on 29 February
celebrates on 28 February in other years.
"""

from __future__ import annotations

import datetime as dt

from reformer.core.errors import VALIDATION, DomainError

OLDEST_AGE = 120  # years: an earlier date is a typing mistake


def birthday_in(birth_date: dt.date, year: int) -> dt.date:
    """The day `year` celebrates a birthday (29 February -> 28 February off leap years)."""
    try:
        return birth_date.replace(year=year)
    except ValueError:
        return dt.date(year, 2, 28)


def birthday_flag(birth_date: dt.date | None, class_day: dt.date, *, today: dt.date) -> str | None:
    """ "Birthday today" / "Birthday on class day", "Birthday on <weekday>" within the
    class's week, else None. `today` is the studio's local date now."""
    if birth_date is None:
        return None
    monday = class_day - dt.timedelta(days=class_day.weekday())
    sunday = monday + dt.timedelta(days=6)
    # The week can straddle New Year: try the birthday in both years it touches.
    for year in {monday.year, sunday.year}:
        day = birthday_in(birth_date, year)
        if day == class_day:
            return "Birthday today" if class_day == today else "Birthday on class day"
        if monday <= day <= sunday:
            return f"Birthday on {day:%A}"
    return None


def clean_birth_date(value: dt.date | None, today: dt.date) -> dt.date | None:
    """A birth date people may give: optional, not in the future, not over 120 years ago."""
    if value is None:
        return None
    if value > today:
        raise DomainError(VALIDATION, "A birth date cannot be in the future.", field="birth_date")
    if value.year < today.year - OLDEST_AGE:
        raise DomainError(VALIDATION, "Check the year of the birth date.", field="birth_date")
    return value
