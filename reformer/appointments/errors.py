"""The appointments refusals: stable `DomainError.code` values and the HTTP status each is
answered with (web/errors.status_for reads HTTP_STATUS; codes not listed answer 422)."""

from __future__ import annotations

APPOINTMENT_ALREADY_BOOKED = "appointment.already_booked"
APPOINTMENT_CANCELLED = "appointment.cancelled"
APPOINTMENT_CLIENT_BUSY = "appointment.client_busy"
APPOINTMENT_CLOSED = "appointment.closed"
APPOINTMENT_EQUIPMENT_TAKEN = "appointment.equipment_taken"
APPOINTMENT_FULL = "appointment.full"
APPOINTMENT_NOT_CANCELLABLE = "appointment.not_cancellable"
APPOINTMENT_OUTSIDE_HOURS = "appointment.outside_hours"
APPOINTMENT_PAY_ONLINE = "appointment.pay_online"
APPOINTMENT_SLOT_TAKEN = "appointment.slot_taken"
APPOINTMENT_STARTED = "appointment.started"
APPOINTMENT_UNAVAILABLE = "appointment.unavailable"
ATTENDANCE_NOT_BOOKED = "attendance.not_booked"

HTTP_STATUS: dict[str, int] = {
    APPOINTMENT_ALREADY_BOOKED: 409,
    APPOINTMENT_CANCELLED: 409,
    APPOINTMENT_CLIENT_BUSY: 409,
    APPOINTMENT_CLOSED: 409,
    APPOINTMENT_EQUIPMENT_TAKEN: 409,
    APPOINTMENT_FULL: 409,
    APPOINTMENT_SLOT_TAKEN: 409,
    APPOINTMENT_STARTED: 409,
}
