"""What appointment actions tell people: outbox emails (in the transaction) and live events
(after commit).

Reminders (#10) connect here: `appointment_context(attendee)` is the same JSON snapshot the
class emails use (`_class_details` templates), so a reminder job can queue
"appointment_reminder" for every confirmed `Attendee` starting soon with it.
"""

from __future__ import annotations

from typing import Any

from reformer.appointments.models import Appointment, Attendee
from reformer.core import live, timeformat
from reformer.core.timezones import to_local
from reformer.notifications.actions import queue_templated_email

SUBJECTS = {
    "appointment_confirmed": "Booked: {class_name}, {when}",
    "appointment_cancelled": "Cancelled: {class_name}, {when}",
}


def local_when(appointment: Appointment) -> str:
    """When the appointment is, as its organization writes times (also in jobs)."""
    local = to_local(appointment.starts_at, appointment.studio.time_zone)
    locale = timeformat.locale_of_id(appointment.organization_id)
    return timeformat.when(local, "day_year_time", locale, name_zone=True)


def appointment_context(attendee: Attendee) -> dict[str, Any]:
    appointment = attendee.appointment
    studio = appointment.studio
    return {
        "class_name": appointment.appointment_type.name,
        "when": local_when(appointment),
        "duration_minutes": int(
            (appointment.ends_at - appointment.starts_at).total_seconds() // 60
        ),
        "studio_name": studio.name,
        "studio_address": studio.address,
        "room_name": appointment.room.name,
        "instructor_name": appointment.instructor.name,
        "spot": appointment.spot.label,
        "reference": appointment.reference,
    }


def queue_email(kind: str, attendee: Attendee, **extra: Any) -> None:
    context = appointment_context(attendee) | extra
    queue_templated_email(
        attendee.client.user,
        kind,
        subject=SUBJECTS[kind].format(**context),
        context=context,
        idempotency_key=f"{kind}:{attendee.pk}",
        organization=attendee.organization_id,
    )


def publish(appointment: Appointment, op: str, user_ids: list[int]) -> None:
    groups = [live.studio_schedule(appointment.studio_id)]
    groups += [live.user_channel(user_id) for user_id in user_ids]
    groups.append(live.user_channel(appointment.instructor.user_id))
    live.publish_after_commit(groups, "appointment", op, [appointment.pk])
