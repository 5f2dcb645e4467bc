"""Attendance at appointments: check-in at the desk or by the instructor, no-shows.

The rules match classes: attended or no-show keep the credits; a confirmed place nobody
checked in is marked a no-show by the sweep once the start and the studio's grace have
passed, and every no-show is a strike towards the same suspension as class no-shows.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import DurationField, ExpressionWrapper, F, Value
from django.db.models.functions import Coalesce
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
from reformer.bookings.actions import strikes
from reformer.bookings.actions._db import busy_as_domain_error
from reformer.bookings.errors import ATTENDANCE_TOO_EARLY
from reformer.core import audit
from reformer.core.errors import VALIDATION, DomainError
from reformer.core.permissions import MARK_ATTENDANCE, require, require_same_organization
from reformer.studios.models import StudioPolicy

CHECK_IN_OPENS = dt.timedelta(hours=1)  # the desk may check a client in this early


def mark_attendee(actor: Membership, attendee: Attendee, status: str) -> Attendee:
    """Staff at the studio, or the appointment's instructor, record attended or no-show
    (and may correct it either way until the day after)."""
    require_same_organization(actor, attendee, "appointment")
    appointment = _appointment_of(attendee)
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
    return _record(actor, attendee, appointment, status, now)


def _appointment_of(attendee: Attendee) -> Appointment:
    return Appointment.objects.select_related(
        "studio__policy", "instructor__user", "appointment_type", "room", "spot"
    ).get(pk=attendee.appointment_id)


def policy_of(appointment: Appointment) -> StudioPolicy:
    """The studio's policy (strikes, grace); the spec's defaults if none was set up."""
    studio = appointment.studio
    try:
        return studio.policy
    except StudioPolicy.DoesNotExist:
        return StudioPolicy(studio=studio, organization_id=studio.organization_id)


def _record(
    actor: Membership | None,
    attendee: Attendee,
    appointment: Appointment,
    status: str,
    now: dt.datetime,
) -> Attendee:
    """Write attended / no-show; a no-show given or taken back recounts the client's
    strikes exactly as a class no-show does (one count across classes and appointments)."""
    with busy_as_domain_error(), transaction.atomic(durable=True):
        attendee = (
            Attendee.objects.select_for_update().select_related("client__user").get(pk=attendee.pk)
        )
        if attendee.status not in Attendee.HOLDING:
            raise DomainError(
                ATTENDANCE_NOT_BOOKED, "This client cancelled their place; nothing to mark."
            )
        if status == Attendee.Status.NO_SHOW and now < appointment.starts_at:
            raise DomainError(
                ATTENDANCE_TOO_EARLY, "A no-show can only be marked once it has started."
            )
        previous = attendee.status
        if previous == status:
            return attendee
        # As for class bookings: a spent strike goes with its no-show (bookings.attendance).
        taken_back_used_at = (
            attendee.strike_used_at if previous == Attendee.Status.NO_SHOW else None
        )
        attendee.status = status
        attendee.checked_in_at = now if status == Attendee.Status.ATTENDED else None
        attendee.strike_used_at = None
        attendee.save(update_fields=["status", "checked_in_at", "strike_used_at"])
        code = (
            APPOINTMENTS_PLACE_ATTENDED
            if status == Attendee.Status.ATTENDED
            else APPOINTMENTS_PLACE_NO_SHOW
        )
        audit.record(actor, code, attendee, previous=previous)
        if Attendee.Status.NO_SHOW in (status, previous):
            attendee.appointment = appointment
            strikes.count_strikes(
                strikes.MissedVisit(
                    client=attendee.client,
                    organization_id=attendee.organization_id,
                    studio_id=appointment.studio_id,
                    time_zone=appointment.studio.time_zone,
                    context=notify.appointment_context(attendee),
                    no_show_key=f"no-show:appointment-place:{attendee.pk}",
                    subject_data={"appointment_place": attendee.pk},
                ),
                policy_of(appointment),
                now,
                new_no_show=status == Attendee.Status.NO_SHOW,
                taken_back_used_at=taken_back_used_at,
                actor=actor,
            )
        if status == Attendee.Status.NO_SHOW:
            # The type's no-show fee (money-priced types), charged by a job after commit.
            from reformer.payments.actions.fees import NO_SHOW, queue_appointment_fee

            queue_appointment_fee(attendee, appointment.appointment_type, NO_SHOW)
        notify.publish(appointment, "attendance", [attendee.client.user_id])
    return attendee


def mark_overdue_no_shows(now: dt.datetime | None = None) -> int:
    """Confirmed places nobody checked in, once the start and the studio's no-show grace
    have passed (appointments of the last 24 hours, as for classes): no-shows, each in its
    own transaction with its strike, so one failure keeps the others."""
    now = now or timezone.now()
    grace = ExpressionWrapper(
        Coalesce(F("appointment__studio__policy__no_show_grace_minutes"), Value(10))
        * dt.timedelta(minutes=1),
        output_field=DurationField(),
    )
    overdue = list(
        Attendee.objects.filter(
            status=Attendee.Status.CONFIRMED,
            checked_in_at__isnull=True,
            appointment__status=Appointment.Status.SCHEDULED,
            starts_at__gte=now - dt.timedelta(hours=24),
            starts_at__lt=now,
        )
        .alias(deadline=F("starts_at") + grace)
        .filter(deadline__lt=now)
        .order_by("starts_at", "pk")
        .values_list("pk", flat=True)
    )
    marked = 0
    for pk in overdue:
        attendee = Attendee.objects.get(pk=pk)
        try:
            _record(None, attendee, _appointment_of(attendee), Attendee.Status.NO_SHOW, now)
        except DomainError:
            continue  # changed meanwhile (checked in, cancelled)
        marked += 1
    return marked
