"""A class's public state, read once after the change that caused it and sent with its live event.

Every "session" live event (a place taken or freed, a waitlist change, a class edited or
cancelled) carries, for each of its classes, everything a class card shows: counts, status,
times, names, the studio's booking policy, and who holds a place and who waits in which order
(membership ids: the consumer works out each viewer's own situation from them, so it needs no
query per viewer). One query per event, in the publishing process, whatever the number of
viewers (core/live.py attaches it after commit). A booking reads it inside its own
transaction instead, in the statement that inserts the booking (STATE_OF_ONE_SQL, see
bookings/actions/_place.py): then the state is exactly the one its commit makes, and there
is no query after commit.

`version` is the row's `live_version` (bumped by a trigger on every UPDATE, migration
scheduling/0003): of two states of one class, the higher version is the newer. Values are
plain JSON types (the Redis channel layer serializes messages with msgpack).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection

from reformer.bookings.rules import HOLDING_SQL, waitlist_order_sql
from reformer.core.rawsql import to_one

# A live event names at most this many classes with their state (a page shows 200 cards;
# generation may publish more "created" ids, which no open page shows yet).
MAX_STATES = 200

_STATE_SELECT = f"""
SELECT s.id, s.organization_id, s.studio_id, s.live_version, s.booked_count, s.waiting_count,
       s.held_count, s.capacity, s.status, s.starts_at, s.ends_at,
       ct.name, ct.colour, s.class_type_id, ct.photo, s.instructor_id,
       CASE WHEN u.id IS NULL THEN NULL
            ELSE COALESCE(NULLIF(u.name, ''), split_part(u.email, '@', 1)) END,
       st.name, st.time_zone, r.name, o.time_zone, o.locale, p.booking_window_days,
       p.waitlist_mode,
       ARRAY(SELECT b.client_id FROM bookings_booking b
              WHERE b.session_id = s.id AND b.status IN {HOLDING_SQL} ORDER BY b.client_id),
       ARRAY(SELECT w.client_id FROM bookings_waitlistentry w
              WHERE w.session_id = s.id AND w.status = 'waiting'
              ORDER BY {waitlist_order_sql("w")})
  FROM scheduling_classsession s
  {to_one("scheduling_classtype", "ct", "id = s.class_type_id")}
  {to_one("studios_studio", "st", "id = s.studio_id")}
  {to_one("studios_room", "r", "id = s.room_id")}
  {to_one("studios_organization", "o", "id = s.organization_id")}
  {to_one("accounts_membership", "m", "id = s.instructor_id", optional=True)}
  {to_one("accounts_user", "u", "id = m.user_id", optional=True)}
  {to_one("studios_studiopolicy", "p", "studio_id = s.studio_id", optional=True)}
"""
_STATE_SQL = _STATE_SELECT + " WHERE s.id = ANY(%s) ORDER BY s.id"

# One class's state as a part of a larger statement (named parameter `session_id`);
# state_from_row reads its columns.
STATE_OF_ONE_SQL = _STATE_SELECT + " WHERE s.id = %(session_id)s"

_KEYS = (
    "id",
    "organization_id",
    "studio_id",
    "version",
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
    "holders",
    "waiting",
)


def class_states(session_ids: Iterable[int]) -> list[dict[str, Any]]:
    """The public state of each existing class of `session_ids` (at most MAX_STATES), one
    query. Deleted classes are simply absent."""
    ids = list(dict.fromkeys(int(pk) for pk in session_ids))[:MAX_STATES]
    if not ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_STATE_SQL, [ids])
        rows = cursor.fetchall()
    return [state_from_row(row) for row in rows]


def state_from_row(row: Sequence[Any], *, new_holder: int | None = None) -> dict[str, Any]:
    """The state from the columns of a state query. `new_holder`: a client whose booking the same
    statement inserts (a statement does not see its own writes, so the holders read beside
    the INSERT lack it)."""
    state = dict(zip(_KEYS, row, strict=True))
    state["starts_at"] = state["starts_at"].isoformat()
    state["ends_at"] = state["ends_at"].isoformat()
    holders = list(state["holders"])
    if new_holder is not None and new_holder not in holders:
        holders = sorted([*holders, new_holder])
    state["holders"] = holders
    state["waiting"] = list(state["waiting"])
    return state
