"""Weekly classes (recurring templates): create, change, stop.

Creating or changing a template generates its sessions up to the horizon right away.
Changes reach the template's future sessions that nobody has booked or waitlisted; a session
with clients keeps its details (clients are not moved without being told), an instructor
chosen by hand on a session stays, and the returned TemplateChange says how many were
changed and kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.bookings.models import Booking, WaitlistEntry
from reformer.core import alerts, audit
from reformer.core.errors import DomainError
from reformer.core.live import publish_after_commit, studio_schedule
from reformer.core.permissions import MANAGE_SCHEDULE, require, require_same_organization
from reformer.core.timezones import local_to_utc, local_today, to_local, usable_date
from reformer.scheduling.actions.generation import GENERATION_HORIZON, generate_sessions
from reformer.scheduling.actions.needs_instructor import alert_needs_instructor
from reformer.scheduling.actions.rules import (
    UNCHANGED,
    Unchanged,
    away_period,
    check_instructor,
    save_session,
)
from reformer.scheduling.audit_codes import (
    SCHEDULING_TEMPLATE_CREATED,
    SCHEDULING_TEMPLATE_DEACTIVATED,
    SCHEDULING_TEMPLATE_UPDATED,
)
from reformer.scheduling.models import ClassSession, ClassType, RecurringTemplate, RotationSlot
from reformer.studios.locking import lock_studio
from reformer.studios.models import Room, Studio
from reformer.studios.validation import (
    WEEKDAYS,
    apply_changes,
    clean_int,
    clock,
    day_label,
    invalid,
    parse_clock,
)

# How far back a new weekly class's first date may be (it only ever generates from today).
EARLIEST_START = dt.timedelta(days=366)


@dataclass(frozen=True)
class TemplateChange:
    template: RecurringTemplate
    sessions_changed: int  # future sessions updated (or removed, when stopping)
    sessions_kept: int  # future sessions left as they were because clients are booked


def _capacity(value: object, room: Room) -> int:
    capacity = clean_int(value, field="capacity", label="Capacity", minimum=1, maximum=10_000)
    if capacity > room.capacity:
        raise invalid(
            f"{room.name} holds {room.capacity}; the class can't take more than that.", "capacity"
        )
    return capacity


def _instructor_list(actor: Membership, instructors: Iterable[Membership]) -> list[Membership]:
    """The rotation, in turn order (a list, tuple or queryset of memberships)."""
    rotation = (
        None
        if isinstance(instructors, str | Membership) or not isinstance(instructors, Iterable)
        else list(instructors)
    )
    if rotation is None or not all(isinstance(item, Membership) for item in rotation):
        raise invalid(
            "Give the instructors as a list, in the order they take turns.", "instructors"
        )
    for instructor in rotation:
        require_same_organization(actor, instructor, "instructor")
    return rotation


def _set_rotation(template: RecurringTemplate, instructors: list[Membership]) -> None:
    RotationSlot.objects.filter(template=template).delete()
    RotationSlot.objects.bulk_create(
        RotationSlot(template=template, instructor=instructor, position=position)
        for position, instructor in enumerate(instructors)
    )


def create_template(
    actor: Membership,
    *,
    studio: Studio,
    room: Room,
    class_type: ClassType,
    weekday: int,
    local_start_time: dt.time | str,
    capacity: int | None,
    instructors: Iterable[Membership],
    start_date: dt.date,
    end_date: dt.date | None = None,
) -> RecurringTemplate:
    """A weekly class at a local time; its sessions are generated up to the horizon now.
    No capacity: the class type's size, at most what the room holds (as a single class)."""
    require(actor, MANAGE_SCHEDULE, studio=studio)
    require_same_organization(actor, room, "room")
    require_same_organization(actor, class_type, "class type")
    rotation = _instructor_list(actor, instructors)
    if room.studio_id != studio.pk:
        raise invalid(f"{room.name} is not at {studio.name}.", "room")
    if not class_type.active:
        raise invalid(f"{class_type.name} is archived; pick another class type.", "class_type")
    weekday = clean_int(weekday, field="weekday", label="Weekday", minimum=0, maximum=6)
    start_time = parse_clock(local_start_time, field="local_start_time", label="Start time")
    earliest = local_today(studio.time_zone) - EARLIEST_START
    if not usable_date(start_date) or start_date < earliest:
        # Classes are only ever generated from today on; a first date of 1900 was a typo.
        raise invalid(
            f"The first date can be at most a year ago ({day_label(earliest)} or later).",
            "start_date",
        )
    if end_date is not None and end_date < start_date:
        raise invalid("The last date must be on or after the first date.", "end_date")
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
        for instructor in rotation:
            check_instructor(actor, instructor, studio)
        clash = (
            RecurringTemplate.objects.filter(
                studio=studio,
                class_type=class_type,
                weekday=weekday,
                local_start_time=start_time,
                active=True,
            )
            .exclude(end_date__lt=start_date)
            .exclude(start_date__gt=end_date or dt.date.max)
            .exists()
        )
        if clash:
            raise invalid(
                f"{studio.name} already has a weekly {class_type.name} on {WEEKDAYS[weekday]}s "
                f"at {clock(start_time)}.",
                "local_start_time",
            )
        template = RecurringTemplate.objects.create(
            organization_id=studio.organization_id,
            studio=studio,
            room=room,
            class_type=class_type,
            weekday=weekday,
            local_start_time=start_time,
            capacity=places,
            start_date=start_date,
            end_date=end_date,
        )
        _set_rotation(template, rotation)
        audit.record(
            actor,
            SCHEDULING_TEMPLATE_CREATED,
            template,
            weekday=weekday,
            local_start_time=clock(start_time),
            room=room,
            class_type=class_type,
            capacity=places,
            instructors=[instructor.pk for instructor in rotation],
            start_date=start_date,
            end_date=end_date,
        )
        generate_sessions(
            until=local_today(studio.time_zone) + GENERATION_HORIZON, template=template
        )
    return template


