"""Turning weekly templates into class sessions: idempotent, closure- and DST-aware.

Each occurrence is converted from its own local date and the template's local start time
(core.timezones.local_to_utc), so a 07:00 Monday class stays 07:00 across daylight saving.
Running twice creates nothing new: a day that already has a session of the template is
skipped, and the insert itself is `ON CONFLICT ON CONSTRAINT session_unique_slot DO NOTHING`
(the unique studio + start + class type), which also covers a concurrent run.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import cast

from django.db import IntegrityError, connection, transaction
from django.db.models import Field, Q
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.core import alerts, audit
from reformer.core.live import publish_after_commit, studio_schedule
from reformer.core.timezones import local_day_bounds, local_to_utc, local_today, to_local
from reformer.scheduling.actions.needs_instructor import alert_needs_instructor
from reformer.scheduling.actions.rules import (
    APPOINTMENT_EQUIPMENT,
    APPOINTMENT_INSTRUCTOR,
    INSTRUCTOR_BUSY,
    ROOM_TAKEN,
    can_teach_at,
)
from reformer.scheduling.audit_codes import SCHEDULING_TEMPLATE_GENERATED
from reformer.scheduling.models import ClassSession, InstructorUnavailability, RecurringTemplate
from reformer.studios.locking import lock_studio
from reformer.studios.models import Closure, Organization, Studio
from reformer.studios.validation import clock, day_label, local_span, violated_constraint

logger = logging.getLogger(__name__)

# How far ahead the nightly job keeps the schedule generated.
GENERATION_HORIZON = dt.timedelta(weeks=4)

_FIELDS = (
    "organization",
    "studio",
    "room",
    "class_type",
    "instructor",
    "template",
    "starts_at",
    "ends_at",
    "capacity",
    "booked_count",
    "waiting_count",
    "held_count",
    "status",
    "private_notes",
    "cancelled_reason",
    "created_at",
    "instructor_by_hand",
)


def _insert_sql() -> str:
    meta = ClassSession._meta
    columns = ", ".join(
        connection.ops.quote_name(cast(Field, meta.get_field(f)).column) for f in _FIELDS
    )
    return (
        f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) "
        f"VALUES ({', '.join(['%s'] * len(_FIELDS))}) "
        "ON CONFLICT ON CONSTRAINT session_unique_slot DO NOTHING RETURNING id"
    )


def generate_sessions(
    *,
    until: dt.date,
    template: RecurringTemplate | None = None,
    organization: Organization | None = None,
    studio: Studio | None = None,
) -> int:
    """Create the sessions of active templates up to `until` (inclusive, studio-local dates);
    returns how many were created. A system action: no actor, callable from jobs.

    Closure days are skipped. Instructors take turns in rotation order; the turn passes only
    when a session is created. An instructor who is away that day, double-booked, or no
    longer teaches at the studio is left off: the session then needs an instructor. An
    occurrence whose room is taken is not created, and staff get an admin alert.
    """
    now = timezone.now()
    templates = RecurringTemplate.objects.filter(
        active=True,
        start_date__lte=until,
        studio__active=True,
        class_type__active=True,
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=now.date() - dt.timedelta(days=1)))
    if template is not None:
        templates = templates.filter(pk=template.pk)
    if organization is not None:
        templates = templates.filter(organization=organization)
    if studio is not None:
        templates = templates.filter(studio=studio)
    created = 0
    for template_id, studio_id in templates.order_by("pk").values_list("pk", "studio_id"):
        created += _generate_template(template_id, studio_id, until=until, now=now)
    return created


def _generate_template(
    template_id: int, studio_id: int, *, until: dt.date, now: dt.datetime
) -> int:
    with transaction.atomic():
        studio = lock_studio(studio_id)
        template = (
            RecurringTemplate.objects.select_for_update(of=("self",))
            .select_related("room", "class_type")
            .get(pk=template_id)
        )
        if not (template.active and studio.active and template.class_type.active):
            return 0
        tz = studio.time_zone
        first = max(template.start_date, local_today(tz, now))
        last = min(until, template.end_date) if template.end_date else until
        days = [
            first + dt.timedelta(days=offset)
            for offset in range((last - first).days + 1)
            if (first + dt.timedelta(days=offset)).weekday() == template.weekday
        ]
        if not days:
            return 0
        closed = set(
            Closure.objects.filter(studio=studio, date__range=(days[0], days[-1])).values_list(
                "date", flat=True
            )
        )
        window_start = local_day_bounds(days[0], tz)[0]
        window_end = local_day_bounds(days[-1], tz)[1]
        already = {
            to_local(starts_at, tz).date()
            for starts_at in ClassSession.objects.filter(
                template=template, starts_at__gte=window_start, starts_at__lt=window_end
            ).values_list("starts_at", flat=True)
        }
        rotation = [
            slot.instructor
            for slot in template.rotation.select_related("instructor__user").order_by("position")
        ]
        away = _away_periods(rotation, days[0], days[-1])
        length = dt.timedelta(minutes=template.class_type.duration_minutes)
        turn = template.next_rotation_index
        created: list[int] = []
        skipped: list[dt.date] = []
        for day in days:
            if day in already:
                skipped.append(day)
            if day in closed or day in already:
                continue
            starts_at = local_to_utc(day, template.local_start_time, tz)
            if starts_at <= now:
                continue
            planned = rotation[turn % len(rotation)] if rotation else None
            instructor, missing_because = planned, ""
            if planned is not None and not can_teach_at(planned, studio):
                instructor, missing_because = None, f"{planned.name} no longer teaches here"
            elif planned is not None and any(
                start <= day <= end for start, end in away.get(planned.pk, ())
            ):
                instructor, missing_because = None, f"{planned.name} is away"
            inserted = _insert(template, starts_at, starts_at + length, instructor, now)
            if inserted is None:
                skipped.append(day)
                continue
            session_id, instructor_id = inserted
            if planned is not None and instructor_id is None:
                alert_needs_instructor(
                    ClassSession.objects.select_related("class_type", "studio").get(pk=session_id),
                    because=missing_because or f"{planned.name} teaches another class then",
                )
            created.append(session_id)
            if rotation:
                turn += 1
        if rotation and turn != template.next_rotation_index:
            template.next_rotation_index = turn % len(rotation)
            template.save(update_fields=["next_rotation_index"])
        if skipped:
            logger.info(
                "Weekly %s at %s (template %s): %d already scheduled, skipped: %s",
                template.class_type.name,
                clock(template.local_start_time),
                template.pk,
                len(skipped),
                ", ".join(day.isoformat() for day in skipped),
            )
        if created:
            audit.record(None, SCHEDULING_TEMPLATE_GENERATED, template, sessions=created)
            publish_after_commit([studio_schedule(studio.pk)], "session", "created", created)
        return len(created)


def _away_periods(
    instructors: list[Membership], first: dt.date, last: dt.date
) -> dict[int, list[tuple[dt.date, dt.date]]]:
    periods: dict[int, list[tuple[dt.date, dt.date]]] = {}
    rows = InstructorUnavailability.objects.filter(
        instructor__in=[instructor.pk for instructor in instructors],
        starts_on__lte=last,
        ends_on__gte=first,
    ).values_list("instructor_id", "starts_on", "ends_on")
    for instructor_id, starts_on, ends_on in rows:
        periods.setdefault(instructor_id, []).append((starts_on, ends_on))
    return periods


def _insert(
    template: RecurringTemplate,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    instructor: Membership | None,
    now: dt.datetime,
) -> tuple[int, int | None] | None:
    """The new session's id and instructor id (None when the instructor turned out to be
    teaching elsewhere), or None when the slot or the room is already taken."""
    params = [
        template.organization_id,
        template.studio_id,
        template.room_id,
        template.class_type_id,
        instructor.pk if instructor else None,
        template.pk,
        starts_at,
        ends_at,
        template.capacity,
        0,
        0,
        0,
        ClassSession.Status.SCHEDULED.value,
        "",
        "",
        now,
        False,
    ]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_insert_sql(), params)
            row = cursor.fetchone()
    except IntegrityError as exc:
        constraint = violated_constraint(exc)
        if constraint in (INSTRUCTOR_BUSY, APPOINTMENT_INSTRUCTOR) and instructor is not None:
            return _insert(template, starts_at, ends_at, None, now)
        if constraint in (ROOM_TAKEN, APPOINTMENT_EQUIPMENT):
            _alert_room_taken(template, starts_at, ends_at)
            return None
        raise
    return (row[0], instructor.pk if instructor else None) if row else None


def _alert_room_taken(
    template: RecurringTemplate, starts_at: dt.datetime, ends_at: dt.datetime
) -> None:
    """Tell staff once (not every night) that a weekly class could not be placed."""
    tz = template.studio.time_zone
    data = {"template": template.pk, "starts_at": starts_at.isoformat()}
    other = (
        ClassSession.objects.filter(
            room_id=template.room_id,
            status=ClassSession.Status.SCHEDULED,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        )
        .select_related("class_type")
        .first()
    )
    blocker = (
        f" by {other.class_type.name} {local_span(other.starts_at, other.ends_at, tz)}"
        if other
        else ""
    )
    local = to_local(starts_at, tz)
    message = (
        f"The weekly {template.class_type.name} at {clock(template.local_start_time)} on "
        f"{day_label(local.date())} was not scheduled: {template.room.name} is already "
        f"booked{blocker}. Move one of the two classes."
    )
    logger.warning(message)
    alerts.raise_alert(
        alerts.ROOM_TAKEN,
        message,
        organization_id=template.organization_id,
        studio_id=template.studio_id,
        data=data,
    )
