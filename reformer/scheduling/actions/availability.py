"""Instructor unavailability (holidays, sick days): dates on which they are not scheduled."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.core import audit
from reformer.core.errors import PermissionDenied
from reformer.core.live import publish_after_commit, studio_schedule
from reformer.core.permissions import (
    MANAGE_SCHEDULE,
    is_staff,
    may_manage_time_off_of,
    require_same_organization,
)
from reformer.core.timezones import local_today, to_local
from reformer.scheduling.actions.needs_instructor import alert_needs_instructor
from reformer.scheduling.audit_codes import (
    SCHEDULING_UNAVAILABILITY_ADDED,
    SCHEDULING_UNAVAILABILITY_REMOVED,
)
from reformer.scheduling.models import ClassSession, InstructorUnavailability
from reformer.studios.validation import clean_text, invalid

MAX_PERIOD = dt.timedelta(days=366)


def _authorize(actor: Membership, instructor: Membership) -> None:
    """Instructors mark themselves away; managers reach instructors who teach in one of their
    studios; owners reach all (core.permissions.may_manage_time_off_of)."""
    require_same_organization(actor, instructor, "instructor")
    if not is_staff(actor):
        raise PermissionDenied(MANAGE_SCHEDULE)
    if not is_staff(instructor):
        raise invalid(f"{instructor.name} is not an active member of staff.", "instructor")
    if not may_manage_time_off_of(actor, instructor):
        raise PermissionDenied(MANAGE_SCHEDULE)


def add_unavailability(
    actor: Membership,
    instructor: Membership,
    *,
    starts_on: dt.date,
    ends_on: dt.date,
    reason: str = "",
) -> InstructorUnavailability:
    """Mark an instructor away from `starts_on` to `ends_on` (inclusive, local dates).

    Their scheduled classes in that period lose their instructor (they then show as needing
    one), and generation leaves them off classes on those days.
    """
    _authorize(actor, instructor)
    reason = clean_text(reason, field="reason", label="Reason", max_length=200, required=False)
    if ends_on < starts_on:
        raise invalid("The last day must be on or after the first day.", "ends_on")
    if ends_on - starts_on > MAX_PERIOD:
        raise invalid("Enter at most a year at a time.", "ends_on")
    if ends_on < local_today(instructor.organization.time_zone):
        raise invalid("That period is over already.", "ends_on")
    covering = InstructorUnavailability.objects.filter(
        instructor=instructor, starts_on__lte=starts_on, ends_on__gte=ends_on
    ).first()
    if covering is not None:
        # A second click on "Save" listed the same days twice.
        raise invalid(f"{instructor.name} is already away on those days.", "starts_on")
    with transaction.atomic(durable=True):
        away = InstructorUnavailability.objects.create(
            organization_id=actor.organization_id,
            instructor=instructor,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=reason,
        )
        # A day is local to each studio: fetch with a day's margin, then compare local dates.
        candidates = (
            ClassSession.objects.select_for_update(of=("self",))
            .select_related("studio", "class_type")
            .filter(
                instructor=instructor,
                status=ClassSession.Status.SCHEDULED,
                starts_at__gt=timezone.now(),
                starts_at__date__gte=starts_on - dt.timedelta(days=1),
                starts_at__date__lte=ends_on + dt.timedelta(days=1),
            )
            .order_by("starts_at")
        )
        affected = [
            session
            for session in candidates
            if starts_on <= to_local(session.starts_at, session.studio.time_zone).date() <= ends_on
        ]
        if affected:
            ClassSession.objects.filter(pk__in=[session.pk for session in affected]).update(
                instructor=None
            )
            for session in affected:
                alert_needs_instructor(session, because=f"{instructor.name} is away")
            for studio_id in {session.studio_id for session in affected}:
                publish_after_commit(
                    [studio_schedule(studio_id)],
                    "session",
                    "updated",
                    [session.pk for session in affected if session.studio_id == studio_id],
                )
        audit.record(
            actor,
            SCHEDULING_UNAVAILABILITY_ADDED,
            away,
            instructor=instructor,
            starts_on=starts_on,
            ends_on=ends_on,
            sessions_unassigned=[session.pk for session in affected],
        )
    away.unassigned = [session.pk for session in affected]
    return away


def remove_unavailability(actor: Membership, unavailability: InstructorUnavailability) -> None:
    """Delete a period (the instructor is not put back on classes: assign them again)."""
    require_same_organization(actor, unavailability, "unavailability")
    _authorize(actor, unavailability.instructor)
    with transaction.atomic(durable=True):
        audit.record(
            actor,
            SCHEDULING_UNAVAILABILITY_REMOVED,
            unavailability,
            instructor=unavailability.instructor_id,
            starts_on=unavailability.starts_on,
            ends_on=unavailability.ends_on,
        )
        InstructorUnavailability.objects.filter(pk=unavailability.pk).delete()
