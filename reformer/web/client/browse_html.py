"""The browse page's list as HTML: days around time slots around cards, joined as strings.

Rendering the list through a template loop cost ~2.5 ms of CPU a page (17 slots, 3 days:
the filters that format a slot's time, ~160 variable lookups), more than the 200 cached
cards it joins. A day's heading and a slot's frame look the same on every page that shows
that day or time, so each is rendered once per process around a hole (`frame`) and kept,
keyed by everything it shows; the cards come from the card cache (browse_cards.py); the
page joins the pieces. The markup stays in its templates (client/browse/_day.html,
_slot.html, _card.html).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING

from django.template.loader import get_template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from reformer.core import timeformat
from reformer.core.timezones import local_today

if TYPE_CHECKING:
    from reformer.web.client.queries import DayGroup

# Frames kept per process: a day or a time slot each (a month of days, a few dozen times).
MAX_FRAMES = 2_000
# Where the content goes: a string no rendering produces (NUL is refused in requests).
_HOLE = "\x00content\x00"

_lock = threading.Lock()
_frames: dict[tuple, tuple[str, str]] = {}


def frame(template_name: str, context: Mapping[str, Hashable], today: dt.date) -> tuple[str, str]:
    """The HTML the template renders before and after `{{ content }}`, from this process's
    cache when rendered before. The template sees only `context` (its values hashable: they
    are the key), the formatting locale and the clock's day (`today`, for "Today", ...)."""
    locale = timeformat.current()
    key = (template_name, tuple(context.items()), locale, today)
    pieces = _frames.get(key)
    if pieces is None:
        html = get_template(template_name).render({**context, "content": mark_safe(_HOLE)})
        before, after = html.split(_HOLE)
        pieces = (before, after)
        with _lock:
            while len(_frames) >= MAX_FRAMES:  # the oldest first (dicts keep insertion order)
                del _frames[next(iter(_frames))]
            _frames[key] = pieces
    return pieces


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
        _frames.clear()
