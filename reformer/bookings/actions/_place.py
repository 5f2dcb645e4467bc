"""Taking and giving back a place in a class: the statements run under the class row lock.

The guarded counter update both locks the class row and checks capacity (the check
constraint session_not_overbooked backs it). Everything else a booking writes happens in
as few round trips as possible after it, because the lock is held until commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import connection

from reformer.bookings.class_state import STATE_OF_ONE_SQL, state_from_row
from reformer.bookings.errors import BOOKING_COUNT_MISMATCH
from reformer.bookings.models import Booking
from reformer.bookings.rules import HOLDING_SQL
from reformer.core.errors import DomainError
from reformer.scheduling.models import ClassSession
from reformer.studios.models import Spot

# A direct booking takes only a place nobody holds; a promotion takes a place held for the
# waitlist when there is one (places are held only while someone waits: PHX-16).
_TAKE_SQL = """
UPDATE scheduling_classsession
   SET booked_count = booked_count + 1,
       held_count = CASE WHEN %(promotion)s THEN GREATEST(held_count - 1, 0) ELSE held_count END
 WHERE id = %(session_id)s AND status = 'scheduled' AND starts_at > %(now)s
   AND (CASE WHEN %(promotion)s THEN booked_count < capacity
             ELSE booked_count + held_count < capacity END)
RETURNING booked_count
"""

# A separate statement from _TAKE_SQL on purpose: under READ COMMITTED a statement sees the
# data as of its start, so the free-spot search must start after the lock is ours, or it
# would miss a spot taken by the booking we waited for.
_INSERT_BODY = f"""
INSERT INTO bookings_booking
       (id, organization_id, session_id, client_id, client_package_id, spot_id, starts_at, ends_at,
        status, is_late, checked_in_at, cancelled_at, cancel_reason, credit_returned,
        strike_used_at, source, reference, created_at)
SELECT %(booking_id)s, %(organization_id)s, %(session_id)s, %(client_id)s, %(package_id)s,
       COALESCE(%(spot_id)s, (
           SELECT spot.id FROM studios_spot spot
            WHERE spot.room_id = %(room_id)s AND spot.active
              AND NOT EXISTS (
                  SELECT 1 FROM bookings_booking taken
                   WHERE taken.session_id = %(session_id)s AND taken.spot_id = spot.id
                     AND taken.status IN {HOLDING_SQL})
            ORDER BY spot."row", spot."column", spot.label, spot.id
            LIMIT 1)),
       %(starts_at)s, %(ends_at)s, 'confirmed', false, NULL, NULL, '', false,
       NULL, %(source)s, %(reference)s, %(now)s
"""
_INSERT_SQL = (
    _INSERT_BODY + "RETURNING spot_id, (SELECT label FROM studios_spot WHERE id = spot_id)"
)

# The same insert, answering also with the class's public state for its live event (read
# here, under the lock, rather than by a query after commit: bookings/class_state.py). The
# guarded update ran before, so the counts and version are this booking's; the holders
# lack only the row this statement inserts (state_from_row adds it).
_INSERT_WITH_STATE_SQL = f"""
WITH placed AS ({_INSERT_BODY} RETURNING spot_id)
SELECT placed.spot_id, spot.label, state.*
  FROM placed
 CROSS JOIN ({STATE_OF_ONE_SQL}) AS state
  LEFT JOIN studios_spot spot ON spot.id = placed.spot_id
