"""PHX-24 for appointments: a client's feed has their privates and duets, an instructor's
feed the appointments they teach; stable UIDs, SEQUENCE on change, STATUS:CANCELLED kept."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
import time_machine
from django.urls import reverse

from reformer.appointments import actions
from reformer.calendars import actions as calendar_actions
from reformer.calendars import feeds
from reformer.core.timezones import local_to_utc
from tests.appointments import helpers as ah
from tests.bookings import helpers

NY = "America/New_York"
NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)  # clocks go forward on 8 March
BASE = "https://studio.test"


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def duet(world, frozen):
    tenant = world.a
    kind, _room, _spots = ah.setup_privates(tenant, capacity=2, name="Duet 55")
    return kind


def _client(tenant, name):
    client = helpers.make_client(tenant, name)
    helpers.give_package(client, credits=5)
    return client


def _events(member, base_url=BASE) -> dict[str, icalendar.Event]:
    feed = calendar_actions.create_feed(member) if not hasattr(member, "_feed") else member._feed
    member._feed = feed
    body = feeds.person_feed(feed, base_url=base_url).body
    return {str(e["UID"]): e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}


def _book(tenant, kind, client, day, hour=10):
    return actions.book_appointment(
        client,
        kind,
        studio=tenant.studio,
        instructor=tenant.instructor,
        starts_at=local_to_utc(day, dt.time(hour), NY),
    )


@pytest.mark.scenario("PHX-24", "Generate calendar for recurring bookings")
def test_client_and_instructor_feeds_carry_appointments_in_local_time(world, duet, frozen):
    tenant = world.a
    alice, bob = _client(tenant, "Alice"), _client(tenant, "Bob")
    before = _book(tenant, duet, alice, dt.date(2026, 3, 4))
    after = _book(tenant, duet, alice, dt.date(2026, 3, 11))  # after the clock change
    actions.invite_to_appointment(tenant.front_desk, before.appointment, bob)

    events = _events(alice)
    for place in (before, after):
        uid = f"appointment-{place.appointment.reference}-{alice.pk}@reformer.calendar"
        event = events[uid]
        assert event["DTSTART"].dt.hour == 10 and str(event["DTSTART"].dt.tzinfo) == NY
        assert str(event["STATUS"]) == "CONFIRMED" and int(event["SEQUENCE"]) == 0
        assert str(event["SUMMARY"]) == "Duet 55 at " + tenant.studio.name
        assert len(event.walk("VALARM")) == 2
    # Bob sees only his own place; nobody else's appointment is in anyone's feed.
    assert list(_events(bob)) == [
        f"appointment-{before.appointment.reference}-{bob.pk}@reformer.calendar"
    ]
    taught = _events(tenant.instructor)
    uid = f"teach-appointment-{before.appointment.reference}@reformer.calendar"
    assert "Alice" in str(taught[uid]["DESCRIPTION"]) and "Bob" in str(taught[uid]["DESCRIPTION"])
    assert str(taught[uid]["URL"]) == f"{BASE}/staff/appointments/{before.appointment.pk}/"
    assert len([u for u in taught if u.startswith("teach-appointment-")]) == 2


@pytest.mark.scenario("PHX-24", "Handle cancelled booking in feed")
def test_a_cancelled_appointment_leaves_the_clients_feed_and_stays_cancelled_in_the_teachers(
    world, duet, frozen
):
    tenant = world.a
    alice = _client(tenant, "Alice")
    place = _book(tenant, duet, alice, dt.date(2026, 3, 12))
    uid = f"appointment-{place.appointment.reference}-{alice.pk}@reformer.calendar"
    teach_uid = f"teach-appointment-{place.appointment.reference}@reformer.calendar"
    first = _events(alice)[uid]
    _events(tenant.instructor)

    frozen.shift(dt.timedelta(hours=1))
    assert int(_events(alice)[uid]["SEQUENCE"]) == 0  # nothing changed: same revision
    actions.cancel_appointment(tenant.manager, place.appointment, reason="Instructor ill")
    assert uid not in _events(alice)  # gone from the client's calendar at its next sync
    teach = _events(tenant.instructor)[teach_uid]
    assert str(teach["STATUS"]) == "CANCELLED" and int(teach["SEQUENCE"]) == 1
    assert str(teach["SUMMARY"]).startswith("Cancelled: ")
    assert "Instructor ill" in str(teach["DESCRIPTION"])
    assert teach["LAST-MODIFIED"].dt > first["LAST-MODIFIED"].dt
    assert not teach.walk("VALARM")


def test_the_one_off_download_is_the_feed_event(client, world, duet, frozen):
    tenant = world.a
    alice = _client(tenant, "Alice")
    place = _book(tenant, duet, alice, dt.date(2026, 3, 12))
    feed_event = _events(alice, "http://testserver")[
        f"appointment-{place.appointment.reference}-{alice.pk}@reformer.calendar"
    ]
    client.force_login(alice.user)
    response = client.get(reverse("frontdoor:private_ics", args=[place.appointment.reference]))
    assert response.status_code == 200
    (event,) = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert event["UID"] == feed_event["UID"] and event["SEQUENCE"] == feed_event["SEQUENCE"]
