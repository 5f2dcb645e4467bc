"""Class cards for live updates, rendered once per state instead of once per browser.

A booking changes one class; every open browse page then needs that card re-rendered for its
viewer. Most viewers hold no place in the class, so their cards are identical: this module
reads, per viewer, one small row (the class's state and the viewer's own place, one raw SQL
statement) and renders the card only for a state it has not rendered yet.

The key holds everything the card shows that can change with a booking or an edit of the
class (counts, status, times, room, instructor, policy) and the viewer's own booking or
waitlist place, so a card is never reused for a different state or viewer situation. Names
of related things (an instructor renamed) and the clock (a class starting) are not in the
key: entries expire after TTL_SECONDS.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from django.db import connection
from django.utils import timezone

from reformer.bookings.rules import HOLDING_SQL, booking_opens_at, waitlist_position_sql
from reformer.web.live_render import fragment

if TYPE_CHECKING:
    from reformer.accounts.models import Membership

TTL_SECONDS = 10.0
MAX_ENTRIES = 2000

_STATE_SQL = f"""
SELECT s.id, s.booked_count, s.waiting_count, s.held_count, s.capacity, s.status, s.starts_at,
       s.ends_at, s.instructor_id, s.room_id, s.class_type_id, s.studio_id,
       p.booking_window_days, p.waitlist_mode,
       (SELECT b.reference FROM bookings_booking b
         WHERE b.session_id = s.id AND b.client_id = %(client)s
           AND b.status IN {HOLDING_SQL}
         LIMIT 1),
       (SELECT {waitlist_position_sql("w")}
          FROM bookings_waitlistentry w
         WHERE w.session_id = s.id AND w.client_id = %(client)s AND w.status = 'waiting'
         LIMIT 1)
  FROM scheduling_classsession s
  LEFT JOIN studios_studiopolicy p ON p.studio_id = s.studio_id
 WHERE s.organization_id = %(organization)s AND s.id = ANY(%(ids)s)
"""
_STUDIO_COLUMN = 11

_lock = threading.Lock()
_cards: dict[tuple, tuple[float, str]] = {}


def card_fragments(
    membership: Membership, session_ids: list[int], studio_ids: frozenset[int]
) -> list[tuple[int, str, int | None]]:
    """(session id, card HTML for an out-of-band swap, viewer's waitlist position) for the
    classes of `session_ids` in `studio_ids`; other organizations' classes are skipped."""
    with connection.cursor() as cursor:
        cursor.execute(
            _STATE_SQL,
            {
                "client": membership.pk,
                "organization": membership.organization_id,
                "ids": list(session_ids),
            },
        )
        rows = cursor.fetchall()
    now = time.monotonic()
    found = []
    for row in rows:
        if row[_STUDIO_COLUMN] not in studio_ids:
            continue
        starts_at, window_days = row[6], row[12] or 0
        moment = timezone.now()
        # The clock changes a card too: started, and booking not yet open.
        key = (*row, starts_at <= moment, booking_opens_at(starts_at, window_days) > moment)
        cached = _cards.get(key)
        if cached is not None and now - cached[0] < TTL_SECONDS:
            html = cached[1]
        else:
            html = _render(membership, row[0])
            _store(key, now, html)
        found.append((row[0], html, row[-1]))
    return found


def _render(membership: Membership, session_id: int) -> str:
    from reformer.web.client.queries import session_cards

    cards = session_cards(membership, [session_id])
    if not cards:
        return ""
    return fragment("client/browse/_card.html", {"card": cards[0], "oob": True})


def _store(key: tuple, now: float, html: str) -> None:
    with _lock:
        if len(_cards) >= MAX_ENTRIES:
            for old in [k for k, (at, _) in _cards.items() if now - at >= TTL_SECONDS]:
                del _cards[old]
            if len(_cards) >= MAX_ENTRIES:
                _cards.clear()
        _cards[key] = (now, html)


def clear() -> None:
    with _lock:
        _cards.clear()
