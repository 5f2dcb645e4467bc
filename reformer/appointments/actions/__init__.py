"""Appointment actions: setup (types, hours), booking and cancelling, attendance."""

from reformer.appointments.actions.attendance import mark_attendee, mark_overdue_no_shows
from reformer.appointments.actions.booking import (
    book_appointment,
    cancel_appointment,
    cancel_appointment_place,
    invite_to_appointment,
)
from reformer.appointments.actions.setup import (
    add_hours_exception,
    add_weekly_hours,
    create_appointment_type,
    remove_hours_exception,
    remove_weekly_hours,
    set_appointment_type_active,
    set_teaches,
    update_appointment_type,
)

__all__ = [
    "add_hours_exception",
    "add_weekly_hours",
    "book_appointment",
    "cancel_appointment",
    "cancel_appointment_place",
    "create_appointment_type",
    "invite_to_appointment",
    "mark_attendee",
    "mark_overdue_no_shows",
    "remove_hours_exception",
    "remove_weekly_hours",
    "set_appointment_type_active",
    "set_teaches",
    "update_appointment_type",
]
