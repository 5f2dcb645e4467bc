"""Everything a booking reads before it takes the class lock, in one round trip.

Booking a class reads, after the class itself (context.load_session): whether the client is
ready to book (onboarding.readiness: waivers, health form), their state (eligibility:
suspension, held places, packages), the class type's requirements they have not met
(onboarding.requirements), and the booking's id with its predicted spot (_place: the draw).
Each module keeps its own SQL and its own reading of the result; this module runs the four
as one statement, because on a busy machine each round trip costs a booking several
milliseconds (bench/booking.py prints the phases). The checks then run in their usual order
on what was read, so the client still hears about the first thing to fix.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection

from reformer.accounts.models import Membership
from reformer.bookings.actions._place import DRAW_SQL, draw_params
from reformer.bookings.eligibility import (
    CLIENT_STATE_SQL,
    Prechecked,
    client_state_from,
    client_state_params,
)
from reformer.onboarding.readiness import (
    READINESS_SQL,
    Readiness,
    readiness_from,
    readiness_params,
)
from reformer.onboarding.requirements import UNMET_JSON_SQL, unmet_from, unmet_params
from reformer.scheduling.models import ClassSession
from reformer.studios.models import Spot

_BEFORE_LOCK_SQL = f"""
SELECT ready.*, client_state.*, ({UNMET_JSON_SQL}) AS unmet, draw.*
  FROM ({READINESS_SQL}) AS ready,
       ({CLIENT_STATE_SQL}) AS client_state,
       ({DRAW_SQL}) AS draw
"""


@dataclass
class BeforeLock:
    readiness: Readiness
    checked: Prechecked  # the client's state and the requirements they have not met
    drawn: tuple[int, int | None, str | None]  # the booking's id, predicted spot and label


def read_before_lock(
    client: Membership, session: ClassSession, spot: Spot | None, *, now: dt.datetime
) -> BeforeLock:
    """`session` as context.load_session reads it (its studio's zone sets the week)."""
    params = (
        readiness_params(client)
        | client_state_params(client, session, now=now)
        | unmet_params(client, session.class_type_id)
        | draw_params(session, spot)
    )
    with connection.cursor() as cursor:
        cursor.execute(_BEFORE_LOCK_SQL, params)
        row = cursor.fetchone()
    documents, intake_missing, suspended_until, holding, packages, unmet, *drawn = row
    return BeforeLock(
        readiness=readiness_from(documents, intake_missing),
        checked=Prechecked(
            state=client_state_from(client, suspended_until, holding, packages),
            unmet=unmet_from(unmet),
        ),
        drawn=(drawn[0], drawn[1], drawn[2]),
    )