def update_template(
    actor: Membership,
    template: RecurringTemplate,
    *,
    room: Room | None = None,
    local_start_time: dt.time | str | None = None,
    capacity: int | None = None,
    instructors: Iterable[Membership] | None = None,
    end_date: dt.date | Unchanged | None = UNCHANGED,
) -> TemplateChange:
    """Change a weekly class (None = unchanged; `end_date=None` removes the end).

    A new instructor list takes turns from the first future class on: each future class
    nobody booked whose instructor came from the rotation gets the new turn's instructor (or
    needs one, with an alert, when that instructor is away or busy then); classes with
    clients, and instructors staff chose by hand on a class, stay. The weekday and class
    type do not change: stop the template and create another.
    """
    require_same_organization(actor, template, "weekly class")
    require(actor, MANAGE_SCHEDULE, studio=template.studio)
    if room is not None:
        require_same_organization(actor, room, "room")
    rotation = None if instructors is None else _instructor_list(actor, instructors)
    with transaction.atomic(durable=True):
        studio = lock_studio(template.studio_id)
        template = (
            RecurringTemplate.objects.select_for_update(of=("self",))
            .select_related("room", "class_type")
            .get(pk=template.pk)
        )
        if not template.active:
            raise invalid("This weekly class was stopped; create a new one instead.")
        new_room = template.room if room is None else Room.objects.get(pk=room.pk)
        if new_room.studio_id != studio.pk:
            raise invalid(f"{new_room.name} is not at {studio.name}.", "room")
        values: dict[str, object] = {"room": new_room}
        if local_start_time is not None:
            values["local_start_time"] = parse_clock(
                local_start_time, field="local_start_time", label="Start time"
            )
        if capacity is not None:
            values["capacity"] = _capacity(capacity, new_room)
        elif template.capacity > new_room.capacity:
            raise invalid(
                f"{new_room.name} holds {new_room.capacity}; lower the capacity as well.",
                "capacity",
            )
        if not isinstance(end_date, Unchanged):
            if end_date is not None and end_date < template.start_date:
                raise invalid("The last date must be on or after the first date.", "end_date")
            values["end_date"] = end_date
        changes = apply_changes(template, values)
        if rotation is not None:
            for instructor in rotation:
                check_instructor(actor, instructor, studio)
            old = list(template.rotation.values_list("instructor_id", flat=True))
            new = [instructor.pk for instructor in rotation]
            if old != new:
                _set_rotation(template, rotation)
                changes["instructors"] = [old, new]
        if not changes:
            return TemplateChange(template, 0, 0)
        template.save()
        changed, kept = _apply_to_future_sessions(template, studio, set(changes))
        audit.record(
            actor,
            SCHEDULING_TEMPLATE_UPDATED,
            template,
            changes=changes,
            sessions_changed=changed,
            sessions_kept=kept,
        )
        generate_sessions(
            until=local_today(studio.time_zone) + GENERATION_HORIZON, template=template
        )
    return TemplateChange(template, changed, kept)


def deactivate_template(actor: Membership, template: RecurringTemplate) -> TemplateChange:
    """Stop a weekly class: no more sessions are generated, and its future sessions nobody
    booked are removed. Sessions with clients stay; cancel them to refund the clients."""
    require_same_organization(actor, template, "weekly class")
    require(actor, MANAGE_SCHEDULE, studio=template.studio)
    with transaction.atomic(durable=True):
        studio = lock_studio(template.studio_id)
        template = RecurringTemplate.objects.select_for_update().get(pk=template.pk)
        if not template.active:
            return TemplateChange(template, 0, 0)
        template.active = False
        template.save(update_fields=["active"])
        removed, kept = _remove_future_sessions(template, studio, after=None)
        audit.record(
            actor,
            SCHEDULING_TEMPLATE_DEACTIVATED,
            template,
            sessions_removed=removed,
            sessions_kept=len(kept),
        )
    return TemplateChange(template, removed, len(kept))


def generate_template_sessions(actor: Membership, template: RecurringTemplate) -> int:
    """Staff's "generate sessions now": the weekly class's sessions up to the horizon
    (idempotent, audited by `generate_sessions`); returns how many were created."""
    require_same_organization(actor, template, "weekly class")
    require(actor, MANAGE_SCHEDULE, studio=template.studio)
    return generate_sessions(
        until=local_today(template.studio.time_zone) + GENERATION_HORIZON, template=template
    )


