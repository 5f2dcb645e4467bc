"""A private session as an iCalendar file ("Add to calendar"), built like the calendar
feed's appointment events (reformer.calendars): the same UID and revision, studio time zone
with VTIMEZONE, and the person's reminder choice, so importing it and subscribing later
give one event, not two."""

from __future__ import annotations

from reformer.appointments.models import Attendee
from reformer.calendars import feeds
from reformer.calendars.ical import DEFAULT_REMINDERS
from reformer.calendars.models import CalendarFeed


def appointment_calendar(place: Attendee, *, base_url: str) -> bytes:
    choice = (
        CalendarFeed.objects.filter(membership_id=place.client_id, revoked_at__isnull=True)
        .values_list("reminders", flat=True)
        .first()
    )
    return feeds.single_appointment_place(
        place, base_url=base_url, reminders=choice or DEFAULT_REMINDERS
    )
