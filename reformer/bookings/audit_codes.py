"""Audit event codes (core.audit.record; alert codes live in core.alerts)
written by bookings: one constant per code, so a grep for the name finds every writer."""

from __future__ import annotations

BOOKINGS_BOOKING_ATTENDED = "bookings.booking.attended"
BOOKINGS_BOOKING_CANCELLED = "bookings.booking.cancelled"
BOOKINGS_BOOKING_CONFIRMED = "bookings.booking.confirmed"
BOOKINGS_BOOKING_CREATED = "bookings.booking.created"
BOOKINGS_BOOKING_LATE_CANCELLED = "bookings.booking.late_cancelled"
BOOKINGS_BOOKING_NO_SHOW = "bookings.booking.no_show"
BOOKINGS_BOOKING_SWITCHED = "bookings.booking.switched"
BOOKINGS_SESSION_CANCELLED = "bookings.session.cancelled"
BOOKINGS_WAITLIST_EXPIRED = "bookings.waitlist.expired"
BOOKINGS_WAITLIST_JOINED = "bookings.waitlist.joined"
BOOKINGS_WAITLIST_LEFT = "bookings.waitlist.left"
BOOKINGS_WAITLIST_PASSED_OVER = "bookings.waitlist.passed_over"
BOOKINGS_WAITLIST_PROMOTED = "bookings.waitlist.promoted"
BOOKINGS_WAITLIST_REMOVED = "bookings.waitlist.removed"


# The audit code of a booking's new status (cancel, attendance, undo).
BOOKING_STATUS_CODES = {
    "confirmed": BOOKINGS_BOOKING_CONFIRMED,
    "cancelled": BOOKINGS_BOOKING_CANCELLED,
    "late_cancelled": BOOKINGS_BOOKING_LATE_CANCELLED,
    "attended": BOOKINGS_BOOKING_ATTENDED,
    "no_show": BOOKINGS_BOOKING_NO_SHOW,
}
# The audit code of a waitlist entry taken off by a promotion run.
WAITLIST_END_CODES = {
    "expired": BOOKINGS_WAITLIST_EXPIRED,
    "removed": BOOKINGS_WAITLIST_REMOVED,
}
