"""Attendance: check-in, attended / no-show, undo, strikes and suspensions, and the
automatic no-show sweep (PHX-19). A no-show keeps the credit; places are not freed
(attended and no-show both hold their place)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import DurationField, ExpressionWrapper, F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from reformer.accounts.audit_codes import ACCOUNTS_CLIENT_SUSPENSION_LIFTED
from reformer.accounts.models import ClientProfile, Membership
from reformer.bookings import notify
from reformer.bookings.actions import strikes
from reformer.bookings.actions._db import busy_as_domain_error
from reformer.bookings.audit_codes import BOOKING_STATUS_CODES
from reformer.bookings.context import format_local, load_session, policy_of
from reformer.bookings.errors import (
    ATTENDANCE_ALREADY_CHECKED_IN,
    ATTENDANCE_CANCELLED,
    ATTENDANCE_CHANGED,
    ATTENDANCE_CLASS_OVER,
    ATTENDANCE_NOT_CONFIRMED,
    ATTENDANCE_NOTHING_TO_UNDO,
    ATTENDANCE_TOO_EARLY,
    SUSPENSION_NOT_SUSPENDED,
)
from reformer.bookings.models import Booking
from reformer.core import alerts, audit
from reformer.core.errors import VALIDATION, DomainError, NotFound
from reformer.core.permissions import (
    LIFT_SUSPENSION,
    MARK_ATTENDANCE,
    require,
    require_same_organization,
)
from reformer.payments.actions import fees
from reformer.scheduling.models import ClassSession
from reformer.studios.models import StudioPolicy

logger = logging.getLogger(__name__)

ATTENDED = Booking.Status.ATTENDED
NO_SHOW = Booking.Status.NO_SHOW
CONFIRMED = Booking.Status.CONFIRMED
_RECORDED = (CONFIRMED, ATTENDED, NO_SHOW)


def _load(actor: Membership | None, booking: Booking) -> tuple[Booking, ClassSession]:
    if actor is not None:
        require_same_organization(actor, booking, "booking")
    booking = Booking.objects.select_related("client__user").get(pk=booking.pk)
    session = load_session(booking.session_id)
    if actor is not None:
        require(actor, MARK_ATTENDANCE, session=session)
    return booking, session


def check_in(actor: Membership, booking: Booking) -> Booking:
    """The client arrived. After the start they are attended-late (and get a gentle note)."""
    booking, session = _load(actor, booking)
    policy = policy_of(session)
    now = timezone.now()
    if booking.status == ATTENDED:
        raise DomainError(ATTENDANCE_ALREADY_CHECKED_IN, "This client is already checked in.")
    if booking.status != CONFIRMED:
        raise DomainError(ATTENDANCE_NOT_CONFIRMED, "Only a confirmed booking can be checked in.")
    opens_at = session.starts_at - dt.timedelta(minutes=policy.check_in_window_minutes)
    if now < opens_at:
        when = format_local(
            opens_at,
            session.studio.time_zone,
            with_zone=True,
            organization_id=session.organization_id,
        )
        raise DomainError(ATTENDANCE_TOO_EARLY, f"Check-in opens at {when}.")
    if now > session.ends_at:
        raise DomainError(ATTENDANCE_CLASS_OVER, "This class has ended: mark attendance instead.")
    return _record(
        actor,
        booking,
        session,
        policy,
        ATTENDED,
        now,
        is_late=now > session.starts_at,
        checked_in_at=now,
    )


def mark_attendance(
    actor: Membership | None, booking: Booking, status: str, *, late: bool | None = None
) -> Booking:
    """Record attended or no_show (also to correct one into the other). Attended within the
    grace period after the start counts as late unless staff say otherwise with `late`
    (the front desk knows when someone walked in). `actor` None is the system (no-show job)."""
    if status not in (ATTENDED, NO_SHOW):
        raise DomainError(VALIDATION, "Attendance is attended or no_show.", field="status")
    if actor is None and status != NO_SHOW:
        raise DomainError(VALIDATION, "Only staff record attendance.", field="status")
    booking, session = _load(actor, booking)
    policy = policy_of(session)
    now = timezone.now()
    if booking.status not in _RECORDED:
        raise DomainError(
            ATTENDANCE_CANCELLED, "This booking was cancelled; there is no attendance to record."
        )
    if booking.status == status and (late is None or booking.is_late == late):
        return booking
    if status == NO_SHOW:
        if now < session.starts_at:
            raise DomainError(
                ATTENDANCE_TOO_EARLY, "A no-show can only be recorded once the class starts."
            )
        return _record(
            actor, booking, session, policy, NO_SHOW, now, is_late=False, checked_in_at=None
        )
    opens_at = session.starts_at - dt.timedelta(minutes=policy.check_in_window_minutes)
    if now < opens_at:
        when = format_local(
            opens_at,
            session.studio.time_zone,
            with_zone=True,
            organization_id=session.organization_id,
        )
        raise DomainError(ATTENDANCE_TOO_EARLY, f"Attendance can be recorded from {when}.")
    grace_end = session.starts_at + dt.timedelta(minutes=policy.no_show_grace_minutes)
    return _record(
        actor,
        booking,
        session,
        policy,
        ATTENDED,
        now,
        is_late=late if late is not None else session.starts_at < now <= grace_end,
        checked_in_at=booking.checked_in_at or (now if now <= session.ends_at else None),
    )


def mark_no_show(actor: Membership | None, booking: Booking) -> Booking:
    return mark_attendance(actor, booking, NO_SHOW)


def undo_attendance(actor: Membership, booking: Booking) -> Booking:
    """Back to confirmed (a mistaken check-in or no-show); the strike goes with it."""
    booking, session = _load(actor, booking)
    if booking.status not in (ATTENDED, NO_SHOW):
        raise DomainError(ATTENDANCE_NOTHING_TO_UNDO, "No attendance is recorded for this booking.")
    return _record(
        actor,
        booking,
        session,
        policy_of(session),
        CONFIRMED,
        timezone.now(),
        is_late=False,
        checked_in_at=None,
    )


def _record(
    actor: Membership | None,
    booking: Booking,
    session: ClassSession,
    policy: StudioPolicy,
    status: str,
    now: dt.datetime,
    *,
    is_late: bool,
    checked_in_at: dt.datetime | None,
) -> Booking:
    previous = booking.status
    # A strike spent on a suspension goes with the no-show it belonged to (lifting that
    # suspension if it no longer stands); a no-show marked again is a fresh strike.
    taken_back_used_at = booking.strike_used_at if previous == NO_SHOW else None
    with busy_as_domain_error(), transaction.atomic(durable=True):
        changed = Booking.objects.filter(pk=booking.pk, status=previous).update(
            status=status, is_late=is_late, checked_in_at=checked_in_at, strike_used_at=None
        )
        if not changed:
            raise DomainError(
                ATTENDANCE_CHANGED, "Someone else just updated this booking. Please reload."
            )
        booking.status, booking.is_late, booking.checked_in_at = status, is_late, checked_in_at
        booking.strike_used_at = None
        audit.record(actor, BOOKING_STATUS_CODES[status], booking, previous=previous, late=is_late)
        if NO_SHOW in (status, previous):
            _count_strikes(
                actor,
                booking,
                session,
                policy,
                now,
                new_no_show=status == NO_SHOW,
                taken_back_used_at=taken_back_used_at,
            )
        if status == NO_SHOW:
            fees.queue_fee(booking, fees.NO_SHOW, studio_id=session.studio_id)
        if status == ATTENDED and is_late and previous == CONFIRMED:
            notify.queue_class_email(
                "late_arrival",
                session=session,
                client=booking.client,
                key=f"late-arrival:{booking.pk}",
                booking=booking,
            )
        notify.publish_booking(
            booking,
            "attendance",
            session=session,
            user_id=booking.client.user_id,
            package_id=None,
        )
    return booking


def _count_strikes(
    actor: Membership | None,
    booking: Booking,
    session: ClassSession,
    policy: StudioPolicy,
    now: dt.datetime,
    *,
    new_no_show: bool,
    taken_back_used_at: dt.datetime | None,
) -> None:
    strikes.count_strikes(
        strikes.MissedVisit(
            client=booking.client,
            organization_id=booking.organization_id,
            studio_id=session.studio_id,
            time_zone=session.studio.time_zone,
            context=notify.class_context(session, booking=booking),
            no_show_key=f"no-show:{booking.pk}",
            subject_data={"booking": booking.pk},
        ),
        policy,
        now,
        new_no_show=new_no_show,
        taken_back_used_at=taken_back_used_at,
        actor=actor,
    )


def lift_suspension(actor: Membership, client: Membership) -> ClientProfile:
    """Staff reinstate a client: booking allowed again and the strikes start from zero."""
    require_same_organization(actor, client, "client")
    require(actor, LIFT_SUSPENSION)
    now = timezone.now()
    profile = ClientProfile.objects.filter(membership_id=client.pk).first()
    if profile is None:
        raise NotFound("client")
    if profile.suspended_until is None or profile.suspended_until <= now:
        raise DomainError(SUSPENSION_NOT_SUSPENDED, "This client is not suspended.")
    with busy_as_domain_error(), transaction.atomic(durable=True):
        # Lock order as in attendance: the client's bookings, then the profile.
        strikes.use_all_strikes(client.pk, now)
        profile = ClientProfile.objects.select_for_update().get(pk=profile.pk)
        lifted = profile.suspended_until
        if lifted is None or lifted <= now:
            raise DomainError(SUSPENSION_NOT_SUSPENDED, "This client is not suspended.")
        profile.suspended_until = None
        profile.no_show_strikes = 0
        profile.save(update_fields=["suspended_until", "no_show_strikes"])
        audit.record(actor, ACCOUNTS_CLIENT_SUSPENSION_LIFTED, profile, was_until=lifted)
        strikes.announce_lifted(client, profile, lifted)
    return profile


class NoShowSweepError(Exception):
    """Some bookings could not be marked; the others were. The job retries."""


def mark_overdue_no_shows(*, now: dt.datetime | None = None, batch_size: int = 100) -> int:
    """Mark confirmed bookings nobody checked in as no-shows once start + grace has passed
    (classes of the last 24 hours). Each booking in its own transaction, so a failure keeps
    the ones done; failures are reported at the end (admin alert, error for a retry)."""
    now = now or timezone.now()
    grace = ExpressionWrapper(
        Coalesce(F("session__studio__policy__no_show_grace_minutes"), Value(10))
        * dt.timedelta(minutes=1),
        output_field=DurationField(),
    )
    overdue = (
        Booking.objects.filter(
            status=CONFIRMED,
            checked_in_at__isnull=True,
            session__status=ClassSession.Status.SCHEDULED,
            starts_at__gte=now - dt.timedelta(hours=24),
            starts_at__lt=now,
        )
        .alias(deadline=F("starts_at") + grace)
        .filter(deadline__lt=now)
        .order_by("starts_at", "id")
    )
    marked = 0
    passed: set[int] = set()
    failures: list[tuple[int, str]] = []
    while batch := list(overdue.exclude(pk__in=passed).values_list("pk", flat=True)[:batch_size]):
        for booking_id in batch:
            try:
                mark_no_show(None, Booking(pk=booking_id))
                marked += 1
            except DomainError:
                passed.add(booking_id)  # changed meanwhile (checked in, cancelled)
            except Exception as exc:
                logger.exception("marking booking %s as a no-show failed", booking_id)
                passed.add(booking_id)
                failures.append((booking_id, str(exc)))
    if failures:
        _alert_sweep_failures(failures)
        raise NoShowSweepError("; ".join(f"booking {pk}: {error}" for pk, error in failures[:5]))
    return marked


def _alert_sweep_failures(failures: list[tuple[int, str]]) -> None:
    """One alert per organization, naming its bookings the sweep could not mark."""
    organization_of = dict(
        Booking.objects.filter(pk__in=[pk for pk, _ in failures]).values_list(
            "pk", "organization_id"
        )
    )
    by_organization: dict[int | None, list[str]] = {}
    for booking_id, error in failures:
        by_organization.setdefault(organization_of.get(booking_id), []).append(
            f"booking {booking_id}: {error}"
        )
    for organization_id, lines in by_organization.items():
        alerts.raise_alert(
            alerts.NO_SHOW_SWEEP_FAILED,
            f"{len(lines)} bookings could not be marked as no-shows; the job will retry them.",
            organization_id=organization_id,
            data={"failures": lines[:50]},
        )
