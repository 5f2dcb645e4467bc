"""Checks shared by the session, template and generation actions, and the translation of the
database's scheduling constraints into messages."""

from __future__ import annotations

import datetime as dt
from typing import Final

from django.db import IntegrityError, transaction

from reformer.accounts.models import Membership
from reformer.core import timeformat
from reformer.core.errors import DomainError
from reformer.core.permissions import is_staff, require_same_organization, studio_ids_in_scope
from reformer.core.timezones import to_local
from reformer.scheduling.errors import (
    SESSION_INSTRUCTOR_BUSY,
    SESSION_ROOM_TAKEN,
    SESSION_SLOT_TAKEN,
)
from reformer.scheduling.models import ClassSession, InstructorUnavailability
from reformer.studios.models import Closure, Studio
from reformer.studios.validation import day_label, invalid, local_span, violated_constraint

# A session occupies its room and instructor for [starts_at, ends_at): the database refuses
# overlaps (exclusion constraints) and a second class of one type at one start (unique).
ROOM_TAKEN = "session_no_room_double_booking"
INSTRUCTOR_BUSY = "session_no_instructor_double_booking"
SLOT_TAKEN = "session_unique_slot"
# The same for appointments (appointments.Occupancy, kept by triggers): a private on a
# reformer takes its instructor, and the room for group classes.
APPOINTMENT_INSTRUCTOR = "occupancy_instructor_once"
APPOINTMENT_EQUIPMENT = "occupancy_equipment_once"


class Unchanged:
    """Type of UNCHANGED, the default of arguments where None means something ("no
    instructor", "no end date")."""

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Final = Unchanged()


def can_teach_at(instructor: Membership, studio: Studio) -> bool:
    """Active staff whose studio scope includes the studio (owners reach every studio)."""
    return is_staff(instructor) and studio.pk in studio_ids_in_scope(instructor)


def check_instructor(actor: Membership, instructor: Membership, studio: Studio) -> None:
    require_same_organization(actor, instructor, "instructor")
    if not is_staff(instructor):
        raise invalid(f"{instructor.name} is not an active member of staff.", "instructor")
    if not can_teach_at(instructor, studio):
        raise invalid(
            f"{instructor.name} does not teach at {studio.name}; add the studio to their "
            "profile first.",
            "instructor",
        )


def away_period(instructor: Membership, day: dt.date) -> InstructorUnavailability | None:
    return InstructorUnavailability.objects.filter(
        instructor=instructor, starts_on__lte=day, ends_on__gte=day
    ).first()


def check_available(instructor: Membership, day: dt.date) -> None:
    away = away_period(instructor, day)
    if away is not None:
        span = day_label(away.starts_on)
        if away.ends_on != away.starts_on:
            span += f" to {day_label(away.ends_on)}"
        reason = f" ({away.reason})" if away.reason else ""
        raise invalid(f"{instructor.name} is away {span}{reason}.", "instructor")


def check_open(studio: Studio, day: dt.date) -> None:
    closure = Closure.objects.filter(studio=studio, date=day).first()
    if closure is not None:
        reason = f" ({closure.reason})" if closure.reason else ""
        raise invalid(f"{studio.name} is closed on {day_label(day)}{reason}.", "starts_at")


def save_session(session: ClassSession, *, create: bool) -> None:
    """Insert or update, turning the database's refusals into DomainErrors."""
    try:
        with transaction.atomic():
            session.save(force_insert=create)
    except IntegrityError as exc:
        error = conflict_error(exc, session)
        if error is None:
            raise
        raise error from None


def conflict_error(exc: IntegrityError, session: ClassSession) -> DomainError | None:
    """A message naming the class already in the way, or None for another violation."""
    constraint = violated_constraint(exc)
    tz = session.studio.time_zone
    overlapping = ClassSession.objects.filter(
        status=ClassSession.Status.SCHEDULED,
        starts_at__lt=session.ends_at,
        ends_at__gt=session.starts_at,
    ).select_related("class_type", "studio")
    if session.pk:
        overlapping = overlapping.exclude(pk=session.pk)
    if constraint == ROOM_TAKEN:
        other = overlapping.filter(room_id=session.room_id).first()
        detail = (
            f"{local_span(other.starts_at, other.ends_at, tz)} by {other.class_type.name}"
            if other
            else "at that time"
        )
        return DomainError(
            SESSION_ROOM_TAKEN, f"{session.room.name} is already booked {detail}.", field="room"
        )
    if constraint == INSTRUCTOR_BUSY:
        other = overlapping.filter(instructor_id=session.instructor_id).first()
        name = session.instructor.name if session.instructor else "The instructor"
        detail = (
            f"{other.class_type.name} {local_span(other.starts_at, other.ends_at, tz)} at "
            f"{other.studio.name}"
            if other
            else "another class at that time"
        )
        return DomainError(
            SESSION_INSTRUCTOR_BUSY, f"{name} is already teaching {detail}.", field="instructor"
        )
    if constraint in (APPOINTMENT_INSTRUCTOR, APPOINTMENT_EQUIPMENT):
        who = session.instructor.name if session.instructor else "The instructor"
        if constraint == APPOINTMENT_INSTRUCTOR:
            return DomainError(
                "session.instructor_busy",
                f"{who} has an appointment then. Move the appointment or pick another time.",
                field="instructor",
            )
        return DomainError(
            "session.room_taken",
            f"{session.room.name} has an appointment on its equipment then. "
            "Pick another room or time.",
            field="room",
        )
    if constraint == SLOT_TAKEN:
        local = to_local(session.starts_at, tz)
        existing = ClassSession.objects.filter(
            studio_id=session.studio_id,
            starts_at=session.starts_at,
            class_type_id=session.class_type_id,
        ).first()
        cancelled = existing is not None and existing.status == ClassSession.Status.CANCELLED
        note = " (it was cancelled, and its slot stays on record)" if cancelled else ""
        return DomainError(
            SESSION_SLOT_TAKEN,
            f"{session.class_type.name} already starts at {timeformat.when(local, 'time')} on "
            f"{day_label(local.date())} at {session.studio.name}{note}. Pick another time.",
            field="starts_at",
        )
    return None
