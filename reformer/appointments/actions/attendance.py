"""Attendance at appointments: check-in at the desk or by the instructor, no-shows.

The rules match classes: attended or no-show keep the credits; a confirmed place nobody
checked in is marked a no-show by the sweep once the appointment is over (grace included).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.appointments import notify
from reformer.appointments.audit_codes import (
    APPOINTMENTS_PLACE_ATTENDED,
    APPOINTMENTS_PLACE_NO_SHOW,
)
from reformer.appointments.errors import (
    APPOINTMENT_CANCELLED,
    ATTENDANCE_NOT_BOOKED,
)
from reformer.appointments.models import Appointment, Attendee
from reformer.bookings.errors import (
    ATTENDANCE_TOO_EARLY,
)
from reformer.core import audit
from reformer.core.errors import VALIDATION, DomainError
from reformer.core.permissions import MARK_ATTENDANCE, require, require_same_organization

CHECK_IN_OPENS = dt.timedelta(hours=1)  # the desk may check a client in this early
NO_SHOW_AFTER_END = dt.timedelta(minutes=30)


def mark_attendee(actor: Membership, attendee: Attendee, status: str) -> Attendee:
    """Staff at the studio, or the appointment's instructor, record attended or no-show
    (and may correct it either way until the day after)."""
    require_same_organization(actor, attendee, "appointment")
    appointment = Appointment.objects.select_related("studio", "instructor").get(
        pk=attendee.appointment_id
    )
    require(actor, MARK_ATTENDANCE, session=appointment)
    if status not in (Attendee.Status.ATTENDED, Attendee.Status.NO_SHOW):
        raise DomainError(VALIDATION, "Mark the client attended or a no-show.", field="status")
    now = timezone.now()
    if now < appointment.starts_at - CHECK_IN_OPENS:
        raise DomainError(
            ATTENDANCE_TOO_EARLY,
            "Check-in opens an hour before the appointment.",
        )
    if appointment.status != Appointment.Status.SCHEDULED:
        raise DomainError(APPOINTMENT_CANCELLED, "This appointment was cancelled.")
    with transaction.atomic(durable=True):
        attendee = Attendee.objects.select_for_update().get(pk=attendee.pk)
        if attendee.status not in Attendee.HOLDING:
            raise DomainError(
                ATTENDANCE_NOT_BOOKED, "This client cancelled their place; nothing to mark."
            )
        if status == Attendee.Status.NO_SHOW and now < appointment.starts_at:
            raise DomainError(
                ATTENDANCE_TOO_EARLY, "A no-show can only be marked once it has started."
            )
        attendee.status = status
        attendee.checked_in_at = now if status == Attendee.Status.ATTENDED else None
        attendee.save(update_fields=["status", "checked_in_at"])
        code = (
            APPOINTMENTS_PLACE_ATTENDED
            if status == Attendee.Status.ATTENDED
            else APPOINTMENTS_PLACE_NO_SHOW
        )
        audit.record(actor, code, attendee)
        notify.publish(appointment, "attendance", [])
    return attendee


def mark_overdue_no_shows(now: dt.datetime | None = None) -> int:
    """Confirmed places nobody checked in, of appointments over for a while: no-shows."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        overdue = list(
            Attendee.objects.select_for_update(skip_locked=True)
            .filter(
                status=Attendee.Status.CONFIRMED,
                ends_at__lt=now - NO_SHOW_AFTER_END,
                appointment__status=Appointment.Status.SCHEDULED,
            )
            .values_list("pk", flat=True)
        )
        Attendee.objects.filter(pk__in=overdue).update(status=Attendee.Status.NO_SHOW)
        for pk in overdue:
            audit.record(
                None,
                APPOINTMENTS_PLACE_NO_SHOW,
                Attendee(pk=pk, organization_id=_org_of(pk)),
            )
    return len(overdue)


def _org_of(attendee_id: int) -> int:
    return Attendee.objects.values_list("organization_id", flat=True).get(pk=attendee_id)
