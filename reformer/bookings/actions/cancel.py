"""Cancelling: a client's booking (with the studio's late-cancel rule) or a whole class."""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.billing.actions import return_credit
from reformer.billing.models import CreditLedger
from reformer.bookings import notify
from reformer.bookings.actions._access import require_own_or_desk
from reformer.bookings.actions._db import busy_as_domain_error
from reformer.bookings.actions._place import hold_added_places, release_place
from reformer.bookings.actions.terms import terms_for
from reformer.bookings.audit_codes import BOOKING_STATUS_CODES, BOOKINGS_SESSION_CANCELLED
from reformer.bookings.context import load_session, policy_of
from reformer.bookings.errors import (
    BOOKING_ALREADY_CANCELLED,
    BOOKING_ALREADY_STARTED,
    BOOKING_NOT_CANCELLABLE,
)
from reformer.bookings.models import Booking, WaitlistEntry
from reformer.core import audit, live
from reformer.core.errors import VALIDATION, DomainError
from reformer.core.permissions import (
    MANAGE_SCHEDULE,
    OVERRIDE_POLICY,
    require,
    require_same_organization,
)
from reformer.payments.actions import fees
from reformer.scheduling.errors import SESSION_ALREADY_CANCELLED, SESSION_ALREADY_STARTED
from reformer.scheduling.models import ClassSession
from reformer.studios.models import StudioPolicy

_CANCEL_SESSION_SQL = """
UPDATE scheduling_classsession
   SET status = 'cancelled', cancelled_reason = %(reason)s, booked_count = 0, waiting_count = 0,
       held_count = 0
 WHERE id = %(session_id)s AND status = 'scheduled'
RETURNING id
"""


def request_promotion(session_id: int) -> None:
    """Enqueue waitlist promotion for a class in the current transaction (one queued job per
    class). Call it wherever a place frees up: a cancellation, a capacity increase."""
    from reformer.bookings.jobs import promote_waitlist as promote_waitlist_job
    from reformer.core.jobs import defer_in_transaction

    defer_in_transaction(
        promote_waitlist_job, queueing_lock=f"promote-{session_id}", session_id=session_id
    )


def hold_places_for_waitlist(session: ClassSession) -> None:
    """Capacity was raised while people wait: the new places are theirs first (PHX-16)."""
    if policy_of(session).waitlist_mode == StudioPolicy.WaitlistMode.AUTO_PROMOTE:
        hold_added_places(session.pk)
        request_promotion(session.pk)


def cancel_booking(
    actor: Membership,
    booking: Booking,
    *,
    reason: str = "",
    return_credit: bool | None = None,
    outermost: bool = True,
) -> Booking:
    """Cancel before the class starts. Before the studio's cancellation window the credit
    comes back; inside it the booking is a late cancel and the policy decides. Staff with
    OVERRIDE_POLICY may decide instead (`return_credit`), giving a reason.
    Durable unless `outermost` is False (a switch cancels and books in one transaction)."""
    require_same_organization(actor, booking, "booking")
    booking = Booking.objects.select_related("client__user", "client_package").get(pk=booking.pk)
    session = load_session(booking.session_id)
    require_own_or_desk(actor, booking.client_id, session)
    reason = reason.strip()
    if return_credit is not None:
        require(actor, OVERRIDE_POLICY, session=session)
        if not reason:
            raise DomainError(
                VALIDATION,
                "Give a reason for overriding the cancellation policy.",
                field="reason",
            )
    if booking.status in (Booking.Status.CANCELLED, Booking.Status.LATE_CANCELLED):
        raise DomainError(BOOKING_ALREADY_CANCELLED, "This booking is already cancelled.")
    if booking.status != Booking.Status.CONFIRMED:
        raise DomainError(
            BOOKING_NOT_CANCELLABLE,
            "Attendance is already recorded for this booking, so it can't be cancelled.",
        )
    now = timezone.now()
    policy = policy_of(session)
    package = booking.client_package
    unlimited = package is not None and package.is_unlimited
    terms = terms_for(session, policy, now=now, unlimited=unlimited)
    if not terms.can_cancel:
        raise DomainError(
            BOOKING_ALREADY_STARTED,
            "This class has started, so the booking can no longer be cancelled.",
        )
    credit_back = terms.credit_returns if return_credit is None else return_credit
    credit_back = credit_back and package is not None and not unlimited
    status = Booking.Status.LATE_CANCELLED if terms.is_late else Booking.Status.CANCELLED

    auto_promote = policy.waitlist_mode == StudioPolicy.WaitlistMode.AUTO_PROMOTE
    with busy_as_domain_error(), transaction.atomic(durable=outermost):
        released = release_place(session.pk, hold_for_waitlist=auto_promote)
        changed = Booking.objects.filter(pk=booking.pk, status=Booking.Status.CONFIRMED).update(
            status=status, cancelled_at=now, cancel_reason=reason[:200], credit_returned=credit_back
        )
        if not changed:
            raise DomainError(BOOKING_ALREADY_CANCELLED, "This booking is already cancelled.")
        booking.status, booking.cancelled_at = status, now
        booking.cancel_reason, booking.credit_returned = reason[:200], credit_back
        if credit_back:
            return_credit_for(booking, actor, CreditLedger.Reason.CANCELLATION_REFUND, reason, now)
        if released.waiting_count and auto_promote:
            request_promotion(session.pk)
        audit.record(
            actor,
            BOOKING_STATUS_CODES[status],
            booking,
            late=terms.is_late,
            credit_returned=credit_back,
            override=return_credit is not None,
            reason=reason,
        )
        if terms.is_late and return_credit is not True:
            fees.queue_fee(booking, fees.LATE_CANCEL, studio_id=session.studio_id)
        notify.queue_class_email(
            "booking_cancelled",
            session=session,
            client=booking.client,
            key=f"booking-cancelled:{booking.pk}",
            booking=booking,
            late=terms.is_late,
            credit_returned=credit_back,
            reason=reason,
        )
        notify.publish_booking(
            booking,
            "cancelled",
            session=session,
            user_id=booking.client.user_id,
            package_id=booking.client_package_id if credit_back else None,
        )
    return booking


