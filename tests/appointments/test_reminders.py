"""Appointment reminders: the same outbox, studio plan, channels and due rule as classes."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from reformer.appointments import actions
from reformer.appointments.reminders import queue_due_reminders
from reformer.core.timezones import local_to_utc
from reformer.notifications.models import Message, RecipientSettings, StudioMessaging
from reformer.notifications.sending import deliver_message
from tests.bookings import helpers

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
DAY = dt.date(2026, 5, 14)


def start_at(tenant, hour=10):
    return local_to_utc(DAY, dt.time(hour), tenant.studio.time_zone)


def booked(tenant, kind, starts_at, *, name="Alice", booked_at=None, sms=False):
    with time_machine.travel(booked_at or starts_at - dt.timedelta(days=3), tick=False):
        client = helpers.make_client(tenant, name)
        helpers.give_package(client, credits=5)
        if sms:
            client.user.notify_sms = True
            client.user.save()
            RecipientSettings.objects.update_or_create(
                user=client.user,
                defaults={"sms_phone": "+14155550123", "sms_confirmed_at": timezone.now()},
            )
        place = actions.book_appointment(
            client, kind, studio=tenant.studio, instructor=tenant.instructor, starts_at=starts_at
        )
    Message.objects.filter(kind="appointment_confirmed").delete()
    return place


def reminders_at(moment):
    with time_machine.travel(moment, tick=False):
        queue_due_reminders()
    return list(Message.objects.filter(kind="appointment_reminder").order_by("pk"))


@pytest.mark.scenario("PHX-15", "Send 24-hour email reminder")
@pytest.mark.scenario("PHX-15", "Send 2-hour SMS reminder")
def test_appointments_get_the_studio_plan_once_per_step(tenant, private):
    start = start_at(tenant)
    place = booked(tenant, private, start, sms=True)
    assert reminders_at(start - 24 * H - dt.timedelta(minutes=1)) == []
    (email,) = reminders_at(start - 24 * H)
    assert (email.channel, email.status, email.expires_at) == ("email", "queued", start)
    assert email.idempotency_key == f"appointment-reminder:{place.pk}:24h:{int(start.timestamp())}"
    assert len(reminders_at(start - 23 * H)) == 1  # the job again: nothing new
    email_again, sms = reminders_at(start - 2 * H)
    assert email_again == email and sms.channel == "sms"
    assert sms.to_address == "+14155550123"


def test_the_reminder_names_the_session_and_how_to_cancel(tenant, private, settings):
    settings.SITE_URL = "http://testserver"
    tenant.studio.address = "12 Quay Street, Boston"
    tenant.studio.save()
    start = start_at(tenant)
    place = booked(tenant, private, start)
    (email,) = reminders_at(start - 24 * H)
    with time_machine.travel(start - 24 * H, tick=False):
        deliver_message(email.pk)
    sent = mail.outbox[-1]
    assert sent.subject == "Reminder: Private 55 tomorrow at 10:00"
    assert "Thu 14 May 2026, 10:00 EDT" in sent.body
    assert tenant.instructor.name in sent.body and "12 Quay Street, Boston" in sent.body
    assert f"/privates/booked/{place.appointment.reference}/calendar.ics" in sent.body
    assert "is free: your 1 credit comes back" in " ".join(sent.body.split()), sent.body


def test_each_studio_plan_and_cancelled_places(tenant, private):
    StudioMessaging.objects.create(
        organization=tenant.organization,
        studio=tenant.studio,
        reminder_plan=[{"hours": 48, "channel": "email"}, {"hours": 3, "channel": "email"}],
    )
    start = start_at(tenant)
    kept = booked(tenant, private, start, booked_at=start - 4 * 24 * H)
    gone = booked(tenant, private, start_at(tenant, 14), name="Bea", booked_at=start - 96 * H)
    with time_machine.travel(start - 72 * H, tick=False):
        actions.cancel_appointment_place(gone.client, gone)
    assert [m.recipient_id for m in reminders_at(start - 48 * H)] == [kept.client.user_id]
    late = reminders_at(start - 2 * H)
    assert [":48h:" in m.idempotency_key for m in late] == [True, False]
    assert ":3h:" in late[1].idempotency_key


def test_a_late_booking_gets_only_what_is_ahead_and_switched_off_is_skipped(tenant, private):
    start = start_at(tenant)
    place = booked(tenant, private, start, booked_at=start - 10 * H)
    assert reminders_at(start - 3 * H) == []
    place.client.user.notify_class_reminders = False
    place.client.user.save()
    (skipped,) = reminders_at(start - 2 * H + dt.timedelta(minutes=1))
    assert skipped.status == "skipped" and ":2h:" in skipped.idempotency_key
