"""Loading a class with everything the booking rules and messages need, in one query."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db import connection, models

from reformer.accounts.models import Membership, User
from reformer.core import timeformat
from reformer.core.rawsql import to_one
from reformer.core.timezones import to_local
from reformer.scheduling.models import ClassSession, ClassType
from reformer.studios.models import Organization, Room, Studio, StudioPolicy

# (model, alias, join) for the class and what hangs off it. The booking actions read this
# on every call, so the SQL is built once from the models' fields (not compiled per call by
# the ORM) and the rows become ordinary model instances through Model.from_db.
# Measured (bench/hot_reads.py, same run, alternating calls): this read takes about half
# the time of the equivalent select_related() query (p50 10.6 ms against 19.2 ms on a
# loaded 2-core machine), on a path every booking and cancellation takes.
# The joins are to_one lookups (core/rawsql.py): planned as joins, they cost more to plan
# than to run.
_JOINS: tuple[tuple[type[models.Model], str, str], ...] = (
    (ClassSession, "s", ""),
    (Studio, "st", to_one("studios_studio", "st", "id = s.studio_id")),
    (StudioPolicy, "p", to_one("studios_studiopolicy", "p", "studio_id = st.id", optional=True)),
    (ClassType, "ct", to_one("scheduling_classtype", "ct", "id = s.class_type_id")),
    (Room, "r", to_one("studios_room", "r", "id = s.room_id")),
    (Membership, "m", to_one("accounts_membership", "m", "id = s.instructor_id", optional=True)),
    (User, "u", to_one("accounts_user", "u", "id = m.user_id", optional=True)),
    # Its time format, for the confirmation's "when" outside a request (no query then).
    (Organization, "o", to_one("studios_organization", "o", "id = s.organization_id")),
)


@cache
def session_select() -> tuple[str, str, int]:
    """(columns, FROM clause, column count) of the class with what hangs off it: for a
    statement that reads more beside it (bookings.actions._prechecks); session_from_row
    reads the columns. The class's alias is `s`."""
    columns = [
        f'{alias}."{f.column}"'
        for model, alias, _join in _JOINS
        for f in model._meta.concrete_fields
    ]
    joins = " ".join(join for _model, _alias, join in _JOINS if join)
    return ", ".join(columns), f"scheduling_classsession s {joins}", len(columns)


@cache
def _layout() -> tuple[tuple[type[models.Model], list[str]], ...]:
    return tuple(
        (model, [f.attname for f in model._meta.concrete_fields]) for model, _a, _j in _JOINS
    )


def load_session(session_id: int) -> ClassSession:
    """A fresh copy of the class with studio, policy, type, room, instructor and
    organization attached."""
    columns, source, _count = session_select()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {source} WHERE s.id = %s", [session_id])
        row = cursor.fetchone()
    if row is None:
        raise ClassSession.DoesNotExist(f"No class {session_id}.")
    return session_from_row(row)


def session_from_row(row: Sequence[Any]) -> ClassSession:
    """The class from session_select's columns (the first ones of `row`)."""
    objects: list[Any] = []  # instances of the models of _JOINS, in its order
    start = 0
    for model, fields in _layout():
        values = row[start : start + len(fields)]
        start += len(fields)
        is_null = values[0] is None  # the primary key: an outer join that found nothing
        objects.append(None if is_null else model.from_db(connection.alias, fields, values))
    session, studio, policy, class_type, room, instructor, user, organization = objects
    if policy is not None:
        studio.policy = policy
    if instructor is not None:
        instructor.user = user
    session.studio, session.class_type, session.room = studio, class_type, room
    session.instructor = instructor
    session.organization = organization
    if organization is not None:
        studio.organization = organization  # the deadline's wording reads its locale
    return session


def policy_of(session: ClassSession) -> StudioPolicy:
    """The studio's policy; an unsaved one with the spec's defaults if none was set up."""
    studio = session.studio
    try:
        return studio.policy
    except StudioPolicy.DoesNotExist:
        return StudioPolicy(studio=studio, organization_id=studio.organization_id)


def format_local(
    moment: dt.datetime,
    tz_name: str,
    *,
    with_zone: bool = False,
    organization_id: int | None = None,
) -> str:
    """'Tue 14 Jan, 18:00' / 'Tue, Jan 14, 6:00 PM' in the studio's zone, as the active
    organization writes times, or as `organization_id`'s does (text stored for a message,
    which a job may build)."""
    local = to_local(moment, tz_name)
    locale = timeformat.locale_of_id(organization_id) if organization_id else None
    return timeformat.when(local, "day_time", locale, name_zone=True if with_zone else None)


def format_deadline(moment: dt.datetime, studio: Studio) -> str:
    """A cancellation deadline ("Cancel before Tue, Jan 14, 6:00 PM EST"): in the studio's
    zone, the zone named, as the studio's organization writes times. The terms go into
    emails built by jobs (no organization active) and sit next to the class's own time,
    which names its zone, so they must agree with it wherever they are built."""
    # The organization loaded with the studio (context.load_session attaches it) spares a
    # query per booking where no organization is active (a job, the booking bench).
    loaded = studio.organization if Studio.organization.is_cached(studio) else None
    locale = timeformat.locale_of_id(studio.organization_id, loaded=loaded)
    return timeformat.when(to_local(moment, studio.time_zone), "day_time", locale, name_zone=True)
