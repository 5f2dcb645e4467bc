"""The outbox: queueing (idempotency, preferences), the send's three steps, retries with
backoff and Retry-After, permanent failures, and the circuit breaker. Email here goes
through Django's locmem backend; the provider-level tests are in test_resend/test_twilio."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from reformer.core.models import AdminAlert
from reformer.notifications import circuits, jobs, sending
from reformer.notifications.actions import queue_email, queue_sms, queue_templated_email
from reformer.notifications.models import Message, ProviderCircuit, RecipientSettings
from reformer.notifications.sending import deliver_message
from tests import factories

NOW = dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def person(db):
    return factories.UserFactory(email="zoe@example.com", name="Zoë")


def queue(person, kind="booking_confirmed", key="k1"):
    return queue_email(person, kind, "Booked", "Plain body", key, None, html_body="<p>Hi</p>")


def statuses(message):
    return [event.status for event in message.events.order_by("occurred_at", "pk")]


def test_it_queues_a_message_with_its_job_and_first_history_entry(person):
    message = queue(person)
    assert (message.status, message.to_address, message.attempts) == (
        "queued",
        "zoe@example.com",
        0,
    )
    job = ProcrastinateJob.objects.get(task_name="notifications.send_message")
    assert job.args == {"message_id": message.pk}
    assert statuses(message) == ["queued"]


def test_the_job_deferred_with_the_insert_is_the_one_the_task_would_defer(
    person, django_assert_num_queries
):
    """The message's INSERT defers its send_message job in the same statement (one round
    trip): the job row is the one send_message.defer() writes, queue, priority and locks."""
    with django_assert_num_queries(1):
        message = queue(person)
    jobs.send_message.defer(message_id=message.pk)
    fields = ("task_name", "queue_name", "priority", "lock", "queueing_lock", "args", "status")
    ours, theirs = ProcrastinateJob.objects.order_by("pk").values_list(*fields)
    assert ours == theirs


def test_it_keeps_one_message_per_idempotency_key(person):
    first = queue(person)
    again = queue(person)
    assert again.pk == first.pk
    assert Message.objects.count() == 1
    assert ProcrastinateJob.objects.count() == 1


def test_it_skips_kinds_the_user_turned_off_and_says_why(person):
    person.notify_booking_confirmations = False
    person.save()
    skipped = queue(person)
    assert skipped.status == "skipped"
    assert "Booking confirmations are switched off" in skipped.error
    assert not ProcrastinateJob.objects.exists()
    promoted = queue(person, kind="waitlist_promoted", key="k2")
    assert promoted.status == "queued"  # another category, still on


def test_waitlist_package_and_marketing_preferences_are_separate(person):
    RecipientSettings.objects.create(
        user=person, notify_waitlist_changes=False, notify_package_warnings=True
    )
    assert queue(person, kind="waitlist_promoted", key="w").status == "skipped"
    assert queue(person, kind="package_expiring", key="p").status == "queued"
    # Marketing is its own opt-in (off by default), transactional mail unaffected.
    assert queue(person, kind="marketing", key="m").status == "skipped"
    assert queue(person, kind="booking_confirmed", key="b").status == "queued"
    person.notify_promotional_email = True
    person.notify_booking_confirmations = False
    person.save()
    assert queue(person, kind="marketing", key="m2").status == "queued"
    assert queue(person, kind="booking_confirmed", key="b2").status == "skipped"
    # Account messages always go.
    assert queue(person, kind="suspension", key="s").status == "queued"


def test_it_sends_once_even_when_run_twice(person):
    message = queue(person)
    assert deliver_message(message.pk).status == "sent"
    assert deliver_message(message.pk).status == "sent"  # nothing to do
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert (sent.to, sent.subject, sent.body) == (["zoe@example.com"], "Booked", "Plain body")
    assert sent.alternatives[0][0] == "<p>Hi</p>"
    message.refresh_from_db()
    assert (message.status, message.attempts, message.provider) == ("sent", 1, "locmem")
    assert message.sent_at is not None
    assert statuses(message) == ["queued", "sent"]


def _fail_with(monkeypatch, error):
    def failing(self):
        raise error

    monkeypatch.setattr(EmailMultiAlternatives, "send", failing)


def test_a_transient_failure_is_retried_with_exponential_backoff_then_gives_up(person, monkeypatch):
    message = queue(person)
    _fail_with(monkeypatch, smtplib.SMTPServerDisconnected("connection lost"))
    delays = []
    with time_machine.travel(NOW, tick=False) as clock:
        for _ in range(sending.MAX_ATTEMPTS - 1):
            outcome = deliver_message(message.pk)
            assert outcome.status == "retry"
            delays.append((outcome.retry_at - timezone.now()).total_seconds())
            message.refresh_from_db()
            assert message.status == "queued" and "connection lost" in message.error
            # Not before its time: the job that runs early waits.
            assert deliver_message(message.pk).status == "waiting"
            clock.move_to(outcome.retry_at)
        assert not AdminAlert.objects.exists()
        assert deliver_message(message.pk).status == "failed"  # the last try gives up
    assert delays == [30, 120, 480]
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", sending.MAX_ATTEMPTS)
    assert "Gave up after 4 attempts" in message.error
    assert AdminAlert.objects.filter(code="notifications.delivery_failed").count() == 1


def test_the_providers_retry_after_is_honoured(person, monkeypatch):
    message = queue(person)

    def rate_limited(**kwargs):
        raise sending.TransientDeliveryError("429 rate limited", retry_after=7)

    monkeypatch.setattr(sending, "send_email", rate_limited)
    with time_machine.travel(NOW, tick=False):
        outcome = deliver_message(message.pk)
    assert outcome.retry_at == NOW + dt.timedelta(seconds=7)


@pytest.mark.parametrize("address", ["", "not-an-address"])
def test_a_message_that_can_never_be_delivered_fails_at_once_with_an_alert(person, address):
    person.email = address
    person.save()
    message = queue(person)
    assert deliver_message(message.pk).status == "failed"  # no retry
    message.refresh_from_db()
    assert message.status == "failed" and message.attempts == 1
    assert len(mail.outbox) == 0
    alert = AdminAlert.objects.get(code="notifications.delivery_failed")
    assert alert.data["message_id"] == message.pk


def test_a_refused_recipient_is_suppressed_and_later_email_is_skipped(person, monkeypatch):
    message = queue(person)
    _fail_with(monkeypatch, smtplib.SMTPRecipientsRefused({"zoe@example.com": (550, b"no")}))
    deliver_message(message.pk)
    message.refresh_from_db()
    assert message.status == "failed" and "refused" in message.error
    later = queue(person, kind="booking_cancelled", key="k2")
    assert later.status == "skipped" and "suppressed" in later.error
    # A corrected address is used again.
    person.email = "zoe@new.example.com"
    person.save()
    assert queue(person, kind="booking_cancelled", key="k3").status == "queued"


def test_the_send_job_defers_itself_for_a_retry(
    person, monkeypatch, django_capture_on_commit_callbacks
):
    message = queue(person)
    _fail_with(monkeypatch, TimeoutError("slow"))
    ProcrastinateJob.objects.all().delete()
    jobs.send_message.func(message_id=message.pk)
    job = ProcrastinateJob.objects.get(task_name="notifications.send_message")
    assert job.args == {"message_id": message.pk}
    assert job.scheduled_at > timezone.now()


def test_an_expired_message_is_skipped_not_sent(person):
    with time_machine.travel(NOW, tick=False) as clock:
        message = queue_email(
            person,
            "class_reminder",
            "Soon",
            "body",
            "r1",
            None,
            expires_at=NOW + dt.timedelta(hours=1),
        )
        clock.move_to(NOW + dt.timedelta(hours=2))
        assert deliver_message(message.pk).status == "skipped"
    assert len(mail.outbox) == 0


@pytest.mark.scenario("PHX-22", "Handle provider outage")
def test_the_circuit_opens_after_repeated_failures_and_messages_wait_without_loss(
    person, monkeypatch
):
    messages = [queue(person, key=f"c{i}") for i in range(circuits.FAILURES_TO_OPEN + 2)]
    _fail_with(monkeypatch, ConnectionRefusedError("provider down"))
    with time_machine.travel(NOW, tick=False) as clock:
        for message in messages[: circuits.FAILURES_TO_OPEN]:
            deliver_message(message.pk)
        circuit = ProviderCircuit.objects.get(channel="email")
        assert circuit.opened_at == NOW and circuit.retry_at == NOW + circuits.FIRST_COOL_DOWN
        # The owner is told once.
        assert AdminAlert.objects.filter(code="notifications.provider_down").count() == 1
        # While open, nothing is tried and no attempt is spent.
        waiting = deliver_message(messages[-1].pk)
        assert waiting.status == "waiting" and waiting.retry_at >= circuit.retry_at
        messages[-1].refresh_from_db()
        assert messages[-1].attempts == 0
        # Failures during an outage never give up on an email: they wait for the provider.
        for _ in range(sending.MAX_ATTEMPTS + 1):
            messages[0].refresh_from_db()
            clock.move_to(max(messages[0].send_after, ProviderCircuit.objects.get().retry_at))
            deliver_message(messages[0].pk)
        messages[0].refresh_from_db()
        assert messages[0].status == "queued" and messages[0].attempts > sending.MAX_ATTEMPTS
        # The provider is back: the probe succeeds, the circuit closes, everything drains.
        monkeypatch.undo()
        clock.move_to(ProviderCircuit.objects.get().retry_at + dt.timedelta(minutes=31))
        for message in messages:
            deliver_message(message.pk)
    assert ProviderCircuit.objects.get().opened_at is None
    assert Message.objects.filter(status="sent").count() == len(messages)
    assert len(mail.outbox) == len(messages)
    # The outage is over: its alert resolved itself.
    assert AdminAlert.objects.get(code="notifications.provider_down").resolved_at is not None


def test_an_sms_outage_alert_resolves_itself_in_every_organization_when_texts_go_again(db):
    orgs = [factories.OrganizationFactory(), factories.OrganizationFactory()]
    now = timezone.now()
    for _ in range(circuits.FAILURES_TO_OPEN):
        circuits.record_failure("sms", "Twilio 503", now, orgs[0].pk)
    # The second organization had texts waiting when the circuit opened: told too.
    AdminAlert.objects.create(
        organization=orgs[1], code="notifications.provider_down", data={"channel": "sms"}
    )
    email_down = circuits.record_failure("email", "Resend 503", now, orgs[0].pk)
    assert email_down is None  # one email failure: its circuit is still closed
    AdminAlert.objects.create(
        organization=orgs[0], code="notifications.provider_down", data={"channel": "email"}
    )
    assert AdminAlert.objects.filter(resolved_at__isnull=True).count() == 3

    circuits.record_success("sms")

    open_alerts = AdminAlert.objects.filter(resolved_at__isnull=True)
    assert [a.data for a in open_alerts] == [{"channel": "email"}]  # not the other channel
    assert ProviderCircuit.objects.get(channel="sms").opened_at is None
    circuits.record_success("sms")  # healthy already: nothing more to resolve
    assert AdminAlert.objects.filter(resolved_at__isnull=True).count() == 1


@pytest.mark.scenario("PHX-22", "Use branded email templates")
def test_it_renders_a_templated_message_with_the_organizations_branding(person):
    org = factories.OrganizationFactory(name="Harbour Pilates", brand_colour="#aa3355")
    message = queue_templated_email(
        person,
        "suspension_lifted",
        subject="You can book classes again",
        context={"studio_name": "Harbour Pilates"},
        idempotency_key="lifted-1",
        organization=org,
    )
    deliver_message(message.pk)
    sent = mail.outbox[0]
    assert sent.body.startswith("Hi Zoë,")
    assert "lifted the pause on your booking" in sent.body
    html = sent.alternatives[0][0]
    assert "Harbour Pilates" in html and "#aa3355" in html
    assert "/me/?tab=notifications" in sent.body  # how to change what they get
    assert sent.from_email.startswith("Harbour Pilates <")
    message.refresh_from_db()
    assert message.body == sent.body  # what was sent is kept


def test_sms_without_a_confirmed_number_is_skipped_with_the_reason(person):
    message = queue_sms(person, "class_reminder", idempotency_key="s1", organization=None)
    assert message.status == "skipped"
    assert "not opted in" in message.error