"""

# The take and the insert sent together, in one round trip, with no answer in between
# (take_place_statements). They stay two statements, for the reason above: PostgreSQL runs
# them one after the other, the insert's snapshot taken when it starts, after the take has
# the lock. The take marks its success in a transaction-local setting holding the booking's
# id; the insert inserts only when the mark is this booking's, so after a refused take it
# (and the credit spend guarded by the booking row: billing.spend_statement) does nothing.
# The mark is local to the transaction (or the savepoint it was set in) and names the
# booking, so an earlier booking in the same transaction (a switch) cannot pass for this one.
_MARK = "set_config('reformer.placed', %(booking_id)s::text, true)"
_IF_MARKED = "WHERE current_setting('reformer.placed', true) = %(booking_id)s::text\n"
_INSERT_IF_MARKED_SQL = (
    _INSERT_BODY
    + _IF_MARKED
    + "RETURNING spot_id, (SELECT label FROM studios_spot WHERE id = spot_id)"
)
_INSERT_WITH_STATE_IF_MARKED_SQL = _INSERT_WITH_STATE_SQL.replace(
    "RETURNING spot_id)", f"{_IF_MARKED}RETURNING spot_id)"
)

# With `hold`, the freed place is kept for the waitlist while someone waits who has no
# place held yet; the promotion job gives it away or releases it.
_RELEASE_SQL = """
UPDATE scheduling_classsession
   SET booked_count = booked_count - 1,
       held_count = held_count + (%(hold)s AND waiting_count > held_count)::int
 WHERE id = %(session_id)s AND booked_count > 0
RETURNING booked_count, capacity, waiting_count, held_count
"""

# Capacity raised: hold the new places for the waitlist, as many as people wait for.
_HOLD_ADDED_SQL = """
UPDATE scheduling_classsession
   SET held_count = LEAST(capacity - booked_count, waiting_count)
 WHERE id = %(session_id)s AND status = 'scheduled'
"""

_RELEASE_HOLDS_SQL = """
UPDATE scheduling_classsession SET held_count = 0 WHERE id = %(session_id)s AND held_count > 0
RETURNING id
"""

# One round trip before the lock: draw the booking's id (so the audit row and the
# confirmation can be written before the class is locked) and predict its spot from the
# committed data. take_place decides the spot for real under the lock.
_DRAW_SQL = f"""
SELECT nextval(pg_get_serial_sequence('bookings_booking', 'id')), free.id, free.label
  FROM (SELECT 1) AS one
  LEFT JOIN LATERAL (
       SELECT spot.id, spot.label FROM studios_spot spot
        WHERE spot.room_id = %(room_id)s AND spot.active
          AND NOT EXISTS (
              SELECT 1 FROM bookings_booking taken
               WHERE taken.session_id = %(session_id)s AND taken.spot_id = spot.id
                 AND taken.status IN {HOLDING_SQL})
        ORDER BY spot."row", spot."column", spot.label, spot.id
        LIMIT 1) AS free ON true
