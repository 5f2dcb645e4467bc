"""Everything a booking reads before it takes the class lock, in one round trip.

Booking a class reads the class itself (context: the class with what hangs off it),
whether the client is ready to book (onboarding.readiness: waivers, health form), their
state (eligibility: suspension, held places, packages), the class type's requirements they
have not met (onboarding.requirements), the booking's id with its predicted spot (_place:
the draw), and whether a webhook endpoint listens for new bookings (webhooks.events). Each
module keeps its own SQL and its own reading of the result; this module runs them as one
statement, because on a busy machine each round trip costs a booking several milliseconds
(bench/booking.py prints the phases). The checks then run in their usual order on what was
read, so the client still hears about the first thing to fix.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connection

from reformer.accounts.models import Membership
from reformer.bookings.actions._place import DRAW_SQL, draw_params
from reformer.bookings.audit_codes import BOOKINGS_BOOKING_CREATED
from reformer.bookings.context import session_from_row, session_select
from reformer.bookings.eligibility import (
    CLIENT_STATE_SQL,
    Prechecked,
    client_state_from,
    client_state_params,
)
from reformer.core.batched_reads import planned_cursor
from reformer.core.timezones import local_week_bounds
from reformer.onboarding.readiness import (
    READINESS_SQL,
    Readiness,
    readiness_from,
    readiness_params,
)
from reformer.onboarding.requirements import UNMET_JSON_SQL, unmet_from, unmet_params
from reformer.scheduling.models import ClassSession
from reformer.studios.models import Spot
from reformer.webhooks.events import AUDIT_EVENTS, SUBSCRIBED_SQL

_BEFORE_LOCK_SQL = f"""
SELECT ready.*, client_state.*, ({UNMET_JSON_SQL}) AS unmet, {SUBSCRIBED_SQL}, draw.*
  FROM ({READINESS_SQL}) AS ready,
       ({CLIENT_STATE_SQL}) AS client_state,
       ({DRAW_SQL}) AS draw
"""

# The class's own values the reads above take as parameters, read from the class row in the
# same statement instead (so the class and the reads are one round trip). The week is the
# class's local week, as core.timezones.local_week_bounds gives it; the statement also
# returns the bounds it used, and load_before_lock checks them against that function (one
# home for the rule; a zone whose midnight is ambiguous is read again with its bounds).
_CLASS = "(SELECT {} FROM scheduling_classsession c WHERE c.id = %(session_id)s)"
_LOCAL_MONDAY = (
    "date_trunc('week', c.starts_at AT TIME ZONE (SELECT time_zone FROM studios_studio"
    " WHERE id = c.studio_id))"
)
_WEEK_END = f"({_LOCAL_MONDAY} + interval '7 days')"
_AS_UTC = "{} AT TIME ZONE (SELECT time_zone FROM studios_studio WHERE id = c.studio_id)"
_FROM_CLASS = {
    "%(class_type)s": _CLASS.format("c.class_type_id"),
    "%(room_id)s": _CLASS.format("CASE WHEN %(spot_chosen)s THEN NULL ELSE c.room_id END"),
    "%(week_start)s": _CLASS.format(_AS_UTC.format(_LOCAL_MONDAY)),
    "%(week_end)s": _CLASS.format(_AS_UTC.format(_WEEK_END)),
}


def _from_class(sql: str) -> str:
    for placeholder, read in _FROM_CLASS.items():
        sql = sql.replace(placeholder, read)
    return sql


# OFFSET 0 keeps the reads a subquery of their own: flattened into the class's joins they
# made one search over a dozen tables, whose planning took ten times the execution.
@cache
def _with_class_sql() -> str:
    columns, source, _count = session_select()
    return f"""
SELECT {columns}, {_FROM_CLASS["%(week_start)s"]}, {_FROM_CLASS["%(week_end)s"]}, before.*
  FROM {source}
 CROSS JOIN ({_from_class(_BEFORE_LOCK_SQL)} OFFSET 0) AS before
 WHERE s.id = %(session_id)s
"""


BOOKING_CREATED_EVENT = AUDIT_EVENTS[BOOKINGS_BOOKING_CREATED]


@dataclass
class BeforeLock:
    readiness: Readiness
    checked: Prechecked  # the client's state and the requirements they have not met
    drawn: tuple[int, int | None, str | None]  # the booking's id, predicted spot and label
    webhook_subscribed: bool  # whether anyone listens for "booking.created" (webhooks)


def load_before_lock(
    session_id: int, client: Membership, spot: Spot | None, *, now: dt.datetime
) -> tuple[ClassSession, BeforeLock]:
    """The class (as context.load_session reads it) and everything else read before the
    lock, for `client`, in one round trip."""
    params: dict[str, int | bool | str | dt.datetime] = {
        "org": client.organization_id,
        "client": client.pk,
        "now": now,
        "session_id": session_id,
        "spot_chosen": spot is not None,
        "webhook_event": BOOKING_CREATED_EVENT,
    }
    with planned_cursor() as cursor:  # planned once per connection, not per booking
        cursor.execute(_with_class_sql(), params)
        row = cursor.fetchone()
    if row is None:
        raise ClassSession.DoesNotExist(f"No class {session_id}.")
    session = session_from_row(row)
    count = session_select()[2]
    week = local_week_bounds(session.starts_at, session.studio.time_zone)
    if tuple(row[count : count + 2]) != week:  # the SQL's week differs: read it again
        return session, read_before_lock(client, session, spot, now=now)
    return session, _before_lock_from(client, row[count + 2 :])


def read_before_lock(
    client: Membership, session: ClassSession, spot: Spot | None, *, now: dt.datetime
) -> BeforeLock:
    """`session` as context.load_session reads it (its studio's zone sets the week)."""
    params = (
        readiness_params(client)
        | client_state_params(client, session, now=now)
        | unmet_params(client, session.class_type_id)
        | draw_params(session, spot)
        | {"webhook_event": BOOKING_CREATED_EVENT}
    )
    with connection.cursor() as cursor:
        cursor.execute(_BEFORE_LOCK_SQL, params)
        row = cursor.fetchone()
    return _before_lock_from(client, row)


def _before_lock_from(client: Membership, row: Sequence[Any]) -> BeforeLock:
    documents, intake_missing, suspended_until, holding, packages, unmet, subscribed, *drawn = row
    return BeforeLock(
        readiness=readiness_from(documents, intake_missing),
        checked=Prechecked(
            state=client_state_from(client, suspended_until, holding, packages),
            unmet=unmet_from(unmet),
        ),
        drawn=(drawn[0], drawn[1], drawn[2]),
        webhook_subscribed=subscribed,
    )
