"""Booking actions: every state change of bookings and waitlists (ARCHITECTURE §5.1).

Split by seam; import from here.
"""

from reformer.bookings.actions.attendance import (
    check_in,
    lift_suspension,
    mark_attendance,
    mark_no_show,
    mark_overdue_no_shows,
    undo_attendance,
)
from reformer.bookings.actions.booking import BookingQuote, book_session, booking_quote
from reformer.bookings.actions.cancel import (
    cancel_booking,
    cancel_session,
    hold_places_for_waitlist,
    request_promotion,
)
from reformer.bookings.actions.desk import CheckInAll, check_in_all
from reformer.bookings.actions.offline import MarkRequest, MarkResult, apply_offline_marks
from reformer.bookings.actions.promotion import (
    CreditDeductionFailed,
    alert_promotion_failed,
    promote_waitlist,
    resolve_promotion_alerts,
)
from reformer.bookings.actions.switch import SwitchOffer, switch_booking, switch_offer
from reformer.bookings.actions.terms import CancellationTerms, cancellation_terms
from reformer.bookings.actions.waitlist import join_waitlist, leave_waitlist
from reformer.bookings.queries import waitlist_position, waitlist_positions

__all__ = [
    "BookingQuote",
    "CancellationTerms",
    "CheckInAll",
    "CreditDeductionFailed",
    "MarkRequest",
    "MarkResult",
    "SwitchOffer",
    "alert_promotion_failed",
    "apply_offline_marks",
    "book_session",
    "booking_quote",
    "cancel_booking",
    "cancel_session",
    "cancellation_terms",
    "check_in",
    "check_in_all",
    "hold_places_for_waitlist",
    "join_waitlist",
    "leave_waitlist",
    "lift_suspension",
    "mark_attendance",
    "mark_no_show",
    "mark_overdue_no_shows",
    "promote_waitlist",
    "request_promotion",
    "resolve_promotion_alerts",
    "switch_booking",
    "switch_offer",
    "undo_attendance",
    "waitlist_position",
    "waitlist_positions",
]
