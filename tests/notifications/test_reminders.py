"""Class reminders (PHX-15) with a controlled clock: what the periodic job finds due, for
which booking, on which channel, with what content, and across daylight-saving changes in
both demo time zones (America/New_York and Europe/London)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from reformer.bookings import actions
from reformer.bookings.models import Booking
from reformer.core.timezones import local_to_utc
from reformer.notifications.models import Message, RecipientSettings, StudioMessaging
from reformer.notifications.reminders import due_at, queue_due_reminders
from reformer.notifications.sending import deliver_message
from reformer.studios.models import StudioPolicy
from tests import factories
from tests.bookings import helpers
from tests.conftest import build_tenant

H = dt.timedelta(hours=1)


@pytest.fixture
def tenant(world):
    return world.a  # America/New_York


def opted_in(client, number="+14155550123"):
    client.user.notify_sms = True
    client.user.save()
    RecipientSettings.objects.update_or_create(
        user=client.user, defaults={"sms_phone": number, "sms_confirmed_at": timezone.now()}
    )
    return client


def booked(
    tenant, starts_at, *, name="Alice", booked_at=None, sms=False, email=None, **user_fields
):
    """A client booked into a class at `starts_at`, the booking made at `booked_at`."""
    with time_machine.travel(booked_at or starts_at - dt.timedelta(days=3), tick=False):
        session = factories.make_session(tenant, starts_at=starts_at)
        client = helpers.make_client(tenant, name, **user_fields)
        if email is not None:
            client.user.email = email
            client.user.save()
        helpers.give_package(client, credits=5)
        if sms:
            opted_in(client)
        booking = actions.book_session(client, session)
    Message.objects.filter(kind="booking_confirmed").delete()
    return booking


def reminders_at(moment):
    with time_machine.travel(moment, tick=False):
        queue_due_reminders()
    return list(Message.objects.filter(kind="class_reminder").order_by("pk"))


def class_at(tenant, day, hour=10, minute=0):
    return local_to_utc(day, dt.time(hour, minute), tenant.studio.time_zone)


@pytest.mark.scenario("PHX-15", "Send 24-hour email reminder")
@pytest.mark.scenario("PHX-15", "Send 2-hour SMS reminder")
def test_24_hour_email_and_2_hour_sms_by_default(tenant):
    start = class_at(tenant, dt.date(2026, 5, 14))
    booking = booked(tenant, start, sms=True)
    assert reminders_at(start - 24 * H - dt.timedelta(minutes=1)) == []
    (email,) = reminders_at(start - 24 * H)
    assert (email.channel, email.status, email.to_address) == (
        "email",
        "queued",
        booking.client.user.email,
    )
    assert email.expires_at == start
    assert len(reminders_at(start - 23 * H)) == 1  # run again: nothing new
    email_again, sms = reminders_at(start - 2 * H)
    assert email_again == email
    assert (sms.channel, sms.to_address) == ("sms", "+14155550123")


@pytest.mark.scenario("PHX-15", "Send 24-hour email reminder")
def test_the_reminder_says_what_where_when_who_and_how_to_cancel(tenant):
    tenant.studio.address = "12 Quay Street, Boston"
    tenant.studio.save()
    start = class_at(tenant, dt.date(2026, 5, 14), 10)
    booking = booked(tenant, start)
    (email,) = reminders_at(start - 24 * H)
    with time_machine.travel(start - 24 * H, tick=False):
        deliver_message(email.pk)
    sent = mail.outbox[-1]
    assert sent.subject == f"Reminder: {booking.session.class_type.name} tomorrow at 10:00"
    body = sent.body
    assert "Thu 14 May 2026, 10:00 EDT" in body
    assert "12 Quay Street, Boston" in body
    assert "https://www.google.com/maps/search/?api=1&query=12+Quay+Street%2C+Boston" in body
    assert tenant.instructor.name in body
    assert "to get your credit back" in body  # the cancellation deadline
    assert f"/bookings/{booking.reference}/calendar.ics" in body  # add to calendar
    assert re.search(r"/reminders/cancel/[^/\s]+/", body)
    assert "Reformer Flow" in sent.alternatives[0][0]


@pytest.mark.scenario("PHX-15", "Skip reminder for cancelled booking")
def test_cancelled_bookings_get_nothing(tenant):
    start = class_at(tenant, dt.date(2026, 5, 14))
    booking = booked(tenant, start, sms=True)
    with time_machine.travel(start - 30 * H, tick=False):
        actions.cancel_booking(booking.client, booking)
    assert reminders_at(start - 2 * H) == []


def test_a_late_booking_gets_only_what_is_still_ahead(tenant):
    start = class_at(tenant, dt.date(2026, 5, 14))
    booked(tenant, start, booked_at=start - 10 * H, sms=True)
    assert reminders_at(start - 9 * H) == []
    (sms,) = reminders_at(start - 2 * H)
    assert sms.channel == "sms"


def test_without_a_phone_email_only_and_a_late_booking_gets_the_2_hour_one_by_email(tenant):
    start = class_at(tenant, dt.date(2026, 5, 14))
    early = booked(tenant, start, name="Early")
    late = booked(tenant, start + 3 * H, name="Late", booked_at=start - 5 * H)
    assert [m.recipient_id for m in reminders_at(start - 2 * H)] == [early.client.user_id]
    messages = reminders_at(start + H)
    assert [(m.recipient_id, m.channel) for m in messages] == [
        (early.client.user_id, "email"),
        (late.client.user_id, "email"),
    ]


@pytest.mark.scenario("PHX-15", "Handle client with no email")
def test_without_email_the_text_still_goes_and_the_email_fails_once_with_an_alert(tenant):
    from reformer.core.models import AdminAlert

    start = class_at(tenant, dt.date(2026, 5, 14))
    booked(tenant, start, sms=True, email="")
    (email,) = reminders_at(start - 24 * H)
    with time_machine.travel(start - 24 * H, tick=False):
        assert deliver_message(email.pk).status == "failed"  # no retry
    email.refresh_from_db()
    assert email.error == "No email address."
    assert AdminAlert.objects.filter(code="notifications.delivery_failed").count() == 1
    assert [m.channel for m in reminders_at(start - 2 * H)] == ["email", "sms"]


def test_a_moved_class_is_reminded_at_its_new_time(tenant):
    start = class_at(tenant, dt.date(2026, 5, 14))
    booking = booked(tenant, start)
    session = booking.session
    reminders_at(start - 24 * H)
    new_start = start + 5 * H
    session.starts_at, session.ends_at = new_start, new_start + dt.timedelta(minutes=50)
    session.save()
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=session.starts_at, ends_at=session.ends_at
    )
    messages = reminders_at(new_start - 24 * H)
    assert len(messages) == 2 and messages[1].expires_at == new_start


def test_each_studio_sets_its_own_offsets_and_channels(tenant):
    StudioMessaging.objects.create(
        organization=tenant.organization,
        studio=tenant.studio,
        reminder_plan=[{"hours": 48, "channel": "email"}, {"hours": 1, "channel": "sms"}],
    )
    start = class_at(tenant, dt.date(2026, 5, 14))
    booked(tenant, start, booked_at=start - 4 * 24 * H, sms=True)
    assert [m.channel for m in reminders_at(start - 48 * H)] == ["email"]
    assert len(reminders_at(start - 2 * H)) == 1
    assert [m.channel for m in reminders_at(start - H)] == ["email", "sms"]


def test_reminders_the_client_switched_off_are_logged_as_skipped(tenant):
    start = class_at(tenant, dt.date(2026, 5, 14))
    booked(tenant, start, notify_class_reminders=False)
    (skipped,) = reminders_at(start - 24 * H)
    assert skipped.status == "skipped" and "Class reminders are switched off" in skipped.error


def test_a_job_that_was_down_sends_only_the_latest_due_reminder_per_channel(tenant):
    StudioMessaging.objects.create(
        organization=tenant.organization,
        studio=tenant.studio,
        reminder_plan=[{"hours": 24, "channel": "email"}, {"hours": 3, "channel": "email"}],
    )
    start = class_at(tenant, dt.date(2026, 5, 14))
    booked(tenant, start)
    (only,) = reminders_at(start - 2 * H)
    assert ":3h:" in only.idempotency_key


def test_a_reminder_text_held_by_quiet_hours_past_the_class_is_skipped_with_the_reason(tenant):
    StudioPolicy.objects.filter(studio=tenant.studio).update(
        quiet_hours_start=dt.time(21, 0), quiet_hours_end=dt.time(8, 0)
    )
    start = class_at(tenant, dt.date(2026, 5, 14), 7, 0)  # 2 h before is 05:00: quiet
    booked(tenant, start, sms=True)
    sms = next(m for m in reminders_at(start - 2 * H) if m.channel == "sms")
    assert sms.status == "skipped" and "quiet hours" in sms.error


DST_CASES = [
    # (zone, class day, expected hours between reminder and class)
    ("America/New_York", dt.date(2026, 3, 8), 23),  # clocks spring forward that night
    ("America/New_York", dt.date(2026, 11, 1), 25),  # and fall back
    ("Europe/London", dt.date(2026, 3, 29), 23),
    ("Europe/London", dt.date(2026, 10, 25), 25),
]


@pytest.mark.parametrize(("zone", "day", "elapsed"), DST_CASES)
def test_a_24_hour_reminder_across_a_daylight_saving_change_keeps_the_wall_clock(
    db, zone, day, elapsed
):
    tenant = build_tenant(f"dst-{zone.split('/')[1].lower().replace('_', '-')}", time_zone=zone)
    start = local_to_utc(day, dt.time(10, 0), zone)
    booked(tenant, start)
    due = due_at(start, 24, zone)
    assert start - due == elapsed * H  # 10:00 the day before, local time
    assert reminders_at(due - dt.timedelta(seconds=1)) == []
    (email,) = reminders_at(due)
    with time_machine.travel(due, tick=False):
        deliver_message(email.pk)
    assert "tomorrow at 10:00" in mail.outbox[-1].subject
    assert f"{day.day} {day:%b %Y}, 10:00" in mail.outbox[-1].body
