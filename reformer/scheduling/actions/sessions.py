"""One-off class sessions: create, move, resize, staff, and the instructor's private notes.

Cancelling a session is the booking engine's `cancel_session`, because it refunds clients.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.core import alerts, audit
from reformer.core.errors import DomainError
from reformer.core.live import publish_after_commit, session_roster, studio_schedule
from reformer.core.permissions import (
    EDIT_SESSION_NOTES,
    MANAGE_SCHEDULE,
    require,
    require_same_organization,
)
from reformer.core.timezones import to_local
from reformer.scheduling.actions.rules import (
    UNCHANGED,
    Unchanged,
    check_available,
    check_instructor,
    check_open,
    save_session,
)
from reformer.scheduling.audit_codes import (
    SCHEDULING_SESSION_CREATED,
    SCHEDULING_SESSION_NOTES_SET,
    SCHEDULING_SESSION_UPDATED,
)
from reformer.scheduling.errors import SESSION_HAS_BOOKINGS
from reformer.scheduling.models import ClassSession, ClassType
from reformer.studios.locking import lock_studio
from reformer.studios.models import Room, Studio
from reformer.studios.validation import apply_changes, clean_int, clean_text, invalid, plural

MAX_NOTES = 5000


def clean_start(starts_at: object, *, now: dt.datetime | None = None) -> dt.datetime:
    if not isinstance(starts_at, dt.datetime) or timezone.is_naive(starts_at):
        raise invalid("Give the start as a date and time with its time zone.", "starts_at")
    if starts_at <= (now or timezone.now()):
        raise invalid("That time has passed; pick a time in the future.", "starts_at")
    return starts_at.astimezone(dt.UTC)


def _duration(value: object) -> dt.timedelta:
    minutes = clean_int(
        value, field="duration_minutes", label="Length (minutes)", minimum=5, maximum=600
    )
    return dt.timedelta(minutes=minutes)


def _capacity(value: object, room: Room, booked: int = 0) -> int:
    capacity = clean_int(value, field="capacity", label="Capacity", minimum=1, maximum=10_000)
    if capacity > room.capacity:
        raise invalid(
            f"{room.name} holds {room.capacity}; the class can't take more than that.", "capacity"
        )
    if capacity < booked:
        raise invalid(
            f"{plural(booked, 'client is', 'clients are')} booked; capacity can't go below "
            f"{booked}.",
            "capacity",
        )
    return capacity


def create_session(
    actor: Membership,
    *,
    studio: Studio,
    room: Room,
    class_type: ClassType,
    starts_at: dt.datetime,
    instructor: Membership | None = None,
    capacity: int | None = None,
    duration_minutes: int | None = None,
) -> ClassSession:
    """Schedule a one-off class. Capacity defaults to the class type's (at most the room's)
    and length to the class type's."""
    require(actor, MANAGE_SCHEDULE, studio=studio)
    require_same_organization(actor, room, "room")
    require_same_organization(actor, class_type, "class type")
    if instructor is not None:
        require_same_organization(actor, instructor, "instructor")
    if room.studio_id != studio.pk:
        raise invalid(f"{room.name} is not at {studio.name}.", "room")
    if not class_type.active:
        raise invalid(f"{class_type.name} is archived; pick another class type.", "class_type")
    starts_at = clean_start(starts_at)
    length = _duration(
        class_type.duration_minutes if duration_minutes is None else duration_minutes
    )
    with transaction.atomic(durable=True):
        studio = lock_studio(studio.pk)
        if not studio.active:
            raise invalid(f"{studio.name} is not active.", "studio")
        room = Room.objects.get(pk=room.pk)
        places = (
            min(class_type.default_capacity, room.capacity)
            if capacity is None
            else _capacity(capacity, room)
        )
        day = to_local(starts_at, studio.time_zone).date()
        check_open(studio, day)
        if instructor is not None:
            check_instructor(actor, instructor, studio)
            check_available(instructor, day)
        session = ClassSession(
            organization_id=studio.organization_id,
            studio=studio,
            room=room,
            class_type=class_type,
            instructor=instructor,
            starts_at=starts_at,
            ends_at=starts_at + length,
            capacity=places,
        )
        save_session(session, create=True)
        audit.record(
            actor,
            SCHEDULING_SESSION_CREATED,
            session,
            starts_at=session.starts_at,
            ends_at=session.ends_at,
            room=room,
            class_type=class_type,
            instructor=instructor,
            capacity=places,
        )
        publish_after_commit([studio_schedule(studio.pk)], "session", "created", [session.pk])
    return session


