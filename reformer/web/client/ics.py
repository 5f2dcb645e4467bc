"""One booking as an iCalendar file ("Add to calendar").

Times are written in UTC (`DTSTART:...Z`), which every calendar converts to the reader's zone;
the description also carries the class time in the studio's own zone, named by its TZID, so
the text agrees with what the studio's schedule says.
"""

from __future__ import annotations

import datetime as dt

import icalendar
from django.utils import timezone

from reformer.bookings.models import Booking
from reformer.core.timezones import to_local

PRODID = "-//Reformer//Class booking//EN"


def local_time_text(moment: dt.datetime, tz_name: str) -> str:
    local = to_local(moment, tz_name)
    hour = local.strftime("%I").lstrip("0")
    return f"{local:%a %d %b %Y}, {hour}:{local:%M %p} ({tz_name})"


def booking_calendar(booking: Booking, *, url: str = "") -> bytes:
    """The .ics bytes for a booking; the UID is the booking reference, stable across downloads."""
    session = booking.session
    studio = session.studio
    instructor = session.instructor.user.display_name if session.instructor else "To be announced"
    lines = [
        f"{session.class_type.name} with {instructor}",
        f"Starts {local_time_text(session.starts_at, studio.time_zone)}",
        f"Booking reference: {booking.reference}",
    ]
    if booking.spot is not None:
        lines.append(f"Spot: {booking.spot.label}")
    if url:
        lines.append(url)

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("calscale", "GREGORIAN")

    event = icalendar.Event()
    event.add("uid", booking.reference)
    event.add("dtstamp", timezone.now().astimezone(dt.UTC))
    event.add("dtstart", session.starts_at.astimezone(dt.UTC))
    event.add("dtend", session.ends_at.astimezone(dt.UTC))
    event.add("summary", f"{session.class_type.name} at {studio.name}")
    event.add("location", ", ".join(part for part in (studio.name, studio.address) if part))
    event.add("description", "\n".join(lines))
    event.add("status", "CONFIRMED" if booking.status in Booking.HOLDING else "CANCELLED")
    # A cancelled booking re-downloaded must replace the earlier copy in the calendar.
    event.add("sequence", 0 if booking.status in Booking.HOLDING else 1)
    if url:
        event.add("url", url)
    calendar.add_component(event)
    return calendar.to_ical()
