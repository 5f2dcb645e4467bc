"""Cancellation terms: what cancelling now would mean, shown before the client confirms."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from reformer.bookings.context import format_deadline, policy_of
from reformer.bookings.models import Booking
from reformer.scheduling.models import ClassSession
from reformer.studios.models import StudioPolicy


@dataclass(frozen=True)
class CancellationTerms:
    is_late: bool  # inside the studio's cancellation window (or the class has started)
    credit_returns: bool  # cancelling now gives the credit back
    deadline: dt.datetime  # aware: the last moment for a free cancellation
    message: str  # "Cancel before Tue 14 Jan, 18:00 EST to get your credit back."
    can_cancel: bool = True  # False once the class has started


def cancellation_terms(booking: Booking, *, now: dt.datetime | None = None) -> CancellationTerms:
    session = booking.session
    package = booking.client_package
    return terms_for(
        session,
        policy_of(session),
        now=now or timezone.now(),
        unlimited=package is not None and package.is_unlimited,
    )


def terms_for(
    session: ClassSession, policy: StudioPolicy, *, now: dt.datetime, unlimited: bool = False
) -> CancellationTerms:
    deadline = session.starts_at - dt.timedelta(hours=policy.cancellation_window_hours)
    when = format_deadline(deadline, session.studio)
    started = now >= session.starts_at
    is_late = now >= deadline
    refunds_late = policy.late_cancel_rule == StudioPolicy.LateCancelRule.REFUND
    if started:
        return CancellationTerms(
            is_late=True,
            credit_returns=False,
            deadline=deadline,
            message="This class has started, so it can no longer be cancelled.",
            can_cancel=False,
        )
    if not is_late:
        goal = "avoid a late cancellation" if unlimited else "get your credit back"
        message = f"Cancel before {when} to {goal}."
    elif refunds_late or unlimited:
        message = "You can still cancel until the class starts" + (
            "." if unlimited else " and get your credit back."
        )
    else:
        message = (
            f"The free cancellation window closed at {when}: "
            "if you cancel now the studio keeps the credit."
        )
    return CancellationTerms(
        is_late=is_late,
        credit_returns=not is_late or refunds_late,
        deadline=deadline,
        message=message,
    )


def cancellation_policy_text(
    session: ClassSession, policy: StudioPolicy, *, now: dt.datetime | None = None
) -> str:
    """The policy in one or two sentences, for the booking dialog (with the studio's
    late-cancel and no-show fees, when it charges them)."""
    from reformer.payments.actions.fees import fee_policy_text

    return _credit_policy_text(session, policy, now=now) + fee_policy_text(session.studio_id)


def _credit_policy_text(
    session: ClassSession, policy: StudioPolicy, *, now: dt.datetime | None = None
) -> str:
    deadline = session.starts_at - dt.timedelta(hours=policy.cancellation_window_hours)
    refunds_late = policy.late_cancel_rule == StudioPolicy.LateCancelRule.REFUND
    if deadline <= (now or timezone.now()):
        # Booking inside the window: say what cancelling would mean now, not a past date.
        hours = policy.cancellation_window_hours
        text = f"This class starts within {hours} hour{'s' if hours != 1 else ''}."
        if refunds_late:
            return text + " Cancelling still gets the credit back; a no-show uses it."
        return text + " Once booked, cancelling or not showing up uses the credit."
    when = format_deadline(deadline, session.studio)
    hours = policy.cancellation_window_hours
    text = f"Free cancellation until {when} ({hours} hour{'s' if hours != 1 else ''} before class)."
    if refunds_late:
        return text + " Later cancellations still get the credit back; a no-show uses it."
    return text + " After that, cancelling or not showing up uses the credit."
