from __future__ import annotations

import datetime as dt

import icalendar

from reformer.bookings.models import Booking
from reformer.core.timezones import local_to_utc
from reformer.web.client.ics import booking_calendar
from tests import factories


def _booking(tenant, *, status="confirmed"):
    start = local_to_utc(dt.date(2031, 3, 10), dt.time(7, 0), "America/New_York")
    session = factories.ClassSessionFactory(
        room=tenant.room,
        class_type=tenant.class_type,
        instructor=tenant.instructor,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=50),
    )
    return Booking.objects.create(
        organization=tenant.organization,
        session=session,
        client=tenant.client,
        spot=tenant.spots[2],
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        status=status,
    )


def test_it_writes_one_studio_time_event_named_by_the_reference(world):
    booking = _booking(world.a)
    body = booking_calendar(booking, base_url="https://x.test")
    calendar = icalendar.Calendar.from_ical(body)
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"booking-{booking.reference}@reformer.calendar"
    # 07:00 in New York on 10 March 2031 (EDT, after the change on the 9th) is 11:00 UTC.
    assert event["DTSTART"].dt == dt.datetime(2031, 3, 10, 11, 0, tzinfo=dt.UTC)
    assert event["DTEND"].dt == dt.datetime(2031, 3, 10, 11, 50, tzinfo=dt.UTC)
    assert b"DTSTART;TZID=America/New_York:20310310T070000" in body
    assert str(event["URL"]) == f"https://x.test/bookings/{booking.reference}/"
    assert str(event["SUMMARY"]) == "Reformer Flow at alpha Main"
    assert "1 Main Street" in str(event["LOCATION"])
    description = str(event["DESCRIPTION"])
    assert "Mon 10 Mar 2031, 07:00 EDT" in description
    assert "Spot: Reformer 3" in description
    assert "alpha instructor" in description
    assert str(event["STATUS"]) == "CONFIRMED"


def test_it_marks_a_cancelled_booking_cancelled(world):
    booking = _booking(world.a, status="cancelled")
    body = booking_calendar(booking, base_url="https://x.test")
    (event,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"
