"""The browse page's cards: read as plain rows, each distinct card rendered once per process.

A browse page shows up to 200 cards. Rendering each through the card template costs about a
quarter of a millisecond (50 ms a page), and loading each class as eight model instances
(class, type, instructor, user, studio, policy, room, organization) another 20 ms. Yet a
card looks the same to every viewer until its class changes, so:

- the window query reads only what a card shows, as plain tuples (`CardRow`), no models;
- a card's HTML is kept in this process, keyed by everything it shows: the row, the
  viewer's own situation (their booking, waitlist place, overlapping booking), the clock's
  part (started, booking not open yet, a free switch) and the locale. A class that changes
  has a new key, so nothing needs invalidating; unused entries age out;
- a card not in the cache is rendered by the one card template from a `SessionCard` over
  unsaved model instances built from the row (no query), as card_cache.py does for live
  updates. tests/web_client/test_browse_cards.py renders every state both ways (from the
  row, and from the ORM's models as the class page does) and compares the HTML.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

from django.template.loader import get_template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from reformer.accounts.models import Membership, User
from reformer.bookings.rules import booking_opens_at, waitlist_position_sql
from reformer.core import timeformat
from reformer.core.batched_reads import Statement
from reformer.core.timezones import to_local
from reformer.scheduling.models import ClassSession, ClassType
from reformer.studios.models import Organization, Room, Studio, StudioPolicy
from reformer.web.client.cards import Overlap, SessionCard

# Distinct cards kept per process (a card is about 2.5 kB: 10,000 are ~25 MB).
MAX_CARDS = 10_000


class CardRow(NamedTuple):
    """What a class card shows, as the window query reads it (`_WINDOW_SQL`, same order)."""

    id: int
    organization_id: int
    status: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    booked_count: int
    waiting_count: int
    held_count: int
    class_type_id: int
    class_type_name: str
    class_type_colour: str
    class_type_photo: str
    instructor_id: int | None
    instructor_name: str | None
    instructor_email: str | None
    studio_id: int
    studio_name: str
    studio_time_zone: str
    room_id: int
    room_name: str
    policy_id: int | None
    booking_window_days: int | None
    waitlist_mode: str | None
    my_position: int | None  # the viewer's place on the waitlist (1 = next), if waiting


@dataclass(frozen=True)
class Window:
    """Which classes the browse page shows: the organization's scheduled classes of active
    studios starting in [starts_from, starts_before) (UTC, the index's bounds) on the local
    days first_day..last_day, optionally narrowed; `limit` of them from `offset` on."""

    organization_id: int
    starts_from: dt.datetime
    starts_before: dt.datetime
    first_day: dt.date
    last_day: dt.date
    offset: int
    limit: int
    hours: tuple[int, int] | None = None  # local start hour in [from, to)
    instructor_id: int | None = None
    class_type_id: int | None = None
    studio_id: int | None = None


# Raw for a measured reason (this is the page clients open most): sorting and cutting the
# window on the class's own row and the two names it sorts by first, then joining what the
# cards show for those rows only (room, instructor, policy: by key, for 200 rows), plans in
# ~0.6 ms where the ORM's one-level join of eight tables took 6-8 ms to plan, and skips ~2
# ms of query building per request. (Re-joining the class itself by id after the cut made
# the planner scan the whole table: 2 ms more to plan, 1-4 ms more to run.)
_WINDOW_SQL = """
WITH win AS MATERIALIZED (
    SELECT s.id, timezone(st.time_zone, s.starts_at) AS local_start,
           st.name AS studio_name, ct.name AS class_type_name,
           s.organization_id, s.status, s.starts_at, s.ends_at, s.capacity, s.booked_count,
           s.waiting_count, s.held_count, s.class_type_id, ct.colour, ct.photo,
           s.instructor_id, s.studio_id, st.time_zone, s.room_id
      FROM scheduling_classsession s
      JOIN studios_studio st ON st.id = s.studio_id
      JOIN scheduling_classtype ct ON ct.id = s.class_type_id
     WHERE s.organization_id = %(organization)s AND s.status = 'scheduled' AND st.active
       AND s.starts_at >= %(starts_from)s AND s.starts_at < %(starts_before)s
       AND timezone(st.time_zone, s.starts_at)::date BETWEEN %(first_day)s AND %(last_day)s
       {narrowing}
     ORDER BY 2, st.time_zone, 3, 4, 1
     LIMIT %(limit)s OFFSET %(offset)s
)
SELECT win.id, win.organization_id, win.status, win.starts_at, win.ends_at, win.capacity,
       win.booked_count, win.waiting_count, win.held_count, win.class_type_id,
       win.class_type_name, win.colour, win.photo, win.instructor_id, u.name, u.email,
       win.studio_id, win.studio_name, win.time_zone, win.room_id, r.name, p.id,
       p.booking_window_days, p.waitlist_mode,
       (SELECT {position} FROM bookings_waitlistentry w
         WHERE w.client_id = %(viewer)s AND w.session_id = win.id AND w.status = 'waiting')
  FROM win
  JOIN studios_room r ON r.id = win.room_id
  LEFT JOIN accounts_membership m ON m.id = win.instructor_id
  LEFT JOIN accounts_user u ON u.id = m.user_id
  LEFT JOIN studios_studiopolicy p ON p.studio_id = win.studio_id
 ORDER BY win.local_start, win.time_zone, win.studio_name, win.class_type_name, win.id
"""
_NARROWING = {
    "hours": (
        "AND EXTRACT(HOUR FROM timezone(st.time_zone, s.starts_at)) >= %(hour_from)s"
        " AND EXTRACT(HOUR FROM timezone(st.time_zone, s.starts_at)) < %(hour_to)s"
    ),
    "instructor_id": "AND s.instructor_id = %(instructor_id)s",
    "class_type_id": "AND s.class_type_id = %(class_type_id)s",
    "studio_id": "AND s.studio_id = %(studio_id)s",
}


def window_statement(window: Window, viewer_id: int) -> Statement:
    """The query of the window's classes in page order (local start, studio, class type),
    with the viewer's waitlist place on each: its rows are `CardRow`s."""
    params: dict[str, Any] = {
        "organization": window.organization_id,
        "starts_from": window.starts_from,
        "starts_before": window.starts_before,
        "first_day": window.first_day,
        "last_day": window.last_day,
        "limit": window.limit,
        "offset": window.offset,
        "viewer": viewer_id,
    }
    narrowing = []
    if window.hours:
        narrowing.append(_NARROWING["hours"])
        params["hour_from"], params["hour_to"] = window.hours
    for name in ("instructor_id", "class_type_id", "studio_id"):
        if getattr(window, name):
            narrowing.append(_NARROWING[name])
            params[name] = getattr(window, name)
    sql = _WINDOW_SQL.format(
        narrowing="\n       ".join(narrowing), position=waitlist_position_sql("w")
    )
    return sql, params


def session_from_row(row: CardRow, organization_time_zone: str) -> ClassSession:
    """An unsaved ClassSession with its related objects in place, holding `row`: what the
    card template and `SessionCard` read, without a query."""
    organization = Organization(pk=row.organization_id, time_zone=organization_time_zone)
    studio = Studio(
        pk=row.studio_id,
        organization=organization,
        name=row.studio_name,
        time_zone=row.studio_time_zone,
    )
    policy = None
    if row.policy_id is not None:
        assert row.booking_window_days is not None and row.waitlist_mode is not None
        policy = StudioPolicy(
            pk=row.policy_id,
            studio=studio,
            booking_window_days=row.booking_window_days,
            waitlist_mode=row.waitlist_mode,
        )
    # The reverse one-to-one's cache: None means "no policy" without asking the database.
    StudioPolicy._meta.get_field("studio").remote_field.set_cached_value(studio, policy)
    instructor = None
    if row.instructor_id is not None:
        instructor = Membership(
            pk=row.instructor_id,
            organization=organization,
            user=User(name=row.instructor_name or "", email=row.instructor_email or ""),
        )
    return ClassSession(
        pk=row.id,
        organization=organization,
        studio=studio,
        room=Room(pk=row.room_id, studio=studio, name=row.room_name),
        class_type=ClassType(
            pk=row.class_type_id,
            organization=organization,
            name=row.class_type_name,
            colour=row.class_type_colour,
            photo=row.class_type_photo,
        ),
        instructor=instructor,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        capacity=row.capacity,
        booked_count=row.booked_count,
        waiting_count=row.waiting_count,
        held_count=row.held_count,
        status=row.status,
    )


_lock = threading.Lock()
_cards: dict[tuple, SafeString] = {}


@dataclass
class BrowseCard:
    """One card of the browse page: its class's row and the viewer's own situation."""

    row: CardRow
    organization_time_zone: str
    booking_reference: str = ""
    overlap: Overlap | None = None

    @property
    def waitlist_position(self) -> int | None:
        return self.row.my_position

    @cached_property
    def local_start(self) -> dt.datetime:
        return to_local(self.row.starts_at, self.row.studio_time_zone)

    def session_card(self) -> SessionCard:
        return SessionCard(
            session_from_row(self.row, self.organization_time_zone),
            self.booking_reference,
            self.row.my_position,
            self.overlap,
        )

    @property
    def html(self) -> SafeString:
        """The card as the card template renders it, from this process's cache when the same
        card was rendered before (for this viewer or another)."""
        return self.html_at(timezone.now(), timeformat.current())

    def html_at(self, now: dt.datetime, locale: timeformat.TimeLocale) -> SafeString:
        """`html` at the moment `now` in `locale` (a page asks the clock once for all)."""
        key = self._key(now, locale)
        html = _cards.get(key)
        if html is None:
            card = self.session_card()
            html = mark_safe(get_template("client/browse/_card.html").render({"card": card}))
            with _lock:
                while len(_cards) >= MAX_CARDS:  # the oldest first (dicts keep insertion order)
                    del _cards[next(iter(_cards))]
                _cards[key] = html
        return html

    def _key(self, now: dt.datetime, locale: timeformat.TimeLocale) -> tuple:
        """Everything the card shows: `SessionCard.state`'s clock tests included."""
        row = self.row
        window = row.booking_window_days
        return (
            row,
            self.organization_time_zone,
            self.booking_reference,
            self.overlap,
            row.starts_at <= now,
            window is not None and booking_opens_at(row.starts_at, window) > now,
            locale,
        )


def clear() -> None:
    with _lock:
        _cards.clear()
