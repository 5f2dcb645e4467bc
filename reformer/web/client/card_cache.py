"""Class cards for live updates, built from the state the event carries, rendered once per
distinct state and viewer situation and shared by every socket of this process.

A booking changes one class; every open browse page then needs that card again. The event
carries the class's public state (bookings/class_state.py) and the socket knows its viewer
(web/client/live.py), so a card needs no database at all: the state becomes unsaved model
instances the page's own template and `SessionCard` read, exactly as the page renders them.
Most viewers hold no place in the class: their cards are one string, rendered once.

The key is everything the card shows: the state's displayed values, the viewer's situation
(their booking reference, their waitlist position, or their own class at the same time:
"Overlaps your 17:30 ...") and the clock's part (started, booking
not yet open). Rendering happens in the event loop, so there are no concurrent renders; the
lock only guards the sync path (tests, render_event in a thread).
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from typing import Any

from reformer.accounts.models import Membership, User
from reformer.bookings.rules import booking_opens_at
from reformer.core import timeformat
from reformer.scheduling.models import ClassSession, ClassType
from reformer.studios.models import Organization, Room, Studio, StudioPolicy
from reformer.web.client.cards import HeldPlace, Overlap, SessionCard
from reformer.web.live_render import fragment

MAX_ENTRIES = 4000

# The state's values a card shows (holders and waiting are the viewer's situation instead).
DISPLAYED = (
    "id",
    "booked_count",
    "waiting_count",
    "held_count",
    "capacity",
    "status",
    "starts_at",
    "ends_at",
    "class_type_name",
    "class_type_colour",
    "class_type_id",
    "class_type_photo",
    "instructor_id",
    "instructor_name",
    "studio_name",
    "studio_time_zone",
    "room_name",
    "organization_time_zone",
    "organization_locale",
    "booking_window_days",
    "waitlist_mode",
)

_lock = threading.Lock()
_cards: dict[tuple, str] = {}


def own_position(state: dict[str, Any], membership_id: int) -> int | None:
    """The viewer's place on the class's waitlist (1 = next), None when not waiting."""
    waiting = state["waiting"]
    return waiting.index(membership_id) + 1 if membership_id in waiting else None


def card_html(
    state: dict[str, Any],
    reference: str,
    position: int | None,
    overlap: HeldPlace | None = None,
) -> str:
    """The card (an out-of-band swap) for a viewer holding `reference` ("" for none) or
    waiting at `position`, whose own place `overlap` is at the same time, if any."""
    # Called once per socket for the same state: everything here is a few lookups (the
    # moments the clock part turns on are worked out once per class and time).
    starts_at, opens_at = _moments(state["starts_at"], state["booking_window_days"])
    now = dt.datetime.now(dt.UTC)
    clock = (starts_at <= now, opens_at is not None and opens_at > now)
    note = Overlap.of(overlap, now)
    # The locale too: times are written as the viewer's organization writes them.
    key = (
        tuple(map(state.__getitem__, DISPLAYED)),
        reference,
        position,
        clock,
        timeformat.current(),
        note,  # what the overlap note says, and whether it offers to switch
    )
    html = _cards.get(key)
    if html is None:
        html = _render(state, reference, position, note)
        with _lock:
            if len(_cards) >= MAX_ENTRIES:
                _cards.clear()
            _cards[key] = html
    return html


@functools.lru_cache(maxsize=MAX_ENTRIES)
def _moments(starts_at: str, window: int | None) -> tuple[dt.datetime, dt.datetime | None]:
    """When the class starts, and when it opens for booking (None: no booking window)."""
    start = dt.datetime.fromisoformat(starts_at)
    return start, None if window is None else booking_opens_at(start, window)


def _render(
    state: dict[str, Any], reference: str, position: int | None, overlap: Overlap | None
) -> str:
    card = SessionCard(session_from_state(state), reference, position, overlap)
    return fragment("client/browse/_card.html", {"card": card, "oob": True})


def session_from_state(state: dict[str, Any]) -> ClassSession:
    """An unsaved ClassSession (with its related objects in place) holding `state`: what the
    card template reads, without a query."""
    organization = Organization(
        pk=state["organization_id"],
        time_zone=state["organization_time_zone"],
        locale=state["organization_locale"],
    )
    studio = Studio(
        pk=state["studio_id"],
        organization=organization,
        name=state["studio_name"],
        time_zone=state["studio_time_zone"],
    )
    policy = None
    if state["booking_window_days"] is not None:
        policy = StudioPolicy(
            studio=studio,
            booking_window_days=state["booking_window_days"],
            waitlist_mode=state["waitlist_mode"],
        )
    # The reverse one-to-one's cache: None means "no policy" without asking the database.
    StudioPolicy._meta.get_field("studio").remote_field.set_cached_value(studio, policy)
    instructor = None
    if state["instructor_id"] is not None:
        instructor = Membership(
            pk=state["instructor_id"],
            organization=organization,
            user=User(name=state["instructor_name"] or ""),
        )
    return ClassSession(
        pk=state["id"],
        organization=organization,
        studio=studio,
        room=Room(studio=studio, name=state["room_name"]),
        class_type=ClassType(
            pk=state["class_type_id"],
            organization=organization,
            name=state["class_type_name"],
            colour=state["class_type_colour"],
            photo=state["class_type_photo"],
        ),
        instructor=instructor,
        starts_at=dt.datetime.fromisoformat(state["starts_at"]),
        ends_at=dt.datetime.fromisoformat(state["ends_at"]),
        capacity=state["capacity"],
        booked_count=state["booked_count"],
        waiting_count=state["waiting_count"],
        held_count=state["held_count"],
        status=state["status"],
    )


def warm_up() -> None:
    """Render a card for a made-up class, as the first live event would (its URLs, template
    tags, time formats): in a fresh process that first render, in the event loop, held up
    the first booking's fan-out. Nothing is kept in the cache."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    state: dict[str, Any] = {key: None for key in DISPLAYED}
    state.update(
        id=0,
        organization_id=0,
        studio_id=0,
        booked_count=1,
        waiting_count=0,
        held_count=0,
        capacity=10,
        status=ClassSession.Status.SCHEDULED,
        starts_at=(now + dt.timedelta(days=1)).isoformat(),
        ends_at=(now + dt.timedelta(days=1, hours=1)).isoformat(),
        class_type_name="Warm-up",
        class_type_colour="",
        class_type_id=0,
        class_type_photo="",
        studio_name="Warm-up",
        studio_time_zone="UTC",
        room_name="Warm-up",
        organization_time_zone="UTC",
        organization_locale="",
        booking_window_days=None,
        waitlist_mode="auto",
    )
    for reference, position in (("", None), ("WARMUP", None), ("", 1)):
        _render(state, reference, position, None)


def clear() -> None:
    with _lock:
        _cards.clear()
    _moments.cache_clear()
