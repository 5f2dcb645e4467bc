from __future__ import annotations

import smtplib
from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from procrastinate.contrib.django.models import ProcrastinateJob

from reformer.core.models import AdminAlert
from reformer.notifications import jobs
from reformer.notifications.actions import (
    TransientDeliveryError,
    deliver_message,
    queue_email,
    queue_templated_email,
)
from reformer.notifications.models import Message
from tests import factories


@pytest.fixture
def person(db):
    return factories.UserFactory(email="zoe@example.com", name="Zoë")


def queue(person, kind="booking_confirmed", key="k1", **kwargs):
    return queue_email(person, kind, "Booked", "Plain body", key, None, html_body="<p>Hi</p>")


def test_it_queues_a_message_and_its_sending_job(person):
    message = queue(person)
    assert (message.status, message.to_address, message.attempts) == (
        "queued",
        "zoe@example.com",
        0,
    )
    job = ProcrastinateJob.objects.get(task_name="notifications.send_message")
    assert job.args == {"message_id": message.pk}


def test_it_keeps_one_message_per_idempotency_key(person):
    first = queue(person)
    again = queue(person)
    assert again.pk == first.pk
    assert Message.objects.count() == 1
    assert ProcrastinateJob.objects.count() == 1


def test_it_skips_booking_confirmations_the_user_turned_off(person):
    person.notify_booking_confirmations = False
    person.save()
    skipped = queue(person)
    assert skipped.status == "skipped"
    assert not ProcrastinateJob.objects.exists()
    promoted = queue(person, kind="waitlist_promoted", key="k2")
    assert promoted.status == "queued"  # a promotion changes what they must do: always sent


def test_it_sends_once_even_when_run_twice(person):
    message = queue(person)
    deliver_message(message.pk)
    deliver_message(message.pk)
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert (sent.to, sent.subject, sent.body) == (["zoe@example.com"], "Booked", "Plain body")
    assert sent.alternatives[0][0] == "<p>Hi</p>"
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)
    assert message.sent_at is not None


def test_it_retries_a_transient_failure(person, monkeypatch):
    message = queue(person)

    def disconnected(self):
        raise smtplib.SMTPServerDisconnected("connection lost")

    monkeypatch.setattr(EmailMultiAlternatives, "send", disconnected)
    with pytest.raises(TransientDeliveryError):
        deliver_message(message.pk, final_attempt=False)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 1)
    assert "connection lost" in message.error
    assert not AdminAlert.objects.exists()

    deliver_message(message.pk, final_attempt=True)  # the last try gives up
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 2)
    assert AdminAlert.objects.filter(code="notifications.delivery_failed").count() == 1


@pytest.mark.parametrize("address", ["", "not-an-address"])
def test_it_fails_a_message_that_can_never_be_delivered_without_retrying(person, address):
    person.email = address
    person.save()
    message = queue(person)
    deliver_message(message.pk, final_attempt=False)  # no exception: no retry
    message.refresh_from_db()
    assert message.status == "failed"
    assert len(mail.outbox) == 0
    alert = AdminAlert.objects.get(code="notifications.delivery_failed")
    assert alert.data["message_id"] == message.pk


def test_it_fails_a_refused_recipient_without_retrying(person, monkeypatch):
    message = queue(person)

    def refused(self):
        raise smtplib.SMTPRecipientsRefused({"zoe@example.com": (550, b"no such user")})

    monkeypatch.setattr(EmailMultiAlternatives, "send", refused)
    deliver_message(message.pk, final_attempt=False)
    message.refresh_from_db()
    assert message.status == "failed"
    assert "refused" in message.error


def test_the_job_gives_up_on_its_last_attempt(person, monkeypatch):
    message = queue(person)
    monkeypatch.setattr(
        EmailMultiAlternatives, "send", lambda self: (_ for _ in ()).throw(TimeoutError("slow"))
    )
    with pytest.raises(TransientDeliveryError):
        jobs.send_message.func(SimpleNamespace(job=SimpleNamespace(attempts=0)), message.pk)
    jobs.send_message.func(
        SimpleNamespace(job=SimpleNamespace(attempts=jobs.SEND_RETRIES)), message.pk
    )
    message.refresh_from_db()
    assert message.status == "failed"


def test_it_does_not_send_a_skipped_message(person):
    person.notify_booking_confirmations = False
    person.save()
    message = queue(person)
    deliver_message(message.pk)
    assert len(mail.outbox) == 0


def test_it_renders_a_templated_message_when_sending_it(person):
    message = queue_templated_email(
        person,
        "suspension_lifted",
        subject="You can book classes again",
        context={"studio_name": "Harbour Pilates"},
        idempotency_key="lifted-1",
        organization=None,
    )
    assert (message.body, message.context) == ("", {"studio_name": "Harbour Pilates"})
    deliver_message(message.pk)
    sent = mail.outbox[0]
    assert sent.body.startswith("Hi Zoë,")
    assert "lifted the pause on your booking" in sent.body
    assert "Harbour Pilates" in sent.alternatives[0][0]
    message.refresh_from_db()
    assert message.body == sent.body  # what was sent is kept
