"""`{{ value|when:"style" }}`: dates and times as the studio expects (a builtin).

Styles and rules are in `reformer.core.timeformat` (the one helper pages, emails and
exports share). `{{ session.starts_at|local:studio.time_zone|when:"time" }}` shows a class's
start in its studio's zone: "5:30 PM" for a US organization, "17:30" for a UK one.
"""

from __future__ import annotations

import datetime as dt

from django import template

from reformer.core import timeformat

register = template.Library()


@register.filter
def when(value: dt.datetime | dt.date | dt.time | str | None, style: str = "day_time") -> str:
    if value is None or value == "":
        return ""
    assert not isinstance(value, str)  # |local returns '' or a datetime
    return timeformat.when(value, style)


@register.filter
def until(start: dt.datetime | dt.time | None, end: dt.datetime | dt.time | None) -> str:
    """`{{ start|until:end }}`: "17:30 to 18:20" or "5:30 PM to 6:20 PM", a zone named once."""
    if start is None or end is None or start == "" or end == "":
        return ""
    return timeformat.time_range(start, end)


@register.filter
def zone(name: str | None) -> str:
    """`{{ studio.time_zone|zone }}`: "America/New York"."""
    return timeformat.zone_label(name or "")