def update_session(
    actor: Membership,
    session: ClassSession,
    *,
    starts_at: dt.datetime | None = None,
    room: Room | None = None,
    instructor: Membership | Unchanged | None = UNCHANGED,
    capacity: int | None = None,
    duration_minutes: int | None = None,
) -> ClassSession:
    """Move, resize or restaff a scheduled class; arguments left out stay as they are
    (`instructor=None` takes the instructor off: the class then needs one).

    A class with clients booked or waiting is not moved (time, length or room): they would
    not be told. Cancel it (the booking engine refunds them) and schedule a new one.
    """
    require(actor, MANAGE_SCHEDULE, session=session)
    if room is not None:
        require_same_organization(actor, room, "room")
    if isinstance(instructor, Membership):
        require_same_organization(actor, instructor, "instructor")
    with transaction.atomic(durable=True):
        studio = lock_studio(session.studio_id)
        session = (
            ClassSession.objects.select_for_update(of=("self",))
            .select_related("room", "class_type", "instructor__user")
            .get(pk=session.pk)
        )
        session.studio = studio
        if session.status != ClassSession.Status.SCHEDULED:
            raise invalid("This class was cancelled; it can't be changed.", "status")
        now = timezone.now()
        new_room = session.room if room is None else Room.objects.get(pk=room.pk)
        if new_room.studio_id != studio.pk:
            raise invalid(f"{new_room.name} is not at {studio.name}.", "room")
        new_start = session.starts_at if starts_at is None else clean_start(starts_at, now=now)
        length = (
            session.ends_at - session.starts_at
            if duration_minutes is None
            else _duration(duration_minutes)
        )
        values: dict[str, Any] = {
            "starts_at": new_start,
            "ends_at": new_start + length,
            "room": new_room,
        }
        moving = (
            new_start != session.starts_at
            or new_start + length != session.ends_at
            or new_room.pk != session.room_id
        )
        if moving:
            _check_movable(session, now)
        day = to_local(new_start, studio.time_zone).date()
        if new_start != session.starts_at:
            check_open(studio, day)
        new_instructor = session.instructor if isinstance(instructor, Unchanged) else instructor
        if new_instructor is not None and (instructor is not UNCHANGED or moving):
            check_instructor(actor, new_instructor, studio)
            check_available(new_instructor, day)
        values["instructor"] = new_instructor
        if capacity is not None:
            values["capacity"] = _capacity(capacity, new_room, session.booked_count)
            # Places held for the waitlist never exceed the places free.
            values["held_count"] = min(
                session.held_count, values["capacity"] - session.booked_count
            )
        elif session.capacity > new_room.capacity:
            raise invalid(
                f"{new_room.name} holds {new_room.capacity}; lower the capacity as well.",
                "capacity",
            )
        places_added = values.get("capacity", session.capacity) > session.capacity
        changes = apply_changes(session, values)
        if "instructor" in changes and not isinstance(instructor, Unchanged):
            session.instructor_by_hand = True  # a rotation change leaves this choice alone
        if changes:
            save_session(session, create=False)
            audit.record(actor, SCHEDULING_SESSION_UPDATED, session, changes=changes)
            if session.instructor_id is not None:
                alerts.resolve_alerts_about(
                    alerts.NEEDS_INSTRUCTOR,
                    organization_id=session.organization_id,
                    session=session.pk,
                )
            if "instructor" in changes and session.booked_count and session.instructor_id:
                # Imported here: the booking engine builds on scheduling, not the reverse.
                from reformer.bookings.notify import queue_session_changed

                queue_session_changed(session, now=now)
            if places_added and session.waiting_count:
                # Imported here: the booking engine builds on scheduling, not the reverse.
                from reformer.bookings.actions import hold_places_for_waitlist

                hold_places_for_waitlist(session)
            publish_after_commit(
                [studio_schedule(studio.pk), session_roster(session.pk)],
                "session",
                "updated",
                [session.pk],
            )
    return session


def _check_movable(session: ClassSession, now: dt.datetime) -> None:
    if session.starts_at <= now:
        raise invalid("This class has already started; its time and room stay as they are.")
    people = session.booked_count + session.waiting_count
    if people:
        raise DomainError(
            SESSION_HAS_BOOKINGS,
            f"{plural(people, 'client is', 'clients are')} booked or waiting for this class. "
            "Moving it would change their plans without telling them: cancel it (clients are "
            "refunded) and schedule a new class instead.",
            count=people,
        )


def assign_instructor(
    actor: Membership, session: ClassSession, *, instructor: Membership | None
) -> ClassSession:
    """Give the class an instructor, or take them off (None: the class needs one)."""
    return update_session(actor, session, instructor=instructor)


def set_session_notes(actor: Membership, session: ClassSession, *, notes: str) -> ClassSession:
    """Private notes of the class, for staff only: its instructor, managers and owners.
    Authorized on the row as it is now (the instructor may have just changed)."""
    require_same_organization(actor, session, "class")
    notes = clean_text(notes, field="notes", label="Notes", max_length=MAX_NOTES, required=False)
    with transaction.atomic(durable=True):
        session = (
            ClassSession.objects.select_for_update(of=("self",))
            .select_related("studio")
            .get(pk=session.pk)
        )
        require(actor, EDIT_SESSION_NOTES, session=session)
        session.private_notes = notes
        session.save(update_fields=["private_notes"])
        audit.record(actor, SCHEDULING_SESSION_NOTES_SET, session, length=len(notes))
        publish_after_commit([session_roster(session.pk)], "session", "notes", [session.pk])
    return session
