"""The booking, waitlist, attendance and suspension refusals:
stable `DomainError.code` values, and the HTTP status each
is answered with (web/errors.status_for reads HTTP_STATUS; codes not listed answer 422).

Raise them as `DomainError(CODE, message)`; compare `error.code` with these names only."""

from __future__ import annotations

ATTENDANCE_ALREADY_CHECKED_IN = "attendance.already_checked_in"
ATTENDANCE_CANCELLED = "attendance.cancelled"
ATTENDANCE_CHANGED = "attendance.changed"
ATTENDANCE_CLASS_OVER = "attendance.class_over"
ATTENDANCE_NOT_CONFIRMED = "attendance.not_confirmed"
ATTENDANCE_NOTHING_TO_UNDO = "attendance.nothing_to_undo"
ATTENDANCE_TOO_EARLY = "attendance.too_early"
BOOKING_ALREADY_BOOKED = "booking.already_booked"
BOOKING_ALREADY_CANCELLED = "booking.already_cancelled"
BOOKING_ALREADY_STARTED = "booking.already_started"
BOOKING_CLASS_FULL = "booking.class_full"
BOOKING_COUNT_MISMATCH = "booking.count_mismatch"
BOOKING_INSUFFICIENT_CREDITS = "booking.insufficient_credits"
BOOKING_MAX_UPCOMING = "booking.max_upcoming"
BOOKING_NOT_CANCELLABLE = "booking.not_cancellable"
BOOKING_NOT_OPEN = "booking.not_open"
BOOKING_NOT_SWITCHABLE = "booking.not_switchable"
BOOKING_OVERLAP = "booking.overlap"
BOOKING_SESSION_CANCELLED = "booking.session_cancelled"
BOOKING_SESSION_STARTED = "booking.session_started"
BOOKING_SPOT_TAKEN = "booking.spot_taken"
BOOKING_SUSPENDED = "booking.suspended"
SUSPENSION_NOT_SUSPENDED = "suspension.not_suspended"
WAITLIST_ALREADY_WAITING = "waitlist.already_waiting"
WAITLIST_CLOSED = "waitlist.closed"
WAITLIST_NOT_WAITING = "waitlist.not_waiting"
WAITLIST_OFF = "waitlist.off"
WAITLIST_PLACES_LEFT = "waitlist.places_left"

# Refusals a client can act on: the booking dialog swaps these in (client.js lets
# [data-swap-errors] regions take 402/409/503; the shell's htmx config takes 422).
HTTP_STATUS: dict[str, int] = {
    BOOKING_CLASS_FULL: 409,
    BOOKING_ALREADY_BOOKED: 409,
    BOOKING_SPOT_TAKEN: 409,
    BOOKING_OVERLAP: 409,
    BOOKING_NOT_SWITCHABLE: 409,
    BOOKING_SESSION_STARTED: 409,
    BOOKING_SESSION_CANCELLED: 409,
    BOOKING_ALREADY_CANCELLED: 409,
    WAITLIST_PLACES_LEFT: 409,
    WAITLIST_ALREADY_WAITING: 409,
    WAITLIST_NOT_WAITING: 409,
    BOOKING_INSUFFICIENT_CREDITS: 402,
}
