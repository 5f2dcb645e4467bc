"""SMS through the real twilio-python client (Messaging Service) against a local fake of
Twilio's API; status callbacks and inbound texts signed with X-Twilio-Signature and checked
with Twilio's RequestValidator; opt-in by code; STOP/START/HELP; fallback to email (PHX-23)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from reformer.core.errors import DomainError
from reformer.core.models import AdminAlert
from reformer.notifications import recovery, sending, sms_consent
from reformer.notifications.actions import queue_sms
from reformer.notifications.models import (
    EarlyProviderEvent,
    InboundSms,
    Message,
    MessageEvent,
    RecipientSettings,
)
from reformer.notifications.sending import deliver_message
from reformer.notifications.transports.sms import segments_of
from reformer.studios.models import StudioPolicy
from tests import factories
from tests.fakes.providers import MESSAGING_SERVICE, twilio_signature

STATUS_URL = "http://testserver/webhooks/twilio/status/"
INBOUND_URL = "http://testserver/webhooks/twilio/inbound/"
NUMBER = "+14155550123"


@pytest.fixture
def studio(db):
    org = factories.OrganizationFactory(name="Harbour Pilates", time_zone="America/New_York")
    return factories.StudioFactory(
        organization=org, name="Harbour Main", address="12 Quay Street, Boston"
    )


@pytest.fixture
def texter(db):
    """A client who opted in to texts with a confirmed number."""
    user = factories.UserFactory(email="tess@example.com", name="Tess", notify_sms=True)
    RecipientSettings.objects.create(user=user, sms_phone=NUMBER, sms_confirmed_at=timezone.now())
    return user


def reminder_sms(user, studio, key="r1", **kwargs):
    return queue_sms(
        user,
        "class_reminder",
        idempotency_key=key,
        organization=studio.organization,
        studio=studio,
        context={
            "class_name": "Reformer Flow",
            "lead_time": "today at 14:00",
            "when_short": "Mon 14:00",
            "studio_name": studio.name,
            "studio_address": studio.address,
            "instructor_name": "Maya",
            "booking_url": "http://testserver/bookings/ABC/",
            "cancel_url": "",
            "when": "Mon 4 May 2026, 14:00 EDT",
            "duration_minutes": 50,
            "room_name": "Room 1",
            "cancellation_text": "Cancel before 02:00 to get your credit back.",
            "calendar_url": "http://testserver/bookings/ABC/calendar.ics",
            "subject": "Reminder: Reformer Flow today at 14:00",
        },
        **kwargs,
    )


def post_signed(client, url, params, *, signature=None):
    return client.post(
        url,
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={
            "X-Twilio-Signature": signature
            if signature is not None
            else twilio_signature(url, params)
        },
    )


@pytest.mark.scenario("PHX-15", "Send 2-hour SMS reminder")
@pytest.mark.scenario("PHX-23", "Send class reminder SMS")
def test_an_sms_goes_through_the_messaging_service_with_a_status_callback(
    fake_providers, texter, studio
):
    message = reminder_sms(texter, studio)
    assert deliver_message(message.pk).status == "sent"
    (text,) = fake_providers.texts()
    assert text.to == NUMBER
    assert text.data["MessagingServiceSid"] == MESSAGING_SERVICE
    assert text.data["StatusCallback"] == STATUS_URL
    assert "Reformer Flow today at 14:00" in text.body
    assert "12 Quay Street" in text.body and "Maya" in text.body
    assert "http://testserver/bookings/ABC/" in text.body and "STOP" in text.body
    message.refresh_from_db()
    assert (message.provider, message.provider_id) == ("twilio", text.id)
    assert message.segments == segments_of(text.body) >= 1
    assert message.cost > 0


def test_segments_follow_gsm_and_unicode_limits():
    assert segments_of("a" * 160) == 1
    assert segments_of("a" * 161) == 2
    assert segments_of("é" * 160) == 1  # é is in the GSM alphabet
    assert segments_of("🙂" * 35) == 1 and segments_of("ā" * 71) == 2


@pytest.mark.scenario("PHX-15", "Handle invalid phone number")
def test_an_invalid_number_fails_without_retry_is_marked_and_falls_back_to_email(
    fake_providers, texter, studio
):
    fake_providers.faults["twilio"].invalid_numbers.add(NUMBER)
    message = reminder_sms(texter, studio)
    assert deliver_message(message.pk).status == "failed"
    message.refresh_from_db()
    assert message.attempts == 1 and "21211" in message.error
    chosen = RecipientSettings.objects.get(user=texter)
    assert chosen.phone_invalid_number == NUMBER and chosen.sms_number() == ""
    assert AdminAlert.objects.filter(code="notifications.delivery_failed").exists()
    fallback = Message.objects.get(fallback_for=message)
    assert (fallback.channel, fallback.kind, fallback.to_address) == (
        "email",
        "class_reminder",
        "tess@example.com",
    )
    deliver_message(fallback.pk)
    (email,) = fake_providers.emails()
    assert "Reformer Flow" in email.body
    # Later texts are not even tried.
    assert reminder_sms(texter, studio, key="r2").status == "skipped"


@pytest.mark.scenario("PHX-15", "Retry failed SMS delivery")
@pytest.mark.scenario("PHX-23", "Handle Twilio API outage")
def test_a_twilio_outage_retries_with_backoff_then_falls_back_to_email(
    fake_providers, texter, studio
):
    fake_providers.faults["twilio"].outage = True
    message = reminder_sms(texter, studio)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(sending.MAX_ATTEMPTS - 1):
            outcome = deliver_message(message.pk)
            assert outcome.status == "retry"
            message.refresh_from_db()
            clock.move_to(message.send_after)
        assert deliver_message(message.pk).status == "failed"
    assert Message.objects.get(fallback_for=message).channel == "email"
    assert AdminAlert.objects.filter(code="notifications.delivery_failed").exists()
    assert not fake_providers.texts()


def _sent(fake_providers, user, studio, key="r1") -> Message:
    message = reminder_sms(user, studio, key)
    deliver_message(message.pk)
    message.refresh_from_db()
    return message


def test_a_status_callback_replayed_ten_times_changes_state_once(
    fake_providers, texter, studio, client
):
    message = _sent(fake_providers, texter, studio)
    params = {"MessageSid": message.provider_id, "MessageStatus": "delivered", "To": NUMBER}
    for _ in range(10):
        assert post_signed(client, STATUS_URL, params).status_code == 204
    message.refresh_from_db()
    assert message.status == "delivered"
    assert MessageEvent.objects.filter(message=message, status="delivered").count() == 1


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl", "wrong-url"])
def test_forged_or_unsigned_callbacks_get_403_and_change_nothing(
    fake_providers, texter, studio, client, signature
):
    message = _sent(fake_providers, texter, studio)
    params = {
        "MessageSid": message.provider_id,
        "MessageStatus": "undelivered",
        "ErrorCode": "30006",
    }
    if signature == "wrong-url":
        signature = twilio_signature("http://evil.example/webhooks/twilio/status/", params)
    events = MessageEvent.objects.count()
    assert post_signed(client, STATUS_URL, params, signature=signature).status_code == 403
    message.refresh_from_db()
    assert message.status == "sent" and MessageEvent.objects.count() == events
    assert not Message.objects.filter(fallback_for=message).exists()
    inbound = {"MessageSid": "SMin1", "From": NUMBER, "Body": "STOP"}
    assert post_signed(client, INBOUND_URL, inbound, signature=signature).status_code == 403
    assert RecipientSettings.objects.get(user=texter).sms_stopped_at is None


@pytest.mark.scenario("PHX-23", "Handle undelivered SMS")
def test_an_undelivered_text_marks_the_number_and_sends_the_email_instead(
    fake_providers, texter, studio, client
):
    message = _sent(fake_providers, texter, studio)
    params = {
        "MessageSid": message.provider_id,
        "MessageStatus": "undelivered",
        "ErrorCode": "30006",
    }
    for _ in range(3):
        post_signed(client, STATUS_URL, params)
    message.refresh_from_db()
    assert message.status == "undelivered"
    assert RecipientSettings.objects.get(user=texter).phone_invalid_number == NUMBER
    assert Message.objects.filter(fallback_for=message, channel="email").count() == 1
    assert AdminAlert.objects.filter(code="notifications.sms_undelivered").count() == 1


@pytest.mark.scenario("PHX-23", "Opt-out via SMS reply")
@pytest.mark.parametrize("word", ["STOP", "unsubscribe", "Cancel", "END", "quit please"])
def test_stop_words_opt_out_and_hold_back_queued_texts(
    fake_providers, texter, studio, client, word
):
    _sent(fake_providers, texter, studio, key="r0")  # the studio texted this number before
    waiting = reminder_sms(texter, studio, key="r1")
    params = {"MessageSid": "SMin1", "From": NUMBER, "Body": word}
    for _ in range(10):  # replays are answered but act once
        response = post_signed(client, INBOUND_URL, params)
        assert response.status_code == 200 and b"unsubscribed" in response.content
    assert InboundSms.objects.count() == 1
    assert RecipientSettings.objects.get(user=texter).sms_stopped_at is not None
    waiting.refresh_from_db()
    assert waiting.status == "skipped"
    assert reminder_sms(texter, studio, key="r2").status == "skipped"
    # START subscribes again.
    post_signed(client, INBOUND_URL, {"MessageSid": "SMin2", "From": NUMBER, "Body": "START"})
    assert reminder_sms(texter, studio, key="r3").status == "queued"


def test_help_answers_with_the_studios_contact(fake_providers, texter, studio, client):
    from reformer.notifications.models import OrganizationMessaging
    from reformer.notifications.rendering import clear_branding_cache

    OrganizationMessaging.objects.create(
        organization=studio.organization,
        contact_phone="+16175550100",
        reply_to="hello@harbour.example",
    )
    clear_branding_cache()
    _sent(fake_providers, texter, studio)
    response = post_signed(
        client, INBOUND_URL, {"MessageSid": "SMh", "From": NUMBER, "Body": "help"}
    )
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/xml")
    assert "<Message>Harbour Pilates:" in body
    assert "+16175550100" in body and "hello@harbour.example" in body and "STOP" in body


@pytest.mark.scenario("PHX-23", "Opt-in to SMS notifications")
@pytest.mark.scenario("PHX-23", "Handle invalid phone number")
def test_opting_in_takes_a_code_sent_by_text(fake_providers, studio):
    user = factories.UserFactory(email="new@example.com", name="Nia")
    org = studio.organization
    with pytest.raises(DomainError, match="Invalid phone number format"):
        sms_consent.start_opt_in(user, "123", organization=org)
    assert not Message.objects.exists()
    code_message = sms_consent.start_opt_in(user, "(415) 555-0199", organization=org)
    assert code_message.to_address == "+14155550199"
    deliver_message(code_message.pk)
    code = fake_providers.texts()[0].body.split("code to turn on text reminders is ")[1][:6]
    with pytest.raises(DomainError, match="not right"):
        sms_consent.confirm_opt_in(
            user, "000000" if code != "000000" else "111111", organization=org
        )
    assert RecipientSettings.objects.get(user=user).pending_code_attempts == 1
    sms_consent.confirm_opt_in(user, code, organization=org)
    user.refresh_from_db()
    assert user.notify_sms and user.phone == "+14155550199"
    confirmation = Message.objects.get(kind="sms_opted_in")
    deliver_message(confirmation.pk)
    assert "STOP to opt out" in fake_providers.texts()[1].body


def test_a_code_expires_and_guesses_are_limited(fake_providers, studio):
    user = factories.UserFactory(email="g@example.com")
    org = studio.organization
    with time_machine.travel(timezone.now(), tick=False) as clock:
        sms_consent.start_opt_in(user, "+14155550142", organization=org)
        for _ in range(sms_consent.MAX_CODE_GUESSES):
            with pytest.raises(DomainError, match="not right"):
                sms_consent.confirm_opt_in(user, "abc", organization=org)
        with pytest.raises(DomainError, match="Too many"):
            sms_consent.confirm_opt_in(user, "abc", organization=org)
        sms_consent.start_opt_in(user, "+14155550142", organization=org)
        clock.shift(sms_consent.CODE_LIFETIME + dt.timedelta(seconds=1))
        with pytest.raises(DomainError, match="expired"):
            sms_consent.confirm_opt_in(user, "123456", organization=org)


def test_quiet_hours_hold_a_text_until_they_end_in_the_studios_zone(fake_providers, texter, studio):
    StudioPolicy.objects.filter(studio=studio).update(
        quiet_hours_start=dt.time(21, 0), quiet_hours_end=dt.time(8, 0)
    )
    studio.refresh_from_db()
    # 23:30 in Boston (EDT) is 03:30 UTC; the text waits until 08:00 EDT = 12:00 UTC.
    late = dt.datetime(2026, 5, 5, 3, 30, tzinfo=dt.UTC)
    with time_machine.travel(late, tick=False) as clock:
        message = reminder_sms(texter, studio)
        assert message.send_after == dt.datetime(2026, 5, 5, 12, 0, tzinfo=dt.UTC)
        assert deliver_message(message.pk).status == "waiting"
        assert not fake_providers.texts()
        clock.move_to(message.send_after)
        assert deliver_message(message.pk).status == "sent"
    # Email is never held.
    assert len(fake_providers.texts()) == 1 and not mail.outbox


def test_a_text_cut_short_by_a_dead_worker_is_found_at_twilio_not_sent_again(
    fake_providers, texter, studio, monkeypatch
):
    message = reminder_sms(texter, studio)

    def killed(current, result):
        raise SystemExit("worker killed after Twilio accepted")

    monkeypatch.setattr(sending, "record_sent", killed)
    with pytest.raises(SystemExit):
        deliver_message(message.pk)
    monkeypatch.undo()
    assert recovery.resolve_stale_sending(older_than=dt.timedelta(0)) == 1
    message.refresh_from_db()
    assert message.status == "sent"
    assert message.provider_id == fake_providers.texts()[0].id
    assert len(fake_providers.texts()) == 1


def test_at_most_ten_texts_a_day_per_person(fake_providers, texter, studio):
    from reformer.notifications.actions import TEXTS_PER_DAY

    messages = [reminder_sms(texter, studio, key=f"d{i}") for i in range(TEXTS_PER_DAY + 2)]
    assert [m.status for m in messages].count("queued") == TEXTS_PER_DAY
    assert "Daily text limit" in messages[-1].error
    # Account texts (an opt-in code) are not held back by it.
    assert (
        sms_consent.start_opt_in(texter, "+14155550177", organization=studio.organization).status
        == "queued"
    )


@pytest.mark.parametrize(
    "params",
    [
        {"MessageStatus": "x" * 500},
        {"MessageStatus": "exploded"},
        {"MessageStatus": "delivered", "MessageSid": "SM" + "f" * 500},
    ],
    ids=["long-status", "unknown-status", "long-sid"],
)
def test_a_signed_callback_with_an_unknown_status_is_refused_cleanly(
    fake_providers, texter, studio, client, params
):
    """A 500-character status made an event id too long for its column (a 500)."""
    message = _sent(fake_providers, texter, studio)
    events = MessageEvent.objects.count()
    response = post_signed(client, STATUS_URL, {"MessageSid": message.provider_id, **params})
    assert response.status_code == 400
    message.refresh_from_db()
    assert message.status == "sent" and MessageEvent.objects.count() == events
    assert not EarlyProviderEvent.objects.exists()


def test_a_signed_inbound_text_with_an_overlong_sid_or_sender_is_refused_cleanly(
    fake_providers, texter, studio, client
):
    for params in (
        {"MessageSid": "SM" + "a" * 300, "From": NUMBER, "Body": "STOP"},
        {"MessageSid": "SMin9", "From": "+1" + "5" * 300, "Body": "STOP"},
    ):
        assert post_signed(client, INBOUND_URL, params).status_code == 400
    assert not InboundSms.objects.exists()
