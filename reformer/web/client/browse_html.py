"""The browse page's pieces as HTML, rendered once per process and kept, joined as strings.

Rendering the list through a template loop cost ~2.5 ms of CPU a page (17 slots, 3 days:
the filters that format a slot's time, ~160 variable lookups), more than the 200 cached
cards it joins. A day's heading and a slot's frame look the same on every page that shows
that day or time, so each is rendered once per process around a hole (`frame`) and kept,
keyed by everything it shows; the cards come from the card cache (browse_cards.py); the
page joins the pieces. The Filters sheet and the date strip (~1.5 ms more) are kept the
same way, keyed by the filters, the options read with the page, and the day. The markup
stays in its templates (client/browse/_day.html, _slot.html, _card.html, _filters.html,
_strip.html); a kept template sees only the context it is given, so nothing outside its
key can leak into it.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Hashable, Iterator, Mapping
from typing import TYPE_CHECKING

from django.template.loader import get_template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from reformer.core import timeformat
from reformer.core.timezones import local_today
from reformer.web.client.forms import (
    TIME_CHOICES,
    WHEN_CHOICES,
    BrowseFilterForm,
    BrowseFilters,
    DayChip,
)

if TYPE_CHECKING:
    from reformer.web.client.queries import DayGroup, FilterOptions

# Pieces kept per process: days and time slots (a month of days, a few dozen times), and a
# Filters sheet and a date strip per filter state seen today.
MAX_KEPT = 5_000
# Where the content goes: a string no rendering produces (NUL is refused in requests).
_HOLE = mark_safe("\x00content\x00")

_lock = threading.Lock()
_kept: dict[tuple, str] = {}


def kept(template_name: str, context: Mapping[str, Hashable], today: dt.date) -> str:
    """The template rendered with `context`, from this process's cache when rendered before.
    The template sees only `context` (its values hashable: they are the key), the formatting
    locale and the clock's day (`today`, for "Today", ...): all three make the key."""
    key = (template_name, tuple(_key_items(context)), timeformat.current(), today)
    html = _kept.get(key)
    if html is None:
        html = get_template(template_name).render(dict(context))
        with _lock:
            while len(_kept) >= MAX_KEPT:  # the oldest first (dicts keep insertion order)
                del _kept[next(iter(_kept))]
            _kept[key] = html
    return html


def _key_items(context: Mapping[str, Hashable]) -> Iterator[tuple[str, Hashable]]:
    """The context as key parts. Aware datetimes compare equal across zones when they are
    the same moment (07:00 in New York == 12:00 in London), but render differently, so
    their zone is part of the key."""
    for name, value in context.items():
        zone = getattr(value, "tzinfo", None)
        yield (name, (value, str(zone)) if zone is not None else value)


def frame(template_name: str, context: Mapping[str, Hashable], today: dt.date) -> tuple[str, str]:
    """The HTML the template renders before and after `{{ content }}` (kept as `kept`)."""
    before, after = kept(template_name, {**context, "content": _HOLE}, today).split(_HOLE)
    return before, after


def filters_sheet(
    form: BrowseFilterForm, filters: BrowseFilters, options: FilterOptions, browse_url: str
) -> SafeString:
    """The Filters sheet (client/browse/_filters.html): the form's `filters`, the options."""
    date_errors = form.errors.get("date")
    context = {
        "when": filters.when,
        "day": filters.day,
        "time_of_day": filters.time_of_day,
        "instructor_id": filters.instructor_id,
        "class_type_id": filters.class_type_id,
        "studio_id": filters.studio_id,
        "today": form.today,
        "last_allowed": form.last_allowed,
        "date_error": date_errors[0] if date_errors else "",
        "options": options,
        "browse_url": browse_url,
        "when_choices": tuple(WHEN_CHOICES),
        "time_choices": tuple(TIME_CHOICES),
    }
    return mark_safe(kept("client/browse/_filters.html", context, form.today))


def strip_html(strip: list[DayChip], browse_url: str, today: dt.date) -> SafeString:
    """The date strip (client/browse/_strip.html)."""
    context = {"strip": tuple(strip), "browse_url": browse_url}
    return mark_safe(kept("client/browse/_strip.html", context, today))


def days_html(days: list[DayGroup], offset: int, tz_name: str) -> SafeString:
    """The days of one window of the page (`offset`: its first class's place in the list,
    which keeps heading ids unique), their slots and cards, joined."""
    today = local_today(tz_name)
    now, locale = timezone.now(), timeformat.current()
    parts: list[str] = []
    for day in days:
        day_context = {"day": day.day, "continued": day.continued, "offset": offset, "tz": tz_name}
        day_before, day_after = frame("client/browse/_day.html", day_context, today)
        parts.append(day_before)
        for slot in day.slots:
            slot_context = {"time": slot.time, "continued": slot.continued}
            slot_before, slot_after = frame("client/browse/_slot.html", slot_context, today)
            parts.append(slot_before)
            parts.extend(card.html_at(now, locale) for card in slot.cards)
            parts.append(slot_after)
        parts.append(day_after)
    return mark_safe("".join(parts))


def clear() -> None:
    with _lock:
        _kept.clear()
