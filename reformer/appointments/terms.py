"""An appointment type's cancellation rule in words: before booking (the type's window,
what is kept, its fees) and in the cancel dialog (what cancelling now would mean). The
rule itself is applied by `actions.booking.cancel_appointment_place` and the no-show
marking; these sentences say the same thing."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from reformer.appointments.models import AppointmentType, Attendee
from reformer.bookings.context import format_deadline


def _window(kind: AppointmentType) -> str:
    hours = kind.cancellation_window_hours
    return f"{hours} hour{'s' if hours != 1 else ''}"


def _credits(kind: AppointmentType) -> str:
    return f"{kind.credits} credit{'s' if kind.credits != 1 else ''}"


def fee_text(kind: AppointmentType) -> str:
    from reformer.payments.actions.fees import appointment_fee_text

    return appointment_fee_text(kind)


def policy_text(kind: AppointmentType) -> str:
    """Shown before booking: "Free cancellation up to 24 hours before: ..." """
    if kind.price is not None:
        text = (
            f"Free cancellation up to {_window(kind)} before: the payment is refunded. "
            "Cancelling later or not showing up keeps the payment."
        )
    else:
        text = (
            f"Free cancellation up to {_window(kind)} before: your {_credits(kind)} "
            f"come{'s' if kind.credits == 1 else ''} back. Cancelling later or not showing "
            f"up uses {'it' if kind.credits == 1 else 'them'}."
        )
    return text + fee_text(kind)


def cancel_text(place: Attendee, *, now: dt.datetime | None = None) -> str:
    """The cancel dialog: what cancelling this place now means."""
    appointment = place.appointment
    kind = appointment.appointment_type
    deadline = appointment.starts_at - dt.timedelta(hours=kind.cancellation_window_hours)
    when = format_deadline(deadline, appointment.studio)
    paid = place.payment_id is not None
    if (now or timezone.now()) <= deadline:  # as cancel_appointment_place decides
        one = kind.credits == 1
        back = (
            "your payment is refunded"
            if paid
            else f"your {_credits(kind)} come{'s' if one else ''} back"
        )
        return f"Cancelling before {when} is free: {back}."
    are = "is" if kind.credits == 1 else "are"
    kept = "the payment is kept" if paid else f"the {_credits(kind)} {are} used"
    text = f"The free cancellation window closed at {when}: if you cancel now, {kept}."
    if paid and kind.price is not None and kind.late_cancel_fee > 0:
        from reformer.core.money import format_money

        text += (
            f" A late cancellation fee of {format_money(kind.late_cancel_fee, kind.currency)} "
            "is charged to the card you paid with."
        )
    return text