def _future_sessions(template: RecurringTemplate) -> Sequence[ClassSession]:
    """The template's upcoming scheduled sessions, locked, marked `untouched` when no client
    ever booked or waitlisted (so changing or removing them affects nobody)."""
    bookings = Booking.objects.filter(session=OuterRef("pk"))
    waitlist = WaitlistEntry.objects.filter(session=OuterRef("pk"))
    sessions = (
        ClassSession.objects.select_for_update(of=("self",))
        .filter(
            template=template,
            status=ClassSession.Status.SCHEDULED,
            starts_at__gt=timezone.now(),
        )
        .annotate(has_bookings=Exists(bookings), has_waitlist=Exists(waitlist))
        .order_by("starts_at")
    )
    result = list(sessions)
    for session in result:
        session.untouched = not (
            session.has_bookings
            or session.has_waitlist
            or session.booked_count
            or session.waiting_count
        )
    return result


def _remove_future_sessions(
    template: RecurringTemplate, studio: Studio, *, after: dt.date | None
) -> tuple[int, set[int]]:
    """Delete untouched future sessions (all, or those after the local date `after`);
    returns how many went and the ids of those kept because clients are booked."""
    removed: list[int] = []
    kept: set[int] = set()
    for session in _future_sessions(template):
        if after is not None and to_local(session.starts_at, studio.time_zone).date() <= after:
            continue
        if session.untouched:
            removed.append(session.pk)
        else:
            kept.add(session.pk)
    if removed:
        ClassSession.objects.filter(pk__in=removed).delete()
        publish_after_commit([studio_schedule(studio.pk)], "session", "deleted", removed)
    return len(removed), kept


def _apply_to_future_sessions(
    template: RecurringTemplate, studio: Studio, fields: set[str]
) -> tuple[int, int]:
    removed, kept = 0, set[int]()
    if "end_date" in fields and template.end_date is not None:
        removed, kept = _remove_future_sessions(template, studio, after=template.end_date)
    updated: list[int] = []
    if {"room", "local_start_time", "capacity"} & fields:
        for session in _future_sessions(template):
            if not session.untouched:
                kept.add(session.pk)
                continue
            day = to_local(session.starts_at, studio.time_zone).date()
            starts_at = local_to_utc(day, template.local_start_time, studio.time_zone)
            session.studio = studio
            values = {
                "starts_at": starts_at,
                "ends_at": starts_at + (session.ends_at - session.starts_at),
                "room": template.room,
                "capacity": template.capacity,
            }
            if apply_changes(session, values):
                try:
                    save_session(session, create=False)
                except DomainError as error:
                    message = f"{day_label(day)}: {error.message}"
                    raise DomainError(error.code, message, **error.data) from None
                updated.append(session.pk)
    if "instructors" in fields:
        restaffed, held = _follow_rotation(template, studio)
        updated += [pk for pk in restaffed if pk not in updated]
        kept |= held
    if updated:
        publish_after_commit([studio_schedule(studio.pk)], "session", "updated", updated)
    return removed + len(updated), len(kept)


def _follow_rotation(template: RecurringTemplate, studio: Studio) -> tuple[list[int], set[int]]:
    """Staff the template's future classes by its (new) rotation, turn by turn in date order:
    the k-th future class is the k-th turn, whether it changes or not, so the classes
    generated later continue where these end. Returns the ids changed and those kept
    (clients booked or waiting, or an instructor chosen by hand)."""
    rotation = [
        slot.instructor
        for slot in template.rotation.select_related("instructor__user").order_by("position")
    ]
    sessions = _future_sessions(template)
    changed: list[int] = []
    kept: set[int] = set()
    for turn, session in enumerate(sessions):
        planned = rotation[turn % len(rotation)] if rotation else None
        if session.instructor_id == (planned.pk if planned else None):
            continue
        if not session.untouched or session.instructor_by_hand:
            kept.add(session.pk)
            continue
        session.studio = studio
        day = to_local(session.starts_at, studio.time_zone).date()
        missing_because = ""
        if planned is not None and away_period(planned, day) is not None:
            missing_because = f"{planned.name} is away"
        session.instructor = None if missing_because else planned
        try:
            save_session(session, create=False)
        except DomainError:  # teaching another class (or an appointment) then
            assert planned is not None  # only an instructor can be double-booked
            missing_because = f"{planned.name} teaches another class then"
            session.instructor = None
            save_session(session, create=False)
        if session.instructor is None and rotation:
            alert_needs_instructor(session, because=missing_because or "no one's turn")
        elif session.instructor is not None:
            alerts.resolve_alerts_about(
                alerts.NEEDS_INSTRUCTOR, organization_id=session.organization_id, session=session.pk
            )
        changed.append(session.pk)
    template.next_rotation_index = len(sessions) % len(rotation) if rotation else 0
    template.save(update_fields=["next_rotation_index"])
    return changed, kept
