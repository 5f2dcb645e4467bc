"""Outbound webhooks: signed per Standard Webhooks (checked with the independent
`standardwebhooks` package) to a real receiver on 127.0.0.1; retries on a controlled
clock; auto-disable with the owners told; tenancy of the endpoints."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from reformer.bookings import actions as bookings
from reformer.core.errors import DomainError, NotFound, PermissionDenied
from reformer.core.models import AdminAlert
from reformer.notifications.models import Message
from reformer.webhooks import actions
from reformer.webhooks.models import WebhookDelivery
from tests.bookings.helpers import give_package
from tests.factories import make_session
from tests.webhooks.conftest import run_queued_jobs

JOBS = ("webhooks.fan_out", "webhooks.deliver")


def verified(endpoint, received) -> dict:
    """The payload, if the independent implementation accepts the signature."""
    return Webhook(endpoint.secret).verify(received.body.decode(), received.headers)


def test_a_booking_is_delivered_signed_to_the_endpoint(world, receiver):
    endpoint = actions.create_endpoint(
        world.a.owner, url=receiver.url, events=["booking.created", "booking.cancelled"]
    )
    give_package(world.a.client)
    session = make_session(world.a, starts_at=timezone.now() + dt.timedelta(days=2))
    booking = bookings.book_session(world.a.client, session)
    bookings.cancel_booking(world.a.client, booking)

    run_queued_jobs(*JOBS)

    assert len(receiver.requests) == 2
    created, cancelled = (verified(endpoint, r) for r in receiver.requests)
    assert created["type"] == "booking.created"
    assert created["data"]["id"] == booking.pk
    assert created["data"]["status"] == "confirmed" or created["data"]["status"] == "cancelled"
    assert cancelled["type"] == "booking.cancelled"
    assert cancelled["data"]["status"] == "cancelled"
    first = receiver.requests[0]
    assert first.headers["webhook-id"].startswith("msg_")
    assert first.headers["content-type"] == "application/json"
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint)
    assert {d.status for d in deliveries} == {"succeeded"}
    assert all(d.log.get().status_code == 200 for d in deliveries)


def test_a_tampered_or_foreign_signature_fails_verification(world, receiver):
    endpoint = actions.create_endpoint(world.a.owner, url=receiver.url, events=["booking.created"])
    other = actions.create_endpoint(world.b.owner, url=receiver.url, events=["booking.created"])
    actions.send_test_event(world.a.owner, endpoint)
    run_queued_jobs(*JOBS)
    received = receiver.requests[0]
    assert verified(endpoint, received)["type"] == "webhook.test"
    with pytest.raises(WebhookVerificationError):
        Webhook(other.secret).verify(received.body.decode(), received.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(received.body.decode() + " ", received.headers)


def test_only_subscribed_events_of_the_own_organization_are_sent(world, receiver):
    actions.create_endpoint(world.a.owner, url=receiver.url, events=["booking.cancelled"])
    actions.create_endpoint(world.b.owner, url=receiver.url, events=["booking.created"])
    give_package(world.a.client)
    session = make_session(world.a, starts_at=timezone.now() + dt.timedelta(days=2))
    bookings.book_session(world.a.client, session)
    run_queued_jobs(*JOBS)
    assert receiver.requests == []


def test_a_rolled_back_change_sends_nothing(world, receiver):
    actions.create_endpoint(world.a.owner, url=receiver.url, events=["booking.created"])
    session = make_session(world.a, starts_at=timezone.now() + dt.timedelta(days=2))
    with pytest.raises(DomainError):  # no package: refused, nothing written
        bookings.book_session(world.a.client, session)
    assert run_queued_jobs(*JOBS) == 0


def test_failures_retry_with_backoff_then_disable_and_tell_the_owner(world, receiver, time_machine):
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    time_machine.move_to(start, tick=False)
    receiver.statuses = [500]
    endpoint = actions.create_endpoint(world.a.owner, url=receiver.url, events=["booking.created"])
    delivery = actions.send_test_event(world.a.owner, endpoint)
    run_queued_jobs("webhooks.fan_out")

    gaps = []
    now = start
    for attempt in range(actions.MAX_ATTEMPTS):
        actions.attempt_delivery(delivery.pk)
        delivery.refresh_from_db()
        assert delivery.attempts == attempt + 1
        if delivery.status != "pending":
            break
        gaps.append(delivery.next_attempt_at - now)
        now = delivery.next_attempt_at
        time_machine.move_to(now, tick=False)

    assert gaps == list(actions.RETRY_SCHEDULE)  # 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h
    assert delivery.status == "failed"
    assert [a.status_code for a in delivery.log.all()] == [500] * actions.MAX_ATTEMPTS
    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.disabled_at == now
    assert "Every delivery failed since 2026-03-02 09:00 UTC" in endpoint.disabled_reason
    alert = AdminAlert.objects.get(code="webhooks.endpoint_disabled")
    assert alert.organization_id == world.a.organization.pk
    assert Message.objects.filter(
        recipient=world.a.owner.user, kind="webhook_endpoint_disabled"
    ).exists()


def test_one_success_keeps_the_endpoint_on(world, receiver, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    receiver.statuses = [500, 500, 204]
    endpoint = actions.create_endpoint(world.a.owner, url=receiver.url, events=["booking.created"])
    delivery = actions.send_test_event(world.a.owner, endpoint)
    for _ in range(3):
        actions.attempt_delivery(delivery.pk)
    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempts == 3
    assert endpoint.active and endpoint.failing_since is None
    # The same message id on every retry, so the receiver can de-duplicate.
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1


def test_a_retry_job_is_scheduled_for_the_backoff_time(world, receiver, time_machine):
    from django.db import connection

    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    receiver.statuses = [503]
    endpoint = actions.create_endpoint(world.a.owner, url=receiver.url, events=["booking.created"])
    delivery = actions.send_test_event(world.a.owner, endpoint)
    actions.attempt_delivery(delivery.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT scheduled_at FROM procrastinate_jobs WHERE task_name = 'webhooks.deliver' "
            "AND scheduled_at IS NOT NULL"
        )
        (scheduled_at,) = cursor.fetchone()
    assert scheduled_at == dt.datetime(2026, 3, 2, 9, 0, 5, tzinfo=dt.UTC)


def test_an_unreachable_endpoint_is_logged_not_raised(world, receiver):
    endpoint = actions.create_endpoint(
        world.a.owner, url="http://127.0.0.1:9/nothing-listens", events=["booking.created"]
    )
    delivery = actions.send_test_event(world.a.owner, endpoint)
    actions.attempt_delivery(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert "ConnectionError" in delivery.log.get().error


def test_endpoint_rules_and_tenancy(world, receiver):
    with pytest.raises(DomainError) as bad_url:
        actions.create_endpoint(world.a.owner, url="ftp://x", events=["booking.created"])
    assert bad_url.value.data["field"] == "url"
    with pytest.raises(DomainError) as plain_http:
        actions.create_endpoint(
            world.a.owner, url="http://example.com/hook", events=["booking.created"]
        )
    assert "HTTPS" in plain_http.value.message
    with pytest.raises(DomainError):
        actions.create_endpoint(world.a.owner, url=receiver.url, events=["nope"])
    with pytest.raises(PermissionDenied):
        actions.create_endpoint(world.a.manager, url=receiver.url, events=["booking.created"])
    endpoint = actions.create_endpoint(world.a.owner, url=receiver.url, events=["booking.created"])
    with pytest.raises(NotFound):
        actions.send_test_event(world.b.owner, endpoint)
    with pytest.raises(NotFound):
        actions.get_endpoint(world.b.owner, endpoint.pk)


def test_attendance_and_new_clients_are_events_too(world, receiver, time_machine):
    from reformer.accounts.actions import join_organization
    from tests import factories

    endpoint = actions.create_endpoint(
        world.a.owner, url=receiver.url, events=["attendance.marked", "client.created"]
    )
    give_package(world.a.client)
    starts = timezone.now() + dt.timedelta(days=1)
    session = make_session(world.a, starts_at=starts)
    booking = bookings.book_session(world.a.client, session)
    time_machine.move_to(starts + dt.timedelta(minutes=2))
    bookings.mark_attendance(world.a.instructor, booking, "attended")
    newcomer = factories.UserFactory(email="new@example.com")
    join_organization(newcomer, world.a.organization)

    run_queued_jobs(*JOBS)

    payloads = [verified(endpoint, r) for r in receiver.requests]
    assert [p["type"] for p in payloads] == ["attendance.marked", "client.created"]
    assert payloads[0]["data"]["status"] == "attended"
    assert payloads[1]["data"]["email"] == "new@example.com"


def test_a_subscriber_check_answered_earlier_costs_no_query(world, django_assert_num_queries):
    """The booking reads whether anyone listens with its reads before the lock
    (bookings.actions._prechecks) and hands the answer to emit()."""
    from reformer.webhooks import events

    organization_id = world.a.organization.pk
    with events.subscribers_known(organization_id, "booking.created", False):
        with django_assert_num_queries(0):
            assert not events.emit(organization_id, "booking.created", "bookings.booking", 1)
        with django_assert_num_queries(1):  # another event: asked as usual
            assert not events.emit(organization_id, "booking.cancelled", "bookings.booking", 1)
