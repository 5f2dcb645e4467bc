"""PHX-19 Attendance tracking automation, scenario by scenario: staff record attendance over
HTTP, the no-show sweep runs in the real job worker at the scenario's times."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import DatabaseError
from django.urls import reverse

from reformer.accounts.models import ClientProfile
from reformer.billing.models import CreditLedger
from reformer.bookings import actions
from reformer.bookings import jobs as booking_jobs
from reformer.bookings.models import Booking
from reformer.core import alerts
from reformer.core.errors import DomainError
from reformer.core.models import AdminAlert
from reformer.core.timezones import local_to_utc
from reformer.notifications.models import Message
from tests.bookings.helpers import give_package, make_client
from tests.factories import make_session

DAY = dt.date(2031, 3, 4)  # a Tuesday; the tenants' studios are in New York
SWEEP = "bookings.mark_overdue_no_shows"


def at_local(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return local_to_utc(day, dt.time(hour, minute), "America/New_York")


@pytest.fixture
def ten_am(world, clock):
    """A class at 10:00 with the default 10-minute grace period, and a client booked the
    evening before with a ten-class pack."""
    tenant = world.a
    with clock.at(at_local(18, day=DAY - dt.timedelta(days=1))):
        session = make_session(tenant, starts_at=at_local(10))
        client = make_client(tenant, "Alice")
        give_package(client, credits=10, starts_at=at_local(8, day=DAY - dt.timedelta(days=40)))
        booking = actions.book_session(client, session)
    return booking


def _mark(client, staff, booking: Booking, status: str):
    client.force_login(staff.user)
    return client.post(
        reverse("staff:booking_attendance", args=[booking.pk]),
        {"status": status},
        HTTP_HX_REQUEST="true",
    )


def _sweep_at(jobs, clock, moment: dt.datetime) -> None:
    with clock.at(moment):
        booking_jobs.mark_overdue_no_shows.defer(timestamp=int(moment.timestamp()))
        jobs.run()


def _sent(kind: str, booking: Booking) -> list[Message]:
    return list(
        Message.objects.filter(kind=kind, recipient=booking.client.user, status="sent").order_by(
            "id"
        )
    )


def _strikes(booking: Booking) -> int:
    profile = ClientProfile.objects.filter(membership=booking.client).first()
    return profile.no_show_strikes if profile else 0


@pytest.mark.scenario("PHX-19", "Mark no-show after class start")
def test_a_client_who_never_checked_in_is_a_no_show_at_the_sweep(jobs, clock, ten_am):
    ledger_rows = CreditLedger.objects.count()
    _sweep_at(jobs, clock, at_local(10, 15))

    ten_am.refresh_from_db()
    assert ten_am.status == Booking.Status.NO_SHOW
    assert _strikes(ten_am) == 1
    [follow_up] = _sent("no_show", ten_am)
    assert "missed" in follow_up.body.lower()
    assert any(ten_am.client.user.email in m.to for m in mail.outbox)
    assert CreditLedger.objects.count() == ledger_rows  # the credit is not refunded
    assert ten_am.client.packages.get().credits_remaining == 9
    assert jobs.statuses(SWEEP) == ["succeeded"]


@pytest.mark.scenario("PHX-19", "Do not mark as no-show if attended")
def test_a_client_checked_in_before_the_start_stays_attended(client, jobs, clock, world, ten_am):
    with clock.at(at_local(9, 55)):
        assert _mark(client, world.a.front_desk, ten_am, "attended").status_code == 200
    _sweep_at(jobs, clock, at_local(10, 15))

    ten_am.refresh_from_db()
    assert (ten_am.status, ten_am.is_late) == (Booking.Status.ATTENDED, False)
    assert _sent("no_show", ten_am) == []
    assert _strikes(ten_am) == 0


@pytest.mark.scenario("PHX-19", "Apply penalty after multiple no-shows")
def test_the_third_no_show_in_a_month_suspends_booking_for_seven_days(
    client, jobs, clock, world, ten_am
):
    tenant = world.a
    for days_ago in (20, 10):  # two no-shows earlier this month
        with clock.at(at_local(8, day=DAY - dt.timedelta(days=days_ago + 1))):
            earlier = make_session(
                tenant, starts_at=at_local(12, day=DAY - dt.timedelta(days=days_ago))
            )
            booking = actions.book_session(ten_am.client, earlier)
        _sweep_at(jobs, clock, earlier.starts_at + dt.timedelta(minutes=15))
        booking.refresh_from_db()
        assert booking.status == Booking.Status.NO_SHOW

    _sweep_at(jobs, clock, at_local(10, 15))

    profile = ClientProfile.objects.get(membership=ten_am.client)
    assert profile.suspended_until == at_local(10, 15) + dt.timedelta(days=7)
    [email] = _sent("suspension", ten_am)
    assert "7 days" in email.body and "3" in email.body
    alert = AdminAlert.objects.get(code=alerts.CLIENT_SUSPENDED)
    assert "Alice missed 3 classes" in alert.message
    # The alert is where staff work, with the way to act on it.
    with clock.at(at_local(10, 30)):
        client.force_login(tenant.owner.user)
        home = client.get(reverse("staff:dashboard")).content.decode()
    assert "Client suspended" in home and "Alice missed 3 classes" in home
    # And the client cannot book meanwhile.
    with clock.at(at_local(12)):
        later = make_session(tenant, starts_at=at_local(18, day=DAY + dt.timedelta(days=1)))
        with pytest.raises(DomainError) as refused:
            actions.book_session(ten_am.client, later)
    assert "suspended" in refused.value.message


@pytest.mark.scenario("PHX-19", "Handle late check-in")
def test_a_check_in_inside_the_grace_period_is_attended_late(client, jobs, clock, world, ten_am):
    with clock.at(at_local(10, 8)):
        response = _mark(client, world.a.front_desk, ten_am, "attended")
    assert response.status_code == 200
    assert "Attended · late" in response.content.decode()
    _sweep_at(jobs, clock, at_local(10, 15))

    ten_am.refresh_from_db()
    assert (ten_am.status, ten_am.is_late) == (Booking.Status.ATTENDED, True)
    assert ten_am.checked_in_at == at_local(10, 8)
    assert _strikes(ten_am) == 0  # no no-show penalty
    assert _sent("no_show", ten_am) == []
    [note] = _sent("late_arrival", ten_am)
    assert "arriving on time" in note.body


@pytest.mark.scenario("PHX-19", "Handle cancelled booking")
def test_a_booking_cancelled_the_day_before_is_ignored(client, jobs, clock, ten_am):
    with clock.at(at_local(21, day=DAY - dt.timedelta(days=1))):
        client.force_login(ten_am.client.user)
        response = client.post(reverse("client:cancel_booking", args=[ten_am.reference]))
    assert response.status_code == 302
    ten_am.refresh_from_db()
    assert ten_am.status == Booking.Status.CANCELLED
    _sweep_at(jobs, clock, at_local(10, 15))

    ten_am.refresh_from_db()
    assert ten_am.status == Booking.Status.CANCELLED
    assert _strikes(ten_am) == 0
    assert _sent("no_show", ten_am) == []


@pytest.mark.scenario("PHX-19", "Handle job failure during attendance update")
def test_a_sweep_failing_midway_keeps_what_it_did_retries_and_alerts(
    jobs, clock, world, ten_am, monkeypatch
):
    tenant = world.a
    with clock.at(at_local(18, day=DAY - dt.timedelta(days=1))):
        others = [make_client(tenant, name) for name in ("Bob", "Carol")]
        bookings = [ten_am]
        for other in others:
            give_package(other, credits=5)
            bookings.append(actions.book_session(other, ten_am.session))
    real = actions.attendance.mark_no_show
    failing = bookings[1].pk

    def database_error_for_one(actor, booking):
        if booking.pk == failing:
            raise DatabaseError("connection lost")
        return real(actor, booking)

    monkeypatch.setattr(actions.attendance, "mark_no_show", database_error_for_one)
    _sweep_at(jobs, clock, at_local(10, 15))

    statuses = dict(
        Booking.objects.filter(pk__in=[b.pk for b in bookings]).values_list("pk", "status")
    )
    assert statuses[failing] == Booking.Status.CONFIRMED
    assert [statuses[b.pk] for b in bookings if b.pk != failing] == [Booking.Status.NO_SHOW] * 2
    assert jobs.statuses(SWEEP) == ["todo"]  # failed once, waiting for its retry
    alert = AdminAlert.objects.get(code=alerts.NO_SHOW_SWEEP_FAILED)
    assert alert.organization_id == tenant.organization.pk
    assert "1 bookings could not be marked" in alert.message

    monkeypatch.setattr(actions.attendance, "mark_no_show", real)
    assert jobs.make_retries_due() == 1
    with clock.at(at_local(10, 20)):
        jobs.run()
    assert Booking.objects.get(pk=failing).status == Booking.Status.NO_SHOW
    assert jobs.statuses(SWEEP) == ["succeeded"]