"""


# The draw as a part of a larger query (bookings.actions._prechecks): its three columns.
DRAW_SQL = _DRAW_SQL


def draw_params(session: ClassSession, spot: Spot | None) -> dict[str, int | None]:
    return {"room_id": None if spot else session.room_id, "session_id": session.pk}


@dataclass
class Released:
    booked_count: int
    capacity: int
    waiting_count: int
    held_count: int


def new_booking(
    session: ClassSession,
    *,
    client_id: int,
    package_id: int,
    spot: Spot | None,
    source: str,
    reference: str,
    now: dt.datetime,
    drawn: tuple[int, int | None, str | None] | None = None,
) -> tuple[Booking, str]:
    """The booking about to be inserted, its id drawn already, with the chosen spot or the
    predicted free one (and that spot's label). `drawn`: DRAW_SQL's row when already read
    (bookings.actions._prechecks)."""
    if drawn is None:
        with connection.cursor() as cursor:
            cursor.execute(_DRAW_SQL, draw_params(session, spot))
            drawn = cursor.fetchone()
    booking_id, spot_id, label = drawn
    if spot is not None:
        spot_id, label = spot.pk, spot.label
    booking = Booking(
        pk=booking_id,
        organization_id=session.organization_id,
        session=session,
        client_id=client_id,
        client_package_id=package_id,
        spot_id=spot_id,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        status=Booking.Status.CONFIRMED,
        source=source,
        reference=reference,
        created_at=now,
    )
    booking._state.adding = False
    booking._state.db = "default"
    return booking, label or ""


@dataclass
class Placed:
    spot_label: str  # "" without a spot
    # The class's public state as this booking's commit leaves it (with_state only): a
    # function, so that turning the row into it happens after commit, not under the lock.
    state: Callable[[], dict[str, Any]] | None


def take_place(
    booking: Booking, *, chosen_spot: bool, now: dt.datetime, with_state: bool = False
) -> Placed | None:
    """Lock the class and count the place, then insert the booking with the chosen spot or
    the first free one (searched now that the lock is ours; sets booking.spot_id).
    None when there is no place. `with_state`: also read the class's public state for the
    live event (only right when nothing else changes the class before the commit)."""
    with connection.cursor() as cursor:
        cursor.execute(_TAKE_SQL, _take_params(booking, now))
        if cursor.fetchone() is None:
            return None
        cursor.execute(
            _INSERT_WITH_STATE_SQL if with_state else _INSERT_SQL,
            _insert_params(booking, chosen_spot, now),
        )
        return placed(booking, cursor.fetchone(), with_state=with_state)


def take_place_statements(
    booking: Booking, *, chosen_spot: bool, now: dt.datetime, with_state: bool = False
) -> list[tuple[str, dict[str, Any]]]:
    """take_place's two statements, to be sent in one round trip: the insert does nothing
    when the take found no place (see _MARK). placed() reads the insert's answer."""
    return [
        (
            _TAKE_SQL.replace("RETURNING booked_count", f"RETURNING booked_count, {_MARK}"),
            _take_params(booking, now) | {"booking_id": booking.pk},
        ),
        (
            _INSERT_WITH_STATE_IF_MARKED_SQL if with_state else _INSERT_IF_MARKED_SQL,
            _insert_params(booking, chosen_spot, now),
        ),
    ]


def placed(
    booking: Booking, row: tuple[Any, ...] | None, *, with_state: bool = False
) -> Placed | None:
    """The insert's answer (None: no row, the take found no place); sets booking.spot_id."""
    if row is None:
        return None
    booking.spot_id, label, *state = row
    return Placed(
        spot_label=label or "",
        state=partial(state_from_row, state, new_holder=booking.client_id) if with_state else None,
    )


def _take_params(booking: Booking, now: dt.datetime) -> dict[str, Any]:
    return {
        "session_id": booking.session_id,
        "now": now,
        "promotion": booking.source == Booking.Source.WAITLIST,
    }


def _insert_params(booking: Booking, chosen_spot: bool, now: dt.datetime) -> dict[str, Any]:
    session = booking.session
    return {
        "booking_id": booking.pk,
        "organization_id": booking.organization_id,
        "session_id": session.pk,
        "client_id": booking.client_id,
        "package_id": booking.client_package_id,
        "spot_id": booking.spot_id if chosen_spot else None,
        "room_id": session.room_id,
        "starts_at": booking.starts_at,
        "ends_at": booking.ends_at,
        "source": booking.source,
        "reference": booking.reference,
        "now": now,
    }


def release_place(session_id: int, *, hold_for_waitlist: bool) -> Released:
    """Lock the class and give one place back: to the waitlist when asked and someone waits
    (held_count), otherwise to anyone."""
    with connection.cursor() as cursor:
        cursor.execute(_RELEASE_SQL, {"session_id": session_id, "hold": hold_for_waitlist})
        row = cursor.fetchone()
    if row is None:
        raise DomainError(BOOKING_COUNT_MISMATCH, "This class has no booked places to free.")
    return Released(*row)


def hold_added_places(session_id: int) -> None:
    """After a capacity increase: keep the new places for the people waiting."""
    with connection.cursor() as cursor:
        cursor.execute(_HOLD_ADDED_SQL, {"session_id": session_id})


def release_held_places(session_id: int) -> bool:
    """No one waiting can take the held places (or promotion stopped): open them to all."""
    with connection.cursor() as cursor:
        cursor.execute(_RELEASE_HOLDS_SQL, {"session_id": session_id})
        return cursor.fetchone() is not None


def why_no_place(session_id: int, *, now: dt.datetime) -> str:
    """After a refused guarded update: 'cancelled', 'started' or 'full'."""
    status, starts_at = ClassSession.objects.values_list("status", "starts_at").get(pk=session_id)
    if status != ClassSession.Status.SCHEDULED:
        return "cancelled"
    return "started" if starts_at <= now else "full"
