"""Attendance marks made offline (PHX-26), applied when the device reconnects: in the
order they were made, each once.

Each mark carries a key the device chose. The key is claimed first, in a statement of its
own (`OfflineMark`, unique per organization); only the request that claimed it applies the
mark (through `mark_attendance`, so the same rules, audit and live updates as a mark made
online), then stores the outcome. A repeat gets the stored outcome. A mark whose booking was
cancelled meanwhile is a conflict the person is shown, not an error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.bookings.actions.attendance import mark_attendance
from reformer.bookings.errors import ATTENDANCE_CANCELLED, ATTENDANCE_CHANGED
from reformer.bookings.models import Booking, OfflineMark
from reformer.core.errors import VALIDATION, AccessError, DomainError, NotFound
from reformer.core.permissions import MARK_ATTENDANCE, require

# Marks the device may send at once (a long day's roster offline fits easily).
MOST_MARKS = 200
# A mark claimed by a request that died before storing its outcome is tried again after
# this long (applying it twice is harmless: the same status is not recorded again).
STALE_CLAIM = dt.timedelta(minutes=2)
STATUSES = ("attended", "late", "no_show")
CONFLICT_CODES = frozenset({ATTENDANCE_CANCELLED, ATTENDANCE_CHANGED})


@dataclass(frozen=True)
class MarkRequest:
    key: str
    booking_id: int
    status: str
    marked_at: dt.datetime | None = None


@dataclass(frozen=True)
class MarkResult:
    key: str
    outcome: str  # applied | conflict | refused | pending
    message: str
    repeated: bool = False
    # A refusal's DomainError code (NOT_FOUND for another organization's booking).
    code: str = ""


def apply_offline_marks(actor: Membership, marks: list[MarkRequest]) -> list[MarkResult]:
    """Apply the marks in the order given; one result per mark, in the same order."""
    if len(marks) > MOST_MARKS:
        raise DomainError(VALIDATION, f"Send at most {MOST_MARKS} marks at once.")
    for mark in marks:
        if mark.status not in STATUSES or not mark.key or len(mark.key) > 64:
            raise DomainError(VALIDATION, "Each mark needs a key and attended, late or no_show.")
    return [_apply_one(actor, mark) for mark in marks]


def _booking(actor: Membership, booking_id: int) -> Booking:
    booking = (
        Booking.objects.filter(pk=booking_id, organization_id=actor.organization_id)
        .select_related("session__studio", "client__user")
        .first()
    )
    if booking is None:
        raise NotFound("booking")
    require(actor, MARK_ATTENDANCE, session=booking.session)
    return booking


def _claim(actor: Membership, mark: MarkRequest, booking: Booking) -> OfflineMark | None:
    """The new claim, or None when the key was claimed before (by any request)."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        claim, created = OfflineMark.objects.get_or_create(
            organization_id=actor.organization_id,
            key=mark.key,
            defaults={
                "booking": booking,
                "marked_by": actor,
                "status": mark.status,
                "marked_offline_at": mark.marked_at,
                "received_at": now,
            },
        )
        if created:
            return claim
        # Claimed by a request that died before recording what happened: take it over.
        taken = OfflineMark.objects.filter(
            pk=claim.pk, outcome=OfflineMark.Outcome.PENDING, received_at__lt=now - STALE_CLAIM
        ).update(received_at=now)
        return claim if taken else None


def _apply_one(actor: Membership, mark: MarkRequest) -> MarkResult:
    try:
        booking = _booking(actor, mark.booking_id)
    except AccessError as error:
        return MarkResult(
            mark.key,
            OfflineMark.Outcome.REFUSED,
            "This booking is not yours to mark.",
            code=error.code,
        )
    claim = _claim(actor, mark, booking)
    if claim is None:
        stored = OfflineMark.objects.get(organization_id=actor.organization_id, key=mark.key)
        return MarkResult(mark.key, stored.outcome, stored.message, repeated=True)
    name = booking.client.name
    try:
        if mark.status == "no_show":
            mark_attendance(actor, booking, "no_show")
        else:
            mark_attendance(actor, booking, "attended", late=mark.status == "late")
    except AccessError:
        # _booking checked the capability for this class: only a change of role since.
        outcome, message = OfflineMark.Outcome.REFUSED, "You may not mark this class."
    except DomainError as error:
        conflict = error.code in CONFLICT_CODES
        outcome = OfflineMark.Outcome.CONFLICT if conflict else OfflineMark.Outcome.REFUSED
        message = f"{name}: {error.message}"
    else:
        label = {"attended": "attended", "late": "attended (late)", "no_show": "a no-show"}
        outcome, message = OfflineMark.Outcome.APPLIED, f"{name} marked {label[mark.status]}."
    with transaction.atomic(durable=True):
        OfflineMark.objects.filter(pk=claim.pk).update(outcome=outcome, message=message[:300])
    return MarkResult(mark.key, outcome, message)
