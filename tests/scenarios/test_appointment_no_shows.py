"""PHX-19 for appointments: a private nobody checked in is a no-show at the sweep (run by
the real job worker), and it is a strike exactly like a class no-show: one count across
classes and appointments, the same suspension, the same undo."""

from __future__ import annotations

import datetime as dt

import pytest

from reformer.accounts.models import ClientProfile
from reformer.appointments import actions as appointment_actions
from reformer.appointments import jobs as appointment_jobs
from reformer.appointments.models import Attendee
from reformer.bookings import actions
from reformer.bookings import jobs as booking_jobs
from reformer.bookings.models import Booking
from reformer.core import alerts
from reformer.core.errors import DomainError
from reformer.core.models import AdminAlert
from reformer.notifications.models import Message
from tests.appointments import helpers as ah
from tests.bookings.helpers import give_package, make_client
from tests.factories import make_session
from tests.scenarios.test_attendance_automation import DAY, at_local

SWEEP = "appointments.mark_overdue_no_shows"


@pytest.fixture
def private_at_ten(world, clock):
    """A private at 10:00 booked the evening before by a client with a ten-class pack."""
    tenant = world.a
    with clock.at(at_local(18, day=DAY - dt.timedelta(days=1))):
        kind, _room, _spots = ah.setup_privates(tenant)
        client = make_client(tenant, "Alice")
        give_package(client, credits=10, starts_at=at_local(8, day=DAY - dt.timedelta(days=40)))
        place = appointment_actions.book_appointment(
            client,
            kind,
            studio=tenant.studio,
            instructor=tenant.instructor,
            starts_at=at_local(10),
        )
    return place


def _sweep_at(jobs, clock, moment: dt.datetime, task=appointment_jobs.mark_overdue_no_shows):
    with clock.at(moment):
        task.defer(timestamp=int(moment.timestamp()))
        jobs.run()


def _strikes(member) -> int:
    profile = ClientProfile.objects.filter(membership=member).first()
    return profile.no_show_strikes if profile else 0


@pytest.mark.scenario("PHX-19", "Mark no-show after class start")
def test_a_private_nobody_checked_in_is_a_no_show_and_a_strike(jobs, clock, private_at_ten):
    _sweep_at(jobs, clock, at_local(10, 5))  # inside the 10-minute grace: nothing yet
    private_at_ten.refresh_from_db()
    assert private_at_ten.status == Attendee.Status.CONFIRMED
    _sweep_at(jobs, clock, at_local(10, 15))
    private_at_ten.refresh_from_db()
    assert private_at_ten.status == Attendee.Status.NO_SHOW
    assert _strikes(private_at_ten.client) == 1
    [email] = Message.objects.filter(kind="no_show", recipient=private_at_ten.client.user)
    assert "Private 55" in email.subject and "1 of 3" in email.body
    assert jobs.statuses(SWEEP) == ["succeeded", "succeeded"]


@pytest.mark.scenario("PHX-19", "Do not mark as no-show if attended")
def test_a_private_checked_in_is_not_a_no_show(jobs, clock, world, private_at_ten):
    with clock.at(at_local(9, 55)):
        appointment_actions.mark_attendee(world.a.front_desk, private_at_ten, "attended")
    _sweep_at(jobs, clock, at_local(10, 15))
    private_at_ten.refresh_from_db()
    assert private_at_ten.status == Attendee.Status.ATTENDED
    assert _strikes(private_at_ten.client) == 0
    assert not Message.objects.filter(kind="no_show").exists()


@pytest.mark.scenario("PHX-19", "Apply penalty after multiple no-shows")
def test_two_class_no_shows_and_a_missed_private_suspend_booking(
    jobs, clock, world, private_at_ten
):
    tenant = world.a
    client = private_at_ten.client
    for days_ago in (20, 10):
        with clock.at(at_local(8, day=DAY - dt.timedelta(days=days_ago + 1))):
            earlier = make_session(
                tenant, starts_at=at_local(12, day=DAY - dt.timedelta(days=days_ago))
            )
            booking = actions.book_session(client, earlier)
        _sweep_at(
            jobs,
            clock,
            earlier.starts_at + dt.timedelta(minutes=15),
            task=booking_jobs.mark_overdue_no_shows,
        )
        booking.refresh_from_db()
        assert booking.status == Booking.Status.NO_SHOW
    assert _strikes(client) == 2

    _sweep_at(jobs, clock, at_local(10, 15))

    profile = ClientProfile.objects.get(membership=client)
    assert profile.suspended_until == at_local(10, 15) + dt.timedelta(days=7)
    assert profile.no_show_strikes == 0
    assert Message.objects.filter(kind="suspension", recipient=client.user).count() == 1
    alert = AdminAlert.objects.get(code=alerts.CLIENT_SUSPENDED)
    assert "Alice missed 3 classes or appointments" in alert.message
    assert alert.data["appointment_place"] == private_at_ten.pk
    private_at_ten.refresh_from_db()
    assert private_at_ten.strike_used_at is not None
    with clock.at(at_local(12)):
        later = make_session(tenant, starts_at=at_local(18, day=DAY + dt.timedelta(days=1)))
        with pytest.raises(DomainError) as refused:
            actions.book_session(client, later)
        assert "suspended" in refused.value.message
        # Lifting clears every strike, classes and appointments alike.
        actions.lift_suspension(tenant.manager, client)
    assert not Attendee.objects.filter(
        client=client, strike_used_at__isnull=True, status="no_show"
    ).exists()


def test_correcting_a_private_no_show_takes_the_strike_back(jobs, clock, world, private_at_ten):
    _sweep_at(jobs, clock, at_local(10, 15))
    assert _strikes(private_at_ten.client) == 1
    with clock.at(at_local(11)):
        appointment_actions.mark_attendee(world.a.instructor, private_at_ten, "attended")
    private_at_ten.refresh_from_db()
    assert private_at_ten.status == Attendee.Status.ATTENDED
    assert _strikes(private_at_ten.client) == 0
