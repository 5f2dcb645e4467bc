"""Email through the real anymail Resend backend to a local fake of Resend's API, and
Resend's tracking webhooks (Svix-signed) through anymail's own verified view (PHX-22)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from reformer.core.models import AdminAlert
from reformer.notifications import recovery
from reformer.notifications.actions import queue_email
from reformer.notifications.models import (
    EarlyProviderEvent,
    Message,
    MessageEvent,
    OrganizationMessaging,
    RecipientSettings,
)
from reformer.notifications.rendering import clear_branding_cache
from reformer.notifications.sending import _claim, deliver_message
from tests import factories
from tests.fakes.providers import resend_event, svix_headers

WEBHOOK = "/webhooks/anymail/resend/tracking/"
NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def org(db):
    org = factories.OrganizationFactory(name="Harbour Pilates")
    OrganizationMessaging.objects.create(
        organization=org, sender_name="Harbour Pilates Team", reply_to="hello@harbour.example"
    )
    clear_branding_cache()
    return org


@pytest.fixture
def person(db):
    return factories.UserFactory(email="zoe@example.com", name="Zoë")


def queue(person, org, key="m1"):
    return queue_email(
        person, "booking_confirmed", "Booked", "Plain", key, org, html_body="<p>x</p>"
    )


def post_event(client, body: str, headers: dict | None = None):
    return client.post(
        WEBHOOK,
        data=body,
        content_type="application/json",
        headers=svix_headers(body) if headers is None else headers,
    )


def test_email_goes_through_resends_api_with_sender_reply_to_and_idempotency_key(
    fake_providers, person, org
):
    message = queue(person, org)
    assert deliver_message(message.pk).status == "sent"
    (accepted,) = fake_providers.emails()
    assert accepted.to == "zoe@example.com"
    assert accepted.key == message.idempotency_key
    assert accepted.data["from"] == "Harbour Pilates Team <no-reply@localhost>"
    assert accepted.data["reply_to"] == ["hello@harbour.example"]
    assert accepted.data["html"] == "<p>x</p>"
    message.refresh_from_db()
    assert (message.provider, message.provider_id) == ("resend", accepted.id)


@pytest.mark.scenario("PHX-22", "Handle rate limiting")
def test_a_rate_limit_slows_sending_to_the_providers_retry_after(fake_providers, person, org):
    fake_providers.faults["resend"].fail_next = 1
    fake_providers.faults["resend"].fail_status = 429
    fake_providers.faults["resend"].retry_after = "12"
    message = queue(person, org)
    with time_machine.travel(NOW, tick=False) as clock:
        outcome = deliver_message(message.pk)
        assert outcome.status == "retry"
        assert outcome.retry_at == NOW + dt.timedelta(seconds=12)
        clock.move_to(outcome.retry_at)
        assert deliver_message(message.pk).status == "sent"
    assert len(fake_providers.emails()) == 1


def test_an_address_resend_refuses_fails_at_once_and_is_suppressed(fake_providers, person, org):
    fake_providers.faults["resend"].rejected_emails.add("zoe@example.com")
    message = queue(person, org)
    assert deliver_message(message.pk).status == "failed"
    message.refresh_from_db()
    assert message.attempts == 1 and "422" in message.error
    assert RecipientSettings.objects.get(user=person).email_suppressed_address == "zoe@example.com"
    assert AdminAlert.objects.filter(code="notifications.delivery_failed").exists()


@pytest.mark.scenario("PHX-22", "Handle provider outage")
def test_an_outage_keeps_the_message_queued_for_a_retry(fake_providers, person, org):
    fake_providers.faults["resend"].outage = True
    message = queue(person, org)
    assert deliver_message(message.pk).status == "retry"
    message.refresh_from_db()
    assert message.status == "queued" and "503" in message.error


def _sent(fake_providers, person, org, key="m1") -> Message:
    message = queue(person, org, key)
    deliver_message(message.pk)
    message.refresh_from_db()
    return message


@pytest.mark.scenario("PHX-22", "Track email delivery status")
def test_tracking_events_move_the_status_forward_with_history(fake_providers, person, org, client):
    message = _sent(fake_providers, person, org)
    for event_type in ("email.delivered", "email.opened", "email.clicked"):
        body = resend_event(
            event_type,
            message.provider_id,
            to=message.to_address,
            click={"link": "https://example.com/book"},
        )
        assert post_event(client, body).status_code == 200
    message.refresh_from_db()
    assert message.status == "clicked"
    # A late "delivered" does not hide the click.
    post_event(client, resend_event("email.delivered", message.provider_id))
    message.refresh_from_db()
    assert message.status == "clicked"
    history = list(message.events.values_list("status", flat=True))
    assert history == ["queued", "sent", "delivered", "opened", "clicked", "delivered"]


@pytest.mark.scenario("PHX-22", "Handle email bounce")
def test_a_webhook_replayed_ten_times_changes_state_once(fake_providers, person, org, client):
    message = _sent(fake_providers, person, org)
    body = resend_event(
        "email.bounced",
        message.provider_id,
        to=message.to_address,
        bounce={"type": "Permanent", "message": "Mailbox does not exist"},
    )
    headers = svix_headers(body, msg_id="msg_bounce_1")
    for _ in range(10):
        assert post_event(client, body, headers).status_code == 200
    message.refresh_from_db()
    assert message.status == "bounced"
    assert MessageEvent.objects.filter(message=message, status="bounced").count() == 1
    assert AdminAlert.objects.filter(code="notifications.email_suppressed").count() == 1
    chosen = RecipientSettings.objects.get(user=person)
    assert chosen.email_suppressed_address == "zoe@example.com"
    assert "Hard bounce" in chosen.email_suppressed_reason
    # The next email to that address is not sent, and the log says why.
    later = queue(person, org, "m2")
    assert later.status == "skipped" and "suppressed" in later.error


@pytest.mark.parametrize("tamper", ["unsigned", "wrong-secret", "altered-body"])
def test_forged_or_unsigned_webhooks_are_refused_and_change_nothing(
    fake_providers, person, org, client, tamper
):
    message = _sent(fake_providers, person, org)
    body = resend_event("email.complained", message.provider_id, to=message.to_address)
    if tamper == "unsigned":
        headers = {}
    elif tamper == "wrong-secret":
        headers = svix_headers(body, secret="whsec_" + "A" * 43 + "=")
    else:
        headers = svix_headers(body)
        body = body.replace("email.complained", "email.delivered")
    before = MessageEvent.objects.count()
    response = post_event(client, body, headers)
    assert response.status_code == 400
    message.refresh_from_db()
    assert message.status == "sent"
    assert MessageEvent.objects.count() == before
    assert not RecipientSettings.objects.filter(user=person, email_suppressed_at__isnull=False)


def test_a_complaint_suppresses_the_address(fake_providers, person, org, client):
    message = _sent(fake_providers, person, org)
    post_event(client, resend_event("email.complained", message.provider_id))
    message.refresh_from_db()
    assert message.status == "complained"
    assert RecipientSettings.objects.get(user=person).email_suppressed_reason == "Spam complaint"


def test_an_event_that_beats_our_commit_is_applied_when_the_send_is_recorded(
    fake_providers, person, org, client, monkeypatch
):
    from reformer.notifications import sending

    message = queue(person, org)
    real_record = sending.record_sent

    def webhook_first(current, result):
        # The provider's "delivered" arrives before we store its id.
        post_event(client, resend_event("email.delivered", result.provider_id))
        assert EarlyProviderEvent.objects.count() == 1
        return real_record(current, result)

    monkeypatch.setattr(sending, "record_sent", webhook_first)
    deliver_message(message.pk)
    message.refresh_from_db()
    assert message.status == "delivered"
    assert not EarlyProviderEvent.objects.exists()


def test_a_send_cut_short_by_a_dead_worker_is_recovered_without_a_second_email(
    fake_providers, person, org, monkeypatch
):
    from reformer.notifications import sending

    message = queue(person, org)

    def killed(current, result):
        raise SystemExit("worker killed after Resend accepted")

    monkeypatch.setattr(sending, "record_sent", killed)
    with pytest.raises(SystemExit):
        deliver_message(message.pk)
    monkeypatch.undo()
    message.refresh_from_db()
    assert message.status == "sending"
    assert recovery.resolve_stale_sending(older_than=dt.timedelta(0)) == 1
    assert deliver_message(message.pk).status == "sent"
    # Resend saw the same idempotency key twice and sent one email.
    assert len(fake_providers.emails()) == 1 and fake_providers.replays == 1
    message.refresh_from_db()
    assert message.provider_id == fake_providers.emails()[0].id
    assert message.attempts == 2


def test_a_claimed_message_is_not_claimed_twice(fake_providers, person, org):
    message = queue(person, org)
    assert isinstance(_claim(message.pk), tuple)
    assert _claim(message.pk).status == "sending"


def test_many_messages_at_once_go_in_batches_with_failures_handled_one_by_one(
    fake_providers, org, settings
):
    from procrastinate.contrib.django.models import ProcrastinateJob

    from reformer.notifications import jobs
    from reformer.notifications.actions import OutgoingMessage, queue_many

    people = [factories.UserFactory(email=f"p{i}@example.com") for i in range(60)]
    fake_providers.faults["resend"].rejected_emails.add("p3@example.com")
    queue_many(
        [
            OutgoingMessage(
                recipient=p,
                kind="booking_confirmed",
                idempotency_key=f"bulk-{i}",
                organization_id=org.pk,
                subject="Booked",
                body=f"Body {i}",
            )
            for i, p in enumerate(people)
        ]
    )
    batches = ProcrastinateJob.objects.filter(task_name="notifications.send_batch")
    assert [len(job.args["message_ids"]) for job in batches.order_by("id")] == [50, 10]
    assert not ProcrastinateJob.objects.filter(task_name="notifications.send_message").exists()
    # The first call of the first batch gets a 503. One call at a time, so that first call is
    # bulk-0's: with several, it was sometimes bulk-3's, whose rejection it then hid.
    settings.NOTIFICATIONS_SEND_CONCURRENCY = 1
    fake_providers.faults["resend"].fail_next = 1
    for job in batches.order_by("id"):
        jobs.send_batch(message_ids=job.args["message_ids"])
    statuses = dict(Message.objects.values_list("idempotency_key", "status"))
    assert statuses.pop("bulk-3") == "failed"
    retried = [key for key, status in statuses.items() if status == "queued"]
    assert len(retried) == 1  # the 503, scheduled again on its own
    assert ProcrastinateJob.objects.filter(task_name="notifications.send_message").count() == 1
    assert sum(status == "sent" for status in statuses.values()) == 58
    assert len(fake_providers.emails()) == 58
    sent = Message.objects.filter(status="sent")
    assert all(m.events.filter(status="sent").count() == 1 for m in sent[:5])
    assert {m.provider_id for m in sent} == {a.id for a in fake_providers.emails()}


@pytest.mark.scenario("PHX-22", "Handle rate limiting")
def test_a_rate_limit_in_a_batch_holds_the_rest_of_it_until_retry_after(
    fake_providers, org, settings
):
    from procrastinate.contrib.django.models import ProcrastinateJob

    from reformer.notifications import jobs
    from reformer.notifications.actions import OutgoingMessage, queue_many

    settings.NOTIFICATIONS_SEND_CONCURRENCY = 1  # one call at a time: which one is refused is known
    people = [factories.UserFactory(email=f"r{i}@example.com") for i in range(20)]
    fake_providers.faults["resend"].fail_next = 1
    fake_providers.faults["resend"].fail_status = 429
    fake_providers.faults["resend"].retry_after = "30"
    with time_machine.travel(NOW, tick=False) as clock:
        queue_many(
            [
                OutgoingMessage(
                    recipient=p,
                    kind="booking_confirmed",
                    idempotency_key=f"limited-{i}",
                    organization_id=org.pk,
                    subject="Booked",
                    body=f"Body {i}",
                )
                for i, p in enumerate(people)
            ]
        )
        (batch,) = ProcrastinateJob.objects.filter(task_name="notifications.send_batch")
        jobs.send_batch(message_ids=batch.args["message_ids"])
        assert fake_providers.requests == 1  # nothing more once the provider said "slow down"
        assert not fake_providers.emails()
        messages = list(Message.objects.order_by("pk"))
        assert {m.status for m in messages} == {"queued"}
        assert {m.send_after for m in messages} == {NOW + dt.timedelta(seconds=30)}
        # The refused one spent its attempt; the held ones spent none.
        assert sorted(m.attempts for m in messages) == [0] * 19 + [1]
        retries = ProcrastinateJob.objects.filter(task_name="notifications.send_message")
        assert retries.count() == 20
        assert min(job.scheduled_at for job in retries) >= NOW + dt.timedelta(seconds=30)
        clock.move_to(NOW + dt.timedelta(seconds=40))
        for job in retries:
            jobs.send_message(message_id=job.args["message_id"])
    assert Message.objects.filter(status="sent").count() == 20
    assert len(fake_providers.emails()) == 20


@pytest.mark.scenario("PHX-22", "Send booking confirmation email")
def test_a_booking_confirmation_goes_through_resend_with_details_and_policy(
    fake_providers, world, client
):
    from reformer.bookings import actions
    from tests.bookings import helpers

    member = helpers.make_client(world.a, "Bea")
    helpers.give_package(member)
    session = factories.make_session(world.a)
    booking = actions.book_session(member, session)
    message = Message.objects.get(kind="booking_confirmed", recipient=member.user)
    assert message.status == "queued"
    assert deliver_message(message.pk).status == "sent"
    (email,) = fake_providers.emails()
    assert session.class_type.name in email.body and booking.reference in email.body
    assert world.a.studio.name in email.body
    assert "credit back" in email.body or "late cancel" in email.body  # the policy
    post_event(client, resend_event("email.delivered", email.id))
    message.refresh_from_db()
    assert message.status == "delivered"
