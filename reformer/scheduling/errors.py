"""The class session refusals:
stable `DomainError.code` values, and the HTTP status each
is answered with (web/errors.status_for reads HTTP_STATUS; codes not listed answer 422).

Raise them as `DomainError(CODE, message)`; compare `error.code` with these names only."""

from __future__ import annotations

SESSION_ALREADY_CANCELLED = "session.already_cancelled"
SESSION_ALREADY_STARTED = "session.already_started"
SESSION_HAS_BOOKINGS = "session.has_bookings"
SESSION_INSTRUCTOR_BUSY = "session.instructor_busy"
SESSION_ROOM_TAKEN = "session.room_taken"
SESSION_SLOT_TAKEN = "session.slot_taken"

HTTP_STATUS: dict[str, int] = {}
