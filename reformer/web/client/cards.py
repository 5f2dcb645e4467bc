"""A class as one client sees it (`SessionCard`), and the viewer's own places that shape it.

The card template (client/browse/_card.html) reads a `SessionCard`: the class page, the
booking dialog, the live updates (card_cache.py) and the browse page (browse_cards.py) all
render a card through it.

A card depends on the viewer in three ways: their own booking of the class, their waitlist
place, and a booking of theirs at the same time in another class (the overlap note).
`HeldPlace` is one of the viewer's held bookings; `first_overlap` is the overlap rule, the
one the database enforces with `booking_no_client_overlap`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache

from django.urls import reverse
from django.utils import timezone

from reformer.bookings.models import Booking
from reformer.bookings.rules import HOLDING_SQL, booking_opens_at
from reformer.core import timeformat
from reformer.core.batched_reads import Statement, read_together
from reformer.core.timezones import to_local
from reformer.scheduling.models import ClassSession
from reformer.studios.models import StudioPolicy

_PK = 987654321


@lru_cache(maxsize=16)
def url_format(name: str) -> str:
    """A URL pattern with "{}" for the id: one reverse() per process, not one per card."""
    return reverse(name, args=[_PK]).replace(str(_PK), "{}")


@dataclass(frozen=True)
class HeldPlace:
    """One of the viewer's held bookings, with what an overlap note says about it."""

    session_id: int
    reference: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    class_name: str
    time_zone: str
    cancellation_hours: int  # the studio's free-cancellation window


@dataclass
class HeldPlaces:
    """The viewer's held bookings around some classes: their own booking of each (by class)
    and, in start order, every place an overlap note may name."""

    references: dict[int, str]
    places: list[HeldPlace]


# A studio without a saved policy follows the defaults (bookings.context.policy_of).
_DEFAULT_CANCELLATION_HOURS = StudioPolicy._meta.get_field("cancellation_window_hours").default

# Raw beside the browse window (browse_cards.py): read on every browse page, and the ORM
# took ~1.4 ms of CPU to build it.
_HELD_SQL = f"""
SELECT b.session_id, b.reference, b.starts_at, b.ends_at, b.status, ct.name, st.time_zone,
       COALESCE(p.cancellation_window_hours, {_DEFAULT_CANCELLATION_HOURS})
  FROM bookings_booking b
  JOIN scheduling_classsession s ON s.id = b.session_id
  JOIN scheduling_classtype ct ON ct.id = s.class_type_id
  JOIN studios_studio st ON st.id = s.studio_id
  LEFT JOIN studios_studiopolicy p ON p.studio_id = s.studio_id
 WHERE b.client_id = %(client)s AND b.status IN {HOLDING_SQL}
   AND b.starts_at < %(last_end)s AND b.ends_at > %(first_start)s
 ORDER BY b.starts_at, b.id
"""


def held_places(client_id: int, spans: Iterable[tuple[dt.datetime, dt.datetime]]) -> HeldPlaces:
    """One query: the client's held bookings at the times of some classes (their (start,
    end) spans), their own bookings of those classes included: a booking copies its class's
    times, and a class with bookings can't be moved (scheduling.actions.sessions)."""
    spans = list(spans)
    if not spans:
        return HeldPlaces({}, [])
    first_start = min(start for start, _ in spans)
    (rows,) = read_together(held_statement(client_id, first_start, max(end for _, end in spans)))
    return held_places_of(rows)


def held_statement(
    client_id: int, first_start: dt.datetime, last_end: dt.datetime | None = None
) -> Statement:
    """The query of the client's held bookings that end after `first_start` and begin before
    `last_end` (None: however late); `held_places_of` reads its rows."""
    last_end = last_end or dt.datetime.max.replace(tzinfo=dt.UTC)
    return _HELD_SQL, {"client": client_id, "first_start": first_start, "last_end": last_end}


def held_places_of(rows: Iterable[tuple]) -> HeldPlaces:
    places = [HeldPlace(*row) for row in rows]
    return HeldPlaces({place.session_id: place.reference for place in places}, places)


