"""PHX-24: calendar feeds, parsed back with icalendar."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reformer.bookings.models import Booking, WaitlistEntry
from reformer.calendars import actions, feeds
from reformer.calendars.models import CalendarFeed
from reformer.core.timezones import local_to_utc
from reformer.scheduling.models import ClassSession
from tests import factories

NY = "America/New_York"
# Clocks in New York go forward on Sunday 8 March 2026.
NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
BASE = "https://studio.test"


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _session(tenant, day, *, hour=7, room=None, instructor=None, status="scheduled"):
    start = local_to_utc(day, dt.time(hour, 0), NY)
    return factories.ClassSessionFactory(
        room=room or tenant.room,
        class_type=tenant.class_type,
        instructor=instructor or tenant.instructor,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=50),
        status=status,
    )


def _book(tenant, session, client=None, status="confirmed", **extra):
    return Booking.objects.create(
        organization=tenant.organization,
        session=session,
        client=client or tenant.client,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        status=status,
        **extra,
    )


def _events(body: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def _feed(member, **kwargs):
    feed = actions.create_feed(member)
    return feeds.person_feed(feed, base_url=BASE, **kwargs)


@pytest.mark.scenario("PHX-24", "Generate calendar for recurring bookings")
def test_weekly_bookings_keep_07_00_local_across_the_clock_change(world, frozen):
    """A weekly Monday class: each booking is its own event, 07:00 New York time on both
    sides of the change, with the zone's VTIMEZONE in the file."""
    tenant = world.a
    before = _book(tenant, _session(tenant, dt.date(2026, 3, 2 + 7 * 0 + 0) + dt.timedelta(1)))
    after = _book(tenant, _session(tenant, dt.date(2026, 3, 9)))
    body = _feed(tenant.client).body
    calendar = icalendar.Calendar.from_ical(body)
    (tz,) = calendar.walk("VTIMEZONE")
    assert str(tz["TZID"]) == NY
    events = _events(body)
    assert len(events) == 2
    first = events[f"booking-{before.reference}@reformer.calendar"]
    second = events[f"booking-{after.reference}@reformer.calendar"]
    assert first["DTSTART"].dt.tzinfo is not None and second["DTSTART"].dt.hour == 7
    assert first["DTSTART"].dt.hour == 7
    assert first["DTSTART"].dt.astimezone(dt.UTC).hour == 12  # EST, UTC-5
    assert second["DTSTART"].dt.astimezone(dt.UTC).hour == 11  # EDT, UTC-4
    assert b"DTSTART;TZID=America/New_York:20260309T070000" in body
    assert "RRULE" not in first and "RRULE" not in second
    assert str(first["STATUS"]) == "CONFIRMED"
    assert "Reformer Flow with alpha instructor" in str(first["DESCRIPTION"])
    assert "1 Main Street" in str(first["LOCATION"])
    assert str(first["URL"]).startswith(f"{BASE}/bookings/")


@pytest.mark.scenario("PHX-24", "Calendar event includes reminders")
def test_events_carry_the_2_hour_and_30_minute_reminders_by_default(world, frozen):
    tenant = world.a
    _book(tenant, _session(tenant, dt.date(2026, 3, 4)))
    (event,) = _events(_feed(tenant.client).body).values()
    triggers = sorted(alarm["TRIGGER"].dt for alarm in event.walk("VALARM"))
    assert triggers == [-dt.timedelta(hours=2), -dt.timedelta(minutes=30)]
    assert all(str(alarm["ACTION"]) == "DISPLAY" for alarm in event.walk("VALARM"))


@pytest.mark.parametrize(
    ("choice", "expected"),
    [("30m", [-dt.timedelta(minutes=30)]), ("2h", [-dt.timedelta(hours=2)]), ("none", [])],
)
def test_reminders_follow_the_persons_choice(world, frozen, choice, expected):
    tenant = world.a
    _book(tenant, _session(tenant, dt.date(2026, 3, 4)))
    actions.set_reminders(tenant.client, choice)
    feed = actions.live_feed(tenant.client)
    (event,) = _events(feeds.person_feed(feed, base_url=BASE).body).values()
    assert [alarm["TRIGGER"].dt for alarm in event.walk("VALARM")] == expected


def test_an_unknown_reminder_choice_is_refused_and_changes_nothing(world):
    with pytest.raises(actions.InvalidReminders):
        actions.set_reminders(world.a.client, "5m")
    assert not CalendarFeed.objects.exists()


def test_uid_is_stable_and_sequence_moves_only_on_real_changes(world, frozen):
    tenant = world.a
    session = _session(tenant, dt.date(2026, 3, 4))
    booking = _book(tenant, session)
    uid = f"booking-{booking.reference}@reformer.calendar"
    first = _feed(tenant.client)
    event = _events(first.body)[uid]
    assert int(event["SEQUENCE"]) == 0
    assert event["LAST-MODIFIED"].dt == NOW
    assert event["DTSTAMP"].dt == NOW

    frozen.shift(dt.timedelta(hours=1))
    again = _feed(tenant.client)
    assert again.body == first.body and again.etag == first.etag

    # The studio moves the class an hour later: same UID, next SEQUENCE, new LAST-MODIFIED.
    ClassSession.objects.filter(pk=session.pk).update(
        starts_at=session.starts_at + dt.timedelta(hours=1),
        ends_at=session.ends_at + dt.timedelta(hours=1),
    )
    moved = _feed(tenant.client)
    event = _events(moved.body)[uid]
    assert moved.etag != first.etag
    assert int(event["SEQUENCE"]) == 1
    assert event["LAST-MODIFIED"].dt == NOW + dt.timedelta(hours=1)
    assert event["DTSTART"].dt.hour == 8


