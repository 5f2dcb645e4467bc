"""Audit event codes (core.audit.record) written by appointments: one constant per code."""

from __future__ import annotations

APPOINTMENTS_APPOINTMENT_CANCELLED = "appointments.appointment.cancelled"
APPOINTMENTS_HOURS_ADDED = "appointments.hours.added"
APPOINTMENTS_HOURS_EXCEPTION = "appointments.hours.exception"
APPOINTMENTS_HOURS_EXCEPTION_REMOVED = "appointments.hours.exception_removed"
APPOINTMENTS_HOURS_REMOVED = "appointments.hours.removed"
APPOINTMENTS_PLACE_ATTENDED = "appointments.place.attended"
APPOINTMENTS_PLACE_BOOKED = "appointments.place.booked"
APPOINTMENTS_PLACE_CANCELLED = "appointments.place.cancelled"
APPOINTMENTS_PLACE_CONFIRMED = "appointments.place.confirmed"
APPOINTMENTS_PLACE_RELEASED = "appointments.place.released"
APPOINTMENTS_PLACE_NO_SHOW = "appointments.place.no_show"
APPOINTMENTS_TYPE_ACTIVE = "appointments.type.active"
APPOINTMENTS_TYPE_CREATED = "appointments.type.created"
APPOINTMENTS_TYPE_TEACHES = "appointments.type.teaches"
APPOINTMENTS_TYPE_UPDATED = "appointments.type.updated"