def return_credit_for(
    booking: Booking, actor: Membership | None, reason: str, note: str, now
) -> None:
    package = booking.client_package
    assert package is not None  # only a booking paid from a package gets a credit back
    return_credit(
        package,
        booking_id=booking.pk,
        reason=reason,
        actor_user_id=actor.user_id if actor is not None else None,
        now=now,
        note=note,
    )


def cancel_session(actor: Membership, session: ClassSession, *, reason: str) -> ClassSession:
    """The studio cancels a class: every booking is cancelled with its credit back (late
    cancels too: the class did not happen), the waitlist is cleared, everyone is told."""
    require_same_organization(actor, session, "class")
    session = load_session(session.pk)
    require(actor, MANAGE_SCHEDULE, session=session)
    reason = reason.strip()
    if not reason:
        raise DomainError(VALIDATION, "Give a reason; clients will see it.", field="reason")
    if session.status == ClassSession.Status.CANCELLED:
        raise DomainError(SESSION_ALREADY_CANCELLED, "This class is already cancelled.")
    now = timezone.now()
    if session.starts_at <= now:
        raise DomainError(
            SESSION_ALREADY_STARTED, "This class has already started and can't be cancelled."
        )

    with busy_as_domain_error(), transaction.atomic(durable=True):
        with connection.cursor() as cursor:
            cursor.execute(_CANCEL_SESSION_SQL, {"session_id": session.pk, "reason": reason[:200]})
            if cursor.fetchone() is None:
                raise DomainError(SESSION_ALREADY_CANCELLED, "This class is already cancelled.")
        session.status, session.cancelled_reason = ClassSession.Status.CANCELLED, reason[:200]
        session.booked_count = session.waiting_count = session.held_count = 0
        bookings = _cancel_bookings(actor, session, reason, now)
        waiters = list(
            WaitlistEntry.objects.filter(
                session=session, status=WaitlistEntry.Status.WAITING
            ).select_related("client__user")
        )
        WaitlistEntry.objects.filter(pk__in=[e.pk for e in waiters]).update(
            status=WaitlistEntry.Status.REMOVED, left_at=now
        )
        audit.record(
            actor,
            BOOKINGS_SESSION_CANCELLED,
            session,
            reason=reason,
            bookings=[b.pk for b in bookings],
            waitlist=[e.pk for e in waiters],
        )
        for booking in bookings:
            notify.queue_class_email(
                "session_cancelled",
                session=session,
                client=booking.client,
                key=f"session-cancelled:{session.pk}:booking:{booking.pk}",
                booking=booking,
                credit_returned=booking.credit_returned,
                reason=reason,
            )
            live.publish_after_commit(
                [live.user_channel(booking.client.user_id)], "booking", "cancelled", [booking.pk]
            )
        for entry in waiters:
            notify.queue_class_email(
                "session_cancelled",
                session=session,
                client=entry.client,
                key=f"session-cancelled:{session.pk}:waitlist:{entry.pk}",
                was_waiting=True,
                reason=reason,
            )
            live.publish_after_commit(
                [live.user_channel(entry.client.user_id)], "waitlist", "removed", [entry.pk]
            )
        live.publish_after_commit(
            [live.studio_schedule(session.studio_id)], "session", "availability", [session.pk]
        )
        live.publish_after_commit(
            [live.session_roster(session.pk)], "booking", "cancelled", [b.pk for b in bookings]
        )
    return session


def _cancel_bookings(actor: Membership, session: ClassSession, reason: str, now) -> list[Booking]:
    """Cancel the class's bookings and return their credits, packages locked in id order."""
    bookings = list(
        Booking.objects.filter(session=session, status__in=Booking.HOLDING)
        .select_related("client__user", "client_package")
        .order_by("client_package_id", "id")
    )
    kept_late = list(
        Booking.objects.filter(
            session=session, status=Booking.Status.LATE_CANCELLED, credit_returned=False
        )
        .select_related("client_package")
        .order_by("client_package_id", "id")
    )
    refunds = sorted(
        (b for b in bookings + kept_late if b.client_package and not b.client_package.is_unlimited),
        key=lambda b: (b.client_package_id, b.pk),
    )
    refunded = {b.pk for b in refunds}
    for booking in bookings:
        booking.status, booking.cancelled_at = Booking.Status.CANCELLED, now
        booking.cancel_reason = f"Class cancelled: {reason}"[:200]
        booking.credit_returned = booking.pk in refunded
    Booking.objects.bulk_update(
        bookings, ["status", "cancelled_at", "cancel_reason", "credit_returned"]
    )
    Booking.objects.filter(pk__in=[b.pk for b in kept_late]).update(credit_returned=True)
    for booking in refunds:
        return_credit_for(booking, actor, CreditLedger.Reason.SESSION_CANCELLED, reason, now)
    return bookings