def first_overlap(
    held: Iterable[HeldPlace], session_id: int, starts_at: dt.datetime, ends_at: dt.datetime
) -> HeldPlace | None:
    """The viewer's first held place (by start; `held` is in start order) in another class
    at the same time as [starts_at, ends_at): they can't hold both."""
    for place in held:
        if place.starts_at >= ends_at:
            return None
        if place.session_id != session_id and place.ends_at > starts_at:
            return place
    return None


@dataclass(frozen=True)
class Overlap:
    """The viewer's own booking that overlaps a class (they can't hold both)."""

    reference: str
    starts_at: dt.datetime
    class_name: str
    time_zone: str
    switchable: bool  # cancelling it now is free: the card offers to switch

    @property
    def text(self) -> str:
        start = timeformat.when(to_local(self.starts_at, self.time_zone), "time")
        return f"Overlaps your {start} {self.class_name}"

    @property
    def booking_url(self) -> str:
        return reverse("client:booking_detail", args=[self.reference])

    @classmethod
    def of(cls, place: HeldPlace | None, now: dt.datetime) -> Overlap | None:
        if place is None:
            return None
        deadline = place.starts_at - dt.timedelta(hours=place.cancellation_hours)
        return cls(
            reference=place.reference,
            starts_at=place.starts_at,
            class_name=place.class_name,
            time_zone=place.time_zone,
            switchable=place.status == Booking.Status.CONFIRMED and now < deadline,
        )


@dataclass
class SessionCard:
    """A session as one client sees it: availability plus their own booking, waitlist place
    and overlapping booking.

    Texts and URLs are ready-made here so that the template does as little as possible."""

    session: ClassSession
    booking_reference: str = ""
    waitlist_position: int | None = None
    overlap: Overlap | None = None

    @cached_property
    def local_start(self) -> dt.datetime:
        return to_local(self.session.starts_at, self.session.studio.time_zone)

    @property
    def start_text(self) -> str:
        return timeformat.when(self.local_start, "time")

    @property
    def when_text(self) -> str:
        start = self.local_start
        return f"{timeformat.when(start, 'time')}, {timeformat.when(start, 'day_long')}"

    @property
    def zone_text(self) -> str:
        """The zone's abbreviation when the studio keeps another time than the organization."""
        session = self.session
        if session.studio.time_zone == session.organization.time_zone:
            return ""
        return f"{self.local_start:%Z}"

    @property
    def minutes(self) -> int:
        return int((self.session.ends_at - self.session.starts_at).total_seconds() // 60)

    @cached_property
    def opens_at(self) -> dt.datetime | None:
        """When booking opens, if the studio's booking window has not reached the class yet."""
        policy = getattr(self.session.studio, "policy", None)
        if policy is None:
            return None
        opens = booking_opens_at(self.session.starts_at, policy.booking_window_days)
        return opens if opens > timezone.now() else None

    @property
    def opens_text(self) -> str:
        opens = to_local(self.opens_at, self.session.studio.time_zone) if self.opens_at else None
        return timeformat.when(opens, "day_time") if opens else ""

    @property
    def waitlist_open(self) -> bool:
        policy = getattr(self.session.studio, "policy", None)
        return policy is None or policy.waitlist_mode != "off"

    @cached_property
    def state(self) -> str:
        """booked, waiting, cancelled, started, not_open, overlap, full, or open."""
        session = self.session
        if self.booking_reference:
            return "booked"
        if self.waitlist_position is not None:
            return "waiting"
        if session.status == ClassSession.Status.CANCELLED:
            return "cancelled"
        if session.starts_at <= timezone.now():
            return "started"
        if self.opens_at is not None:
            return "not_open"
        if self.overlap is not None:
            return "overlap"
        return "full" if session.is_full else "open"

    @property
    def detail_url(self) -> str:
        return url_format("client:session_detail").format(self.session.pk)

    @property
    def book_url(self) -> str:
        return url_format("client:book").format(self.session.pk)

    @property
    def join_url(self) -> str:
        return url_format("client:join_waitlist").format(self.session.pk)

    @property
    def leave_url(self) -> str:
        return url_format("client:leave_waitlist").format(self.session.pk)

    @property
    def booking_url(self) -> str:
        return reverse("client:booking_detail", args=[self.booking_reference])
