"""The browse filters: parsed from the query string, so a URL is the whole filter state."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import urlencode

from django import forms

# How far ahead clients may look (PHX-9: limit the query to the next 30 days).
HORIZON_DAYS = 30

WHEN_CHOICES = [
    ("today", "Today"),
    ("tomorrow", "Tomorrow"),
    ("week", "Next 7 days"),
    ("month", "Next 30 days"),
    ("date", "On a date"),
]
TIME_CHOICES = [
    ("", "Any time"),
    ("morning", "Morning (before 12:00)"),
    ("afternoon", "Afternoon (12:00-17:00)"),
    ("evening", "Evening (after 17:00)"),
]
# Local start hours [from, to) of each part of the day.
TIME_OF_DAY_HOURS = {"morning": (0, 12), "afternoon": (12, 17), "evening": (17, 24)}


@dataclass(frozen=True)
class BrowseFilters:
    """Validated filter state; `first_day`..`last_day` are local calendar days, inclusive."""

    when: str
    first_day: dt.date
    last_day: dt.date
    day: dt.date | None = None
    time_of_day: str = ""
    instructor_id: int | None = None
    class_type_id: int | None = None
    studio_id: int | None = None
    offset: int = 0
    query: dict[str, str] = field(default_factory=dict)
    # A named instructor, class type or studio that is not on offer (left, retired, a wrong
    # link): said, and no classes shown, rather than quietly showing every class.
    problem: str = ""

    @property
    def spans_several_days(self) -> bool:
        return self.last_day > self.first_day

    @property
    def active_count(self) -> int:
        """Filters set in the Filters sheet (the day itself is picked on the date strip)."""
        return sum(
            bool(value)
            for value in (
                self.when in ("week", "month"),
                self.time_of_day,
                self.instructor_id,
                self.class_type_id,
                self.studio_id,
            )
        )

    @property
    def cleared_query(self) -> str:
        """What "Clear filters" leads to: with something narrowed (time, instructor, type,
        studio) it keeps the dates shown and drops the rest; with only the dates chosen, back
        to today. (Dropping the week too sent a client who had narrowed a week late in the
        evening to an empty "today".)"""
        if self.time_of_day or self.instructor_id or self.class_type_id or self.studio_id:
            return urlencode(
                {key: self.query[key] for key in ("when", "date") if key in self.query}
            )
        return ""

    @property
    def is_filtered(self) -> bool:
        """True when anything narrows the default view (today, everything)."""
        return bool(
            self.when != "today"
            or self.time_of_day
            or self.instructor_id
            or self.class_type_id
            or self.studio_id
        )

    def querystring(self, **changes: object) -> str:
        """The query string of these filters with some values changed (None drops one)."""
        params = dict(self.query)
        for key, value in changes.items():
            if value is None or value == "":
                params.pop(key, None)
            else:
                params[key] = str(value)
        return urlencode(params)


_NOT_ON_OFFER = {
    "instructor": "That instructor is not teaching here any more, or the link is out of date. "
    "Choose an instructor in Filters, or clear the filters.",
    "type": "That class type is not offered any more, or the link is out of date. "
    "Choose a class type in Filters, or clear the filters.",
    "studio": "That studio is not open for booking, or the link is out of date. "
    "Choose a studio in Filters, or clear the filters.",
}


class BrowseFilterForm(forms.Form):
    when = forms.ChoiceField(choices=WHEN_CHOICES, required=False, label="Dates")
    date = forms.DateField(required=False, label="Pick a date")
    time = forms.ChoiceField(choices=TIME_CHOICES, required=False, label="Time of day")
    instructor = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    type = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Class type")
    studio = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    offset = forms.IntegerField(required=False, min_value=0, max_value=100_000)

    def __init__(self, data, *, options, today: dt.date) -> None:
        super().__init__(data)
        self.today = today
        cast(forms.ChoiceField, self.fields["instructor"]).choices = [("", "Any instructor")] + [
            (m.pk, m.name) for m in options.instructors
        ]
        cast(forms.ChoiceField, self.fields["type"]).choices = [("", "Any class type")] + [
            (t.pk, t.name) for t in options.class_types
        ]
        cast(forms.ChoiceField, self.fields["studio"]).choices = [("", "Any studio")] + [
            (s.pk, s.name) for s in options.studios
        ]

    @property
    def last_allowed(self) -> dt.date:
        return self.today + dt.timedelta(days=HORIZON_DAYS - 1)

    def filters(self) -> BrowseFilters:
        """The valid part of the input; an invalid value falls back to its default."""
        self.is_valid()
        valid = [name for name in self.fields if name not in self.errors]
        clean = {name: self.cleaned_data.get(name) for name in valid}
        today = self.today
        last_allowed = self.last_allowed
        when = clean.get("when") or ""
        day = clean.get("date")
        if day is not None and not today <= day <= last_allowed:
            self.add_error("date", f"Pick a date between today and {last_allowed:%d %B}.")
            day = None
        if day is not None and when in ("", "date"):
            when = "date"
        elif when == "date" or not when:
            when, day = "today", None
        else:
            day = None
        first, last = {
            "today": (today, today),
            "tomorrow": (today + dt.timedelta(days=1),) * 2,
            "week": (today, today + dt.timedelta(days=6)),
            "month": (today, last_allowed),
            "date": (day, day),
        }[when]
        assert first is not None and last is not None  # "date" is chosen only with a day
        query = {"when": when}
        if day is not None:
            query["date"] = day.isoformat()
        for name in ("time", "instructor", "type", "studio"):
            if clean.get(name):
                query[name] = str(clean[name])
        problem = next((_NOT_ON_OFFER[name] for name in _NOT_ON_OFFER if name in self.errors), "")
        return BrowseFilters(
            when=when,
            first_day=first,
            last_day=last,
            day=day,
            time_of_day=clean.get("time") or "",
            instructor_id=clean.get("instructor"),
            class_type_id=clean.get("type"),
            studio_id=clean.get("studio"),
            offset=clean.get("offset") or 0,
            query=query,
            problem=problem,
        )


# Days the date strip offers, today first (the sheet's date picker reaches the horizon).
STRIP_DAYS = 14


@dataclass(frozen=True)
class DayChip:
    day: dt.date
    label: str  # "Today", "Tomorrow", "Thu"
    querystring: str  # these filters on that day
    current: bool

    @property
    def month(self) -> str:
        return f"{self.day:%b}"


def date_strip(filters: BrowseFilters, today: dt.date) -> list[DayChip]:
    """The next STRIP_DAYS days as links keeping the other filters (the URL is the state)."""
    chips = []
    for offset in range(STRIP_DAYS):
        day = today + dt.timedelta(days=offset)
        if offset == 0:
            label, query = "Today", filters.querystring(when="today", date=None, offset=None)
        else:
            label = "Tomorrow" if offset == 1 else f"{day:%a}"
            query = filters.querystring(when="date", date=day.isoformat(), offset=None)
        current = not filters.spans_several_days and filters.first_day == day
        chips.append(DayChip(day=day, label=label, querystring=query, current=current))
    return chips