@pytest.mark.scenario("PHX-24", "Handle cancelled booking in feed")
def test_a_cancelled_booking_is_removed_from_the_feed(world, frozen):
    tenant = world.a
    booking = _book(tenant, _session(tenant, dt.date(2026, 3, 20)))
    uid = f"booking-{booking.reference}@reformer.calendar"
    first = _feed(tenant.client)
    assert str(_events(first.body)[uid]["STATUS"]) == "CONFIRMED"

    Booking.objects.filter(pk=booking.pk).update(status="cancelled", cancelled_at=timezone.now())
    updated = _feed(tenant.client)
    assert uid not in _events(updated.body)  # gone at the calendar's next sync
    assert updated.etag != first.etag


def test_booking_again_after_cancelling_shows_only_the_live_booking(world, frozen):
    tenant = world.a
    session = _session(tenant, dt.date(2026, 3, 20))
    _book(tenant, session, status="cancelled", cancelled_at=timezone.now())
    live = _book(tenant, session)
    events = _events(_feed(tenant.client).body)
    assert list(events) == [f"booking-{live.reference}@reformer.calendar"]


def test_waitlist_places_are_tentative_free_time_with_the_position(world, frozen):
    tenant = world.a
    session = _session(tenant, dt.date(2026, 3, 5))
    other = factories.MembershipFactory(organization=tenant.organization, role="client")
    for who, minutes in ((other, 0), (tenant.client, 5)):
        WaitlistEntry.objects.create(
            organization=tenant.organization,
            session=session,
            client=who,
            joined_at=NOW + dt.timedelta(minutes=minutes),
        )
    (event,) = _events(_feed(tenant.client).body).values()
    assert str(event["STATUS"]) == "TENTATIVE"
    assert str(event["TRANSP"]) == "TRANSPARENT"
    assert str(event["SUMMARY"]).startswith("Waitlist #2:")


def test_an_instructor_feed_has_the_classes_they_teach(world, frozen):
    tenant = world.a
    taught = _session(tenant, dt.date(2026, 3, 6))
    cancelled = _session(tenant, dt.date(2026, 3, 7), status="cancelled")
    _session(
        tenant,
        dt.date(2026, 3, 8),
        instructor=factories.MembershipFactory(organization=tenant.organization, role="instructor"),
    )
    events = _events(_feed(tenant.instructor).body)
    assert set(events) == {
        f"teach-{taught.pk}@reformer.calendar",
        f"teach-{cancelled.pk}@reformer.calendar",
    }
    assert str(events[f"teach-{cancelled.pk}@reformer.calendar"]["STATUS"]) == "CANCELLED"
    assert str(events[f"teach-{taught.pk}@reformer.calendar"]["URL"]).startswith(
        f"{BASE}/staff/classes/"
    )


def test_the_feed_refresh_hints(world, frozen):
    calendar = icalendar.Calendar.from_ical(_feed(world.a.client).body)
    assert calendar["REFRESH-INTERVAL"].dt == dt.timedelta(hours=1)
    assert calendar["X-PUBLISHED-TTL"].to_ical() == b"PT1H"
    assert str(calendar["X-WR-CALNAME"]) == "Alpha (Reformer)"


def test_a_studio_feed_lists_its_classes_and_no_one(world, frozen):
    tenant = world.a
    session = _session(tenant, dt.date(2026, 3, 10))
    _book(tenant, session)
    _session(
        tenant,
        dt.date(2026, 3, 10),
        hour=12,
        room=factories.RoomFactory(studio=tenant.other_studio),
    )
    built = feeds.studio_feed(tenant.studio, base_url=BASE)
    (event,) = _events(built.body).values()
    assert str(event["UID"]) == f"class-{session.pk}@reformer.calendar"
    assert b"alpha client" not in built.body
    assert not event.walk("VALARM")


def test_building_a_feed_runs_a_fixed_number_of_queries(world, frozen):
    tenant = world.a

    def queries_for(n, hour):
        for day in range(n):
            session = _session(tenant, dt.date(2026, 3, 3) + dt.timedelta(days=day), hour=hour)
            _book(tenant, session)
        feed = actions.create_feed(tenant.client)
        feeds.person_feed(feed, base_url=BASE)  # first build writes revisions
        with CaptureQueriesContext(connection) as captured:
            feeds.person_feed(feed, base_url=BASE)
        return len(captured)

    few = queries_for(2, 6)
    many = queries_for(12, 9)
    assert few == many == 6  # a query per source, then the revisions


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en-US", "Tue, Mar 3, 2026, 7:00\N{NO-BREAK SPACE}AM EST"),
        ("en-GB", "Tue 3 Mar 2026, 07:00 EST"),
    ],
)
def test_event_descriptions_write_times_as_the_organization_does(world, frozen, locale, expected):
    """The one time-format helper (core/timeformat.py) writes feed descriptions too, with
    the zone named: a calendar may show the event anywhere."""
    tenant = world.a
    tenant.organization.locale = locale
    tenant.organization.save(update_fields=["locale"])
    booking = _book(tenant, _session(tenant, dt.date(2026, 3, 3)))
    event = _events(_feed(tenant.client).body)[f"booking-{booking.reference}@reformer.calendar"]
    assert expected in str(event["DESCRIPTION"])
