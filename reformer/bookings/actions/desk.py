"""The front desk's shortcut: everyone still unmarked in a class is checked in at once."""

from __future__ import annotations

from dataclasses import dataclass, field

from reformer.accounts.models import Membership
from reformer.bookings.actions.attendance import mark_attendance
from reformer.bookings.errors import ATTENDANCE_TOO_EARLY
from reformer.bookings.models import Booking
from reformer.core.errors import DomainError
from reformer.core.permissions import MARK_ATTENDANCE, require, require_same_organization
from reformer.scheduling.models import ClassSession


@dataclass
class CheckInAll:
    marked: list[Booking] = field(default_factory=list)
    refused: list[tuple[Booking, str]] = field(default_factory=list)


def check_in_all(actor: Membership, session: ClassSession) -> CheckInAll:
    """Mark every confirmed (unmarked) booking of the class attended, each in its own
    transaction through `mark_attendance` (the same rules, audit rows and live events as
    one tap per row). A refusal that holds for the whole class (too early) is raised; a
    refusal of one booking (cancelled meanwhile) is reported and the rest go on."""
    require_same_organization(actor, session, "class")
    require(actor, MARK_ATTENDANCE, session=session)
    result = CheckInAll()
    unmarked = Booking.objects.filter(
        organization_id=actor.organization_id, session=session, status=Booking.Status.CONFIRMED
    ).order_by("id")
    for booking in unmarked:
        try:
            result.marked.append(mark_attendance(actor, booking, "attended"))
        except DomainError as error:
            if error.code == ATTENDANCE_TOO_EARLY:
                raise  # the same for every row: nothing more can be marked yet
            result.refused.append((booking, error.message))
    return result
