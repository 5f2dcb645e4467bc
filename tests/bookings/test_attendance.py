from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from reformer.accounts.models import ClientProfile
from reformer.billing.models import CreditLedger
from reformer.bookings import actions
from reformer.bookings.actions.attendance import NoShowSweepError
from reformer.bookings.models import Booking
from reformer.core.errors import DomainError, PermissionDenied
from reformer.core.models import AdminAlert
from reformer.notifications.models import Message
from tests import factories
from tests.bookings import helpers
from tests.bookings.helpers import text

MIN = dt.timedelta(minutes=1)


def refresh(obj):
    obj.refresh_from_db()
    return obj


def error_of(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


def profile_of(client) -> ClientProfile:
    return ClientProfile.objects.get(membership=client)


@pytest.fixture
def ten_am(tenant):
    """A class "at 10:00" (two days out) with the default 10-minute grace period."""
    return factories.make_session(tenant)


@pytest.fixture
def booked(ten_am, alice):
    return actions.book_session(alice, ten_am)


def at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def sweep_at(moment: dt.datetime) -> int:
    with at(moment):
        return actions.mark_overdue_no_shows()


def test_it_checks_in_before_the_start_as_attended(tenant, ten_am, booked):
    with at(ten_am.starts_at - 5 * MIN):
        checked = actions.check_in(tenant.front_desk, booked)
    assert (checked.status, checked.is_late) == ("attended", False)
    assert checked.checked_in_at == ten_am.starts_at - 5 * MIN
    assert sweep_at(ten_am.starts_at + 15 * MIN) == 0
    assert refresh(booked).status == "attended"
    assert not Message.objects.filter(kind__in=["late_arrival", "no_show"]).exists()
    assert profile_of(booked.client).no_show_strikes == 0


def test_it_refuses_a_check_in_before_the_window_opens(tenant, ten_am, booked):
    with at(ten_am.starts_at - 61 * MIN):
        error = error_of(lambda: actions.check_in(tenant.front_desk, booked))
    assert error.code == "attendance.too_early"


def test_it_marks_a_late_check_in_within_grace_as_attended_late(tenant, ten_am, booked):
    """PHX-19: checked in at 10:08 with a 10-minute grace: attended (late), no penalty, a
    gentle reminder."""
    with at(ten_am.starts_at + 8 * MIN):
        checked = actions.check_in(tenant.instructor, booked)
    assert (checked.status, checked.is_late) == ("attended", True)
    assert sweep_at(ten_am.starts_at + 15 * MIN) == 0
    assert refresh(booked).status == "attended"
    assert Message.objects.filter(kind="late_arrival", recipient=booked.client.user).count() == 1
    assert profile_of(booked.client).no_show_strikes == 0


def test_the_sweep_marks_a_no_show_only_after_the_grace_period(ten_am, booked, alice):
    """PHX-19: not checked in by 10:00 + grace; the 10:15 run marks the no-show."""
    assert sweep_at(ten_am.starts_at + 5 * MIN) == 0
    assert refresh(booked).status == "confirmed"
    assert sweep_at(ten_am.starts_at + 15 * MIN) == 1
    assert refresh(booked).status == "no_show"
    assert profile_of(alice).no_show_strikes == 1
    follow_up = Message.objects.get(idempotency_key=f"no-show:{booked.pk}")
    assert "1 of 3 no-shows in 30 days" in text(follow_up)
    assert refresh(alice.packages.get()).credits_remaining == 4  # the credit is kept
    assert not CreditLedger.objects.filter(delta=1).exists()
    assert sweep_at(ten_am.starts_at + 30 * MIN) == 0  # idempotent
    helpers.assert_consistent()


def test_the_sweep_ignores_cancelled_bookings(ten_am, booked, alice):
    actions.cancel_booking(alice, booked)
    assert sweep_at(ten_am.starts_at + 15 * MIN) == 0
    assert refresh(booked).status == "cancelled"
    assert profile_of(alice).no_show_strikes == 0


def test_the_sweep_uses_each_studios_grace_period(tenant, ten_am, booked):
    helpers.set_policy(tenant, no_show_grace_minutes=20)
    assert sweep_at(ten_am.starts_at + 15 * MIN) == 0
    assert sweep_at(ten_am.starts_at + 21 * MIN) == 1


def test_three_strikes_suspend_booking_for_seven_days(tenant, alice):
    """PHX-19: the 3rd no-show in a month suspends booking for 7 days, tells the client and
    the studio."""
    first = factories.next_start(days=1)
    classes = [
        factories.make_session(tenant, starts_at=first + dt.timedelta(days=d)) for d in (0, 2, 4)
    ]
    bookings = [actions.book_session(alice, s) for s in classes]
    for session in classes[:2]:
        sweep_at(session.starts_at + 15 * MIN)
    assert profile_of(alice).no_show_strikes == 2
    assert profile_of(alice).suspended_until is None

    third = classes[2].starts_at + 15 * MIN
    sweep_at(third)
    profile = profile_of(alice)
    assert profile.suspended_until == third + dt.timedelta(days=7)
    assert profile.no_show_strikes == 0  # those strikes are used up
    assert all(refresh(b).strike_used_at == third for b in bookings)
    notice = Message.objects.get(kind="suspension", recipient=alice.user)
    assert "online booking is paused until" in text(notice)
    assert "(7 days)" in text(notice)
    alert = AdminAlert.objects.get(code="bookings.client_suspended")
    assert alert.data["client"] == alice.pk

    later = factories.make_session(tenant, starts_at=third + dt.timedelta(days=1))
    with at(third + dt.timedelta(hours=1)):
        assert error_of(lambda: actions.book_session(alice, later)).code == "booking.suspended"
        actions.lift_suspension(tenant.front_desk, alice)
        assert actions.book_session(alice, later).status == "confirmed"
    assert profile_of(alice).suspended_until is None
    assert Message.objects.filter(kind="suspension_lifted", recipient=alice.user).count() == 1


def test_no_shows_outside_the_strike_period_do_not_count(tenant, alice):
    helpers.set_policy(tenant, strike_period_days=2)
    first = factories.next_start(days=1)
    classes = [
        factories.make_session(tenant, starts_at=first + dt.timedelta(days=d)) for d in (0, 3, 6)
    ]
    for session in classes:
        actions.book_session(alice, session)
        sweep_at(session.starts_at + 15 * MIN)
    assert profile_of(alice).suspended_until is None
    assert profile_of(alice).no_show_strikes == 1


def test_an_undone_no_show_no_longer_counts(tenant, ten_am, booked, alice):
    sweep_at(ten_am.starts_at + 15 * MIN)
    assert profile_of(alice).no_show_strikes == 1
    with at(ten_am.starts_at + 20 * MIN):
        undone = actions.undo_attendance(tenant.manager, booked)
        assert (undone.status, undone.checked_in_at) == ("confirmed", None)
        assert profile_of(alice).no_show_strikes == 0
        attended = actions.mark_attendance(tenant.manager, booked, "attended")
    assert (attended.status, attended.is_late) == ("attended", False)
    helpers.assert_consistent()


def test_staff_mark_attendance_late_within_grace(tenant, ten_am, booked):
    with at(ten_am.starts_at + 4 * MIN):
        marked = actions.mark_attendance(tenant.instructor, booked, "attended")
    assert (marked.status, marked.is_late) == ("attended", True)


def test_it_records_a_no_show_only_once_the_class_started(tenant, ten_am, booked):
    with at(ten_am.starts_at - 5 * MIN):
        assert error_of(lambda: actions.mark_no_show(tenant.front_desk, booked)).code == (
            "attendance.too_early"
        )
    with at(ten_am.starts_at + 12 * MIN):
        assert actions.mark_no_show(tenant.front_desk, booked).status == "no_show"


def test_it_refuses_attendance_for_a_cancelled_booking(tenant, ten_am, booked, alice):
    actions.cancel_booking(alice, booked)
    with at(ten_am.starts_at + 12 * MIN):
        error = error_of(lambda: actions.mark_attendance(tenant.front_desk, booked, "attended"))
    assert error.code == "attendance.cancelled"


def test_only_the_classs_instructor_and_desk_staff_mark_attendance(tenant, ten_am, booked, alice):
    other_instructor = helpers.factories.MembershipFactory(
        organization=tenant.organization, role="instructor", studios=[tenant.studio]
    )
    with at(ten_am.starts_at + 1 * MIN):
        with pytest.raises(PermissionDenied):
            actions.check_in(other_instructor, booked)
        with pytest.raises(PermissionDenied):
            actions.check_in(alice, booked)
    assert refresh(booked).status == "confirmed"


def test_a_failure_midway_keeps_the_processed_bookings(tenant, alice, bob, carol, monkeypatch):
    """PHX-19: the sweep fails on one booking: the others are marked, staff are alerted, the
    job fails so it is retried."""
    session = factories.make_session(tenant)
    bookings = [actions.book_session(c, session) for c in (alice, bob, carol)]
    real = actions.attendance.mark_no_show

    def flaky(actor, booking):
        if booking.pk == bookings[1].pk:
            raise RuntimeError("database hiccup")
        return real(actor, booking)

    monkeypatch.setattr(actions.attendance, "mark_no_show", flaky)
    with pytest.raises(NoShowSweepError):
        sweep_at(session.starts_at + 15 * MIN)
    statuses = [refresh(b).status for b in bookings]
    assert statuses == ["no_show", "confirmed", "no_show"]
    assert AdminAlert.objects.filter(code="bookings.no_show_sweep_failed").count() == 1
    monkeypatch.setattr(actions.attendance, "mark_no_show", real)
    assert sweep_at(session.starts_at + 30 * MIN) == 1  # the retry finishes the job
    helpers.assert_consistent()


def test_the_periodic_job_runs_the_sweep(ten_am, booked):
    from reformer.bookings import jobs

    with at(ten_am.starts_at + 15 * MIN):
        jobs.mark_overdue_no_shows.func(timestamp=0)
    assert refresh(booked).status == Booking.Status.NO_SHOW


def test_lifting_needs_the_capability_and_a_suspension(tenant, alice):
    with pytest.raises(PermissionDenied):
        actions.lift_suspension(tenant.instructor, alice)
    assert error_of(lambda: actions.lift_suspension(tenant.owner, alice)).code == (
        "suspension.not_suspended"
    )


def test_it_lets_staff_override_lateness(tenant, ten_am, booked):
    """The front desk knows when someone walked in: their word beats the clock."""
    with at(ten_am.starts_at + 2 * MIN):
        marked = actions.mark_attendance(tenant.front_desk, booked, "attended", late=False)
        assert (marked.status, marked.is_late) == ("attended", False)
        marked = actions.mark_attendance(tenant.front_desk, marked, "attended", late=True)
    assert (refresh(booked).status, refresh(booked).is_late) == ("attended", True)


def test_the_too_early_refusal_writes_the_time_as_the_organization_does(tenant, ten_am, booked):
    """A US studio reads "Attendance can be recorded from Thu, Jan 14, 9:50 AM EST", not the
    24-hour, day-first default, also where no request chose the locale (API, jobs)."""
    tenant.organization.locale = ""  # automatic: a New York organization writes US times
    tenant.organization.save(update_fields=["locale"])
    with at(ten_am.starts_at - 61 * MIN):
        error = error_of(lambda: actions.mark_attendance(tenant.front_desk, booked, "attended"))
    assert error.code == "attendance.too_early"
    assert error.message.endswith(("AM EST.", "PM EST.", "AM EDT.", "PM EDT.")), error.message
