"""PHX-26: push as a channel of the outbox, end to end against a fake push service at the
HTTP boundary: pywebpush's request carries a VAPID token whose signature verifies with our
public key, the payload decrypts (http_ece, aes128gcm) to the message, a 404/410 answer
removes the subscription; preferences hold for push as for email; subscriptions are each
person's own."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.utils import timezone

from reformer.bookings import actions
from reformer.core.errors import DomainError, NotFound
from reformer.core.models import AdminAlert
from reformer.core.timezones import to_local
from reformer.integrations.webpush.fake import FakePushService
from reformer.notifications import push
from reformer.notifications.actions import queue_templated_email
from reformer.notifications.models import Message, PushSubscription
from reformer.notifications.reminders import queue_due_reminders
from reformer.notifications.sending import deliver_message
from reformer.notifications.transports.push import application_server_key
from tests.notifications.test_reminders import booked

pytestmark = pytest.mark.django_db

CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)


@pytest.fixture
def fake_push(settings):
    settings.PUSH_ALLOW_HTTP_ENDPOINTS = True
    settings.PUSH_ALLOW_PRIVATE_HOSTS = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    fake = FakePushService().start()
    yield fake
    fake.stop()


def subscribe(fake, user):
    device = fake.subscriber()
    subscription = push.register_subscription(
        user,
        endpoint=device.endpoint,
        p256dh=device.p256dh,
        auth=device.auth,
        user_agent=CHROME_ANDROID,
    )
    return device, subscription


@pytest.mark.scenario("PHX-26", "Receive push notification for class reminder")
def test_a_class_reminder_reaches_the_device_signed_and_encrypted(world, fake_push, settings):
    starts = (timezone.now() + dt.timedelta(hours=20)).replace(second=0, microsecond=0)
    booking = booked(world.a, starts, name="Alice")
    user = booking.client.user
    _device, subscription = subscribe(fake_push, user)
    assert subscription.device == "Chrome on Android"

    queue_due_reminders()
    pushed = Message.objects.get(kind="class_reminder", channel="push")
    assert Message.objects.filter(kind="class_reminder", channel="email").exists()
    assert pushed.to_address == "Chrome on Android"
    assert deliver_message(pushed.pk).status == "sent"

    (delivery,) = fake_push.deliveries
    claims, key = fake_push.vapid_claims(delivery)  # raises unless the signature verifies
    assert key == application_server_key()
    assert claims["aud"] == fake_push.base_url
    assert claims["sub"] == settings.VAPID_SUBJECT
    assert claims["exp"] > time.time()
    assert delivery.headers["content-encoding"] == "aes128gcm"
    assert int(delivery.headers["ttl"]) > 0
    shown = json.loads(fake_push.decrypt(delivery))
    class_name = booking.session.class_type.name
    assert class_name in shown["title"]
    local = to_local(starts, booking.session.studio.time_zone)
    assert f"{local:%H:%M}" in shown["body"]
    assert shown["url"].endswith(f"/bookings/{booking.reference}/")  # tap: booking details
    pushed.refresh_from_db()
    assert pushed.status == "sent" and pushed.provider == "webpush"


def test_an_expired_subscription_is_removed_without_an_alert(world, fake_push):
    starts = timezone.now() + dt.timedelta(hours=20)
    booking = booked(world.a, starts, name="Alice")
    device, subscription = subscribe(fake_push, booking.client.user)
    device.status = 410
    queue_due_reminders()
    pushed = Message.objects.get(kind="class_reminder", channel="push")
    assert deliver_message(pushed.pk).status == "failed"
    assert fake_push.deliveries[0].status == 410
    assert not PushSubscription.objects.filter(pk=subscription.pk).exists()
    assert not AdminAlert.objects.exists()
    pushed.refresh_from_db()
    assert "expired" in pushed.error


def test_a_push_service_outage_is_retried(world, fake_push):
    booking = booked(world.a, timezone.now() + dt.timedelta(hours=20), name="Alice")
    device, subscription = subscribe(fake_push, booking.client.user)
    device.status = 503
    queue_due_reminders()
    pushed = Message.objects.get(kind="class_reminder", channel="push")
    outcome = deliver_message(pushed.pk)
    assert outcome.status == "retry" and outcome.retry_at is not None
    assert PushSubscription.objects.filter(pk=subscription.pk).exists()


def test_switched_off_reminders_are_not_pushed_either(world, fake_push):
    booking = booked(world.a, timezone.now() + dt.timedelta(hours=20), name="Alice")
    user = booking.client.user
    user.notify_class_reminders = False
    user.save()
    subscribe(fake_push, user)
    queue_due_reminders()
    assert set(Message.objects.filter(kind="class_reminder").values_list("channel", "status")) == {
        ("email", "skipped"),
        ("push", "skipped"),
    }


def test_a_cancelled_class_and_a_waitlist_place_are_pushed(world, fake_push):
    booking = booked(world.a, timezone.now() + dt.timedelta(days=2), name="Alice")
    user = booking.client.user
    subscribe(fake_push, user)
    actions.cancel_session(world.a.owner, booking.session, reason="Instructor ill")
    cancelled = Message.objects.get(kind="session_cancelled", channel="push")
    assert deliver_message(cancelled.pk).status == "sent"
    shown = json.loads(fake_push.decrypt(fake_push.deliveries[-1]))
    assert "Instructor ill" in shown["body"]
    assert shown["url"].endswith("/dashboard/")

    promoted = queue_templated_email(
        user,
        "waitlist_promoted",
        subject="You're in!",
        context={"class_name": "Reformer Flow", "when": "Mon 1 Jan", "reference": "ABC123"},
        idempotency_key="promoted:1",
        organization=world.a.organization,
    )
    assert promoted.channel == "email"  # the message asked for, with its push beside it
    pushed = Message.objects.get(idempotency_key__startswith="promoted:1:push:")
    assert deliver_message(pushed.pk).status == "sent"
    shown = json.loads(fake_push.decrypt(fake_push.deliveries[-1]))
    assert shown["url"].endswith("/bookings/ABC123/")


def test_other_messages_are_not_pushed(world, fake_push):
    user = world.a.client.user
    subscribe(fake_push, user)
    queue_templated_email(
        user,
        "booking_confirmed",
        subject="Booked",
        context={"class_name": "x"},
        idempotency_key="confirmed:1",
        organization=world.a.organization,
    )
    assert not Message.objects.filter(channel="push").exists()


def test_subscriptions_are_validated_and_each_persons_own(world, fake_push, settings):
    user, other = world.a.client.user, world.b.client.user
    device, subscription = subscribe(fake_push, user)
    with pytest.raises(DomainError):
        push.register_subscription(user, endpoint="ftp://x", p256dh=device.p256dh, auth=device.auth)
    with pytest.raises(DomainError):
        push.register_subscription(user, endpoint=device.endpoint, p256dh="abc", auth=device.auth)
    settings.PUSH_ALLOW_HTTP_ENDPOINTS = False
    with pytest.raises(DomainError):
        push.register_subscription(
            user, endpoint=device.endpoint + "x", p256dh=device.p256dh, auth=device.auth
        )
    with pytest.raises(NotFound):
        push.remove_subscription(other, subscription.pk)
    assert push.devices_of(user) == [subscription]
    # The same browser, now signed in as someone else: the endpoint moves to them.
    settings.PUSH_ALLOW_HTTP_ENDPOINTS = True
    moved = push.register_subscription(
        other, endpoint=device.endpoint, p256dh=device.p256dh, auth=device.auth
    )
    assert moved.pk == subscription.pk and push.devices_of(user) == []
    push.remove_subscription(other, moved.pk)
    assert not PushSubscription.objects.exists()


def test_a_new_instructor_for_a_booked_class_is_emailed_and_pushed(world, fake_push):
    from reformer.scheduling.actions import update_session
    from tests import factories

    booking = booked(world.a, timezone.now() + dt.timedelta(days=2), name="Alice")
    subscribe(fake_push, booking.client.user)
    teacher = factories.MembershipFactory(
        organization=world.a.organization, role="instructor", studios=[world.a.studio]
    )
    update_session(world.a.owner, booking.session, instructor=teacher)
    email = Message.objects.get(kind="session_changed", channel="email")
    assert teacher.user.name in email.subject
    pushed = Message.objects.get(kind="session_changed", channel="push")
    assert deliver_message(pushed.pk).status == "sent"
    shown = json.loads(fake_push.decrypt(fake_push.deliveries[-1]))
    assert f"now taught by {teacher.user.name}" in shown["body"]
    assert shown["url"].endswith(f"/bookings/{booking.reference}/")
    # Changing nothing about who teaches tells nobody.
    update_session(world.a.owner, booking.session, capacity=9)
    assert Message.objects.filter(kind="session_changed").count() == 2


def test_pushes_for_many_people_are_queued_in_a_fixed_number_of_queries(
    world, fake_push, django_assert_max_num_queries
):
    from reformer.notifications.actions import OutgoingMessage, queue_many
    from tests import factories

    people = [factories.UserFactory() for _ in range(30)]
    for person in people:
        for _ in range(2):
            subscribe(fake_push, person)
    outgoing = [
        OutgoingMessage(
            recipient=person,
            kind="session_cancelled",
            idempotency_key=f"session-cancelled:9:{person.pk}",
            organization_id=world.a.organization.pk,
            subject="Class cancelled",
            context={"class_name": "Reformer Flow", "when": "Mon"},
        )
        for person in people
    ]
    # The devices (one query), the outbox INSERT, the send jobs (batched).
    with django_assert_max_num_queries(6):
        queue_many(outgoing)
    assert Message.objects.filter(channel="push").count() == 60
    assert Message.objects.filter(channel="email").count() == 30
