"""A private session as an iCalendar file ("Add to calendar"), like a class booking's."""

from __future__ import annotations

import datetime as dt

import icalendar
from django.utils import timezone

from reformer.appointments.models import Attendee
from reformer.core import timeformat
from reformer.core.timezones import to_local

# Calendar feeds (reformer.calendars, issue 14) do not list appointments yet: this single
# download is what a client gets until a feed source for appointments is added there.
PRODID = "-//Reformer//Private session//EN"


def local_time_text(moment: dt.datetime, tz_name: str) -> str:
    local = to_local(moment, tz_name)
    return f"{timeformat.when(local, 'day_year_time')} ({tz_name})"


def appointment_calendar(place: Attendee) -> bytes:
    """The UID is the appointment reference and the client, stable across downloads."""
    appointment = place.appointment
    studio = appointment.studio
    name = appointment.appointment_type.name
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"{appointment.reference}-{place.client_id}@reformer")
    event.add("dtstamp", timezone.now().astimezone(dt.UTC))
    event.add("dtstart", appointment.starts_at.astimezone(dt.UTC))
    event.add("dtend", appointment.ends_at.astimezone(dt.UTC))
    event.add("summary", f"{name} at {studio.name}")
    event.add("location", ", ".join(part for part in (studio.name, studio.address) if part))
    event.add(
        "description",
        "\n".join(
            [
                f"{name} with {appointment.instructor.name} on {appointment.spot.label}",
                f"Starts {local_time_text(appointment.starts_at, studio.time_zone)}",
                f"Reference: {appointment.reference}",
            ]
        ),
    )
    event.add("status", "CONFIRMED" if place.status in Attendee.HOLDING else "CANCELLED")
    calendar.add_component(event)
    return calendar.to_ical()
