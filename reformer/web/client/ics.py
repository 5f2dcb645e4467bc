"""One booking as an iCalendar file ("Add to calendar"), built like the calendar feed's
events (reformer.calendars): studio time zone with VTIMEZONE, the feed's UID and revision,
and the person's reminder choice (2 hours and 30 minutes before unless they changed it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reformer.calendars import feeds
from reformer.calendars.ical import DEFAULT_REMINDERS
from reformer.calendars.models import CalendarFeed

if TYPE_CHECKING:
    from reformer.bookings.models import Booking


def booking_calendar(booking: Booking, *, base_url: str) -> bytes:
    choice = (
        CalendarFeed.objects.filter(membership_id=booking.client_id, revoked_at__isnull=True)
        .values_list("reminders", flat=True)
        .first()
    )
    return feeds.single_booking(booking, base_url=base_url, reminders=choice or DEFAULT_REMINDERS)
