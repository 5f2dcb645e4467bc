"""Webhook endpoints (owner only) and delivering messages to them.

Delivery: one POST per attempt, made outside any transaction; the result is then written
in one. Retries follow the Standard Webhooks schedule (below). A message that has failed
through the whole schedule while the endpoint failed everything else too (about a day
and a half without one success) disables the endpoint and tells the owners.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from urllib.parse import urlsplit

import requests
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from reformer.accounts.models import Membership, Role
from reformer.core import audit
from reformer.core.alerts import raise_alert
from reformer.core.errors import DomainError, NotFound
from reformer.core.permissions import MANAGE_INTEGRATIONS, require, require_same_organization
from reformer.webhooks import signing
from reformer.webhooks.events import EVENT_TYPES, TEST_EVENT, payload_for
from reformer.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

# Delay before each retry (after the first attempt): Standard Webhooks' suggested schedule.
RETRY_SCHEDULE = (
    dt.timedelta(seconds=5),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=5),
    dt.timedelta(hours=10),
    dt.timedelta(hours=10),
)
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
TIMEOUT_SECONDS = 10
ENDPOINT_DISABLED = "webhooks.endpoint_disabled"  # the staff alert's code
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


def _clean_endpoint(url: str, events: list[str]) -> tuple[str, list[str]]:
    url = (url or "").strip()
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError as exc:
        raise DomainError(
            "validation", "Enter the full address, e.g. https://example.com/hooks.", field="url"
        ) from exc
    parts = urlsplit(url)
    if parts.scheme != "https" and parts.hostname not in LOOPBACK_HOSTS:
        raise DomainError(
            "validation",
            "Webhooks are sent over HTTPS only: use an https:// address.",
            field="url",
        )
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise DomainError("validation", f"Unknown event: {', '.join(unknown)}.", field="events")
    if not events:
        raise DomainError("validation", "Choose at least one event to send.", field="events")
    return url, sorted(set(events))


def create_endpoint(
    actor: Membership, *, url: str, events: list[str], description: str = ""
) -> WebhookEndpoint:
    require(actor, MANAGE_INTEGRATIONS)
    url, events = _clean_endpoint(url, events)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            organization_id=actor.organization_id,
            url=url,
            events=events,
            description=description.strip()[:200],
            secret=signing.new_secret(),
            created_by=actor.user,
        )
        audit.record(actor, "webhooks.endpoint.created", endpoint, url=url, events=events)
    return endpoint


def update_endpoint(
    actor: Membership,
    endpoint: WebhookEndpoint,
    *,
    url: str,
    events: list[str],
    description: str = "",
    active: bool = True,
) -> WebhookEndpoint:
    require_same_organization(actor, endpoint, "webhook endpoint")
    require(actor, MANAGE_INTEGRATIONS)
    url, events = _clean_endpoint(url, events)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        reenabled = active and not endpoint.active
        endpoint.url, endpoint.events = url, events
        endpoint.description = description.strip()[:200]
        endpoint.active = active
        if reenabled:
            endpoint.disabled_at, endpoint.disabled_reason, endpoint.failing_since = None, "", None
        elif not active and endpoint.disabled_at is None:
            endpoint.disabled_at, endpoint.disabled_reason = timezone.now(), "Paused by the owner."
        endpoint.save()
        audit.record(actor, "webhooks.endpoint.updated", endpoint, url=url, active=active)
    return endpoint


def delete_endpoint(actor: Membership, endpoint: WebhookEndpoint) -> None:
    require_same_organization(actor, endpoint, "webhook endpoint")
    require(actor, MANAGE_INTEGRATIONS)
    with transaction.atomic():
        audit.record(actor, "webhooks.endpoint.deleted", endpoint, url=endpoint.url)
        endpoint.delete()


def rotate_secret(actor: Membership, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    require_same_organization(actor, endpoint, "webhook endpoint")
    require(actor, MANAGE_INTEGRATIONS)
    with transaction.atomic():
        endpoint.secret = signing.new_secret()
        endpoint.save(update_fields=["secret"])
        audit.record(actor, "webhooks.endpoint.secret_rotated", endpoint)
    return endpoint


def send_test_event(actor: Membership, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queue a `webhook.test` message to this endpoint (even a paused one: that is how an
    owner checks a fix before switching it back on)."""
    require_same_organization(actor, endpoint, "webhook endpoint")
    require(actor, MANAGE_INTEGRATIONS)
    now = timezone.now()
    payload = {
        "type": TEST_EVENT,
        "timestamp": now.isoformat(),
        "data": {"organization": actor.organization.slug, "sent_by": actor.user.email},
    }
    with transaction.atomic():
        delivery = _queue(endpoint, TEST_EVENT, payload, now, force=True)
        audit.record(actor, "webhooks.endpoint.tested", endpoint, delivery=delivery.pk)
    return delivery


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def _queue(
    endpoint: WebhookEndpoint,
    event_type: str,
    payload: dict,
    now: dt.datetime,
    *,
    message_id: str | None = None,
    force: bool = False,
) -> WebhookDelivery:
    from reformer.core.jobs import defer_in_transaction
    from reformer.webhooks.jobs import deliver

    delivery, created = WebhookDelivery.objects.get_or_create(
        endpoint=endpoint,
        message_id=message_id or new_message_id(),
        defaults={
            "organization_id": endpoint.organization_id,
            "event_type": event_type,
            "payload": payload,
            "created_at": now,
            "next_attempt_at": now,
        },
    )
    if created:
        defer_in_transaction(deliver, delivery_id=delivery.pk, force=force)
    return delivery


def fan_out(
    organization_id: int,
    event_type: str,
    subject_type: str,
    subject_id: int,
    occurred_at: dt.datetime,
    *,
    message_id: str,
) -> list[WebhookDelivery]:
    """One delivery per active endpoint listening for the event (safe to run twice: the
    message id is fixed by the job, and stored once per endpoint)."""
    payload = payload_for(event_type, subject_type, subject_id, occurred_at)
    if payload is None:
        return []
    endpoints = WebhookEndpoint.objects.filter(
        organization_id=organization_id, active=True, events__contains=[event_type]
    )
    with transaction.atomic():
        return [
            _queue(endpoint, event_type, payload, timezone.now(), message_id=message_id)
            for endpoint in endpoints
        ]


def attempt_delivery(delivery_id: int, *, force: bool = False) -> WebhookDelivery | None:
    """Try once now; record the attempt; schedule the next one or give up. Returns the
    delivery (None if it is not pending any more: safe to run twice)."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return None
    endpoint = delivery.endpoint
    if not endpoint.active and not force:
        with transaction.atomic():
            _finish(delivery, WebhookDelivery.Status.FAILED, error="Endpoint disabled.")
        return delivery
    body = json.dumps(delivery.payload, cls=DjangoJSONEncoder, separators=(",", ":")).encode()
    started = time.monotonic()
    now = timezone.now()
    status_code, excerpt, error = None, "", ""
    try:
        response = requests.post(
            endpoint.url,
            data=body,
            headers=signing.headers(
                endpoint.secret, delivery.message_id, int(now.timestamp()), body
            ),
            timeout=TIMEOUT_SECONDS,
            allow_redirects=False,
        )
        status_code, excerpt = response.status_code, response.text[:500]
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    duration_ms = int((time.monotonic() - started) * 1000)
    succeeded = status_code is not None and 200 <= status_code < 300
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            organization_id=delivery.organization_id,
            attempted_at=now,
            status_code=status_code,
            response_excerpt=excerpt,
            error=error,
            duration_ms=duration_ms,
        )
        delivery.attempts += 1
        delivery.last_status_code = status_code
        delivery.last_error = error or ("" if succeeded else f"HTTP {status_code}")
        if succeeded:
            _finish(delivery, WebhookDelivery.Status.SUCCEEDED, now=now)
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        else:
            WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
                failing_since=now
            )
            if delivery.attempts >= MAX_ATTEMPTS:
                _finish(delivery, WebhookDelivery.Status.FAILED)
                _disable_if_failing(endpoint.pk, now)
            else:
                delivery.next_attempt_at = now + RETRY_SCHEDULE[delivery.attempts - 1]
                delivery.save()
                _schedule_retry(delivery)
    return delivery


def _finish(
    delivery: WebhookDelivery, status: str, *, now: dt.datetime | None = None, error: str = ""
) -> None:
    delivery.status = status
    delivery.next_attempt_at = None
    if error:
        delivery.last_error = error
    if status == WebhookDelivery.Status.SUCCEEDED:
        delivery.delivered_at = now
    delivery.save()


def _schedule_retry(delivery: WebhookDelivery) -> None:
    from reformer.core.jobs import defer_in_transaction
    from reformer.webhooks.jobs import deliver

    defer_in_transaction(
        deliver.configure(schedule_at=delivery.next_attempt_at), delivery_id=delivery.pk
    )


def _disable_if_failing(endpoint_id: int, now: dt.datetime) -> None:
    """The whole retry schedule failed and nothing else succeeded meanwhile: switch the
    endpoint off and tell the owners (an alert, and an email to each)."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    if not endpoint.active or endpoint.failing_since is None:
        return
    since = endpoint.failing_since
    endpoint.active = False
    endpoint.disabled_at = now
    endpoint.disabled_reason = (
        f"Every delivery failed since {since:%Y-%m-%d %H:%M} UTC, through all retries."
    )
    endpoint.save()
    audit.record(None, "webhooks.endpoint.disabled", endpoint, reason=endpoint.disabled_reason)
    message = (
        f"Reformer stopped sending webhooks to {endpoint.url}: {endpoint.disabled_reason} "
        "Fix the receiver, send a test event, then switch the endpoint back on under "
        "Integrations → Webhooks."
    )
    raise_alert(
        ENDPOINT_DISABLED,
        message,
        organization_id=endpoint.organization_id,
        data={"endpoint": endpoint.pk},
    )
    from reformer.notifications.actions import queue_email

    owners = Membership.objects.filter(
        organization_id=endpoint.organization_id, role=Role.OWNER, active=True
    ).select_related("user")
    for owner in owners:
        queue_email(
            owner.user,
            "webhook_endpoint_disabled",
            "Webhooks paused: your endpoint kept failing",
            message,
            f"webhook-disabled-{endpoint.pk}-{int(now.timestamp())}-{owner.pk}",
            endpoint.organization_id,
        )


# --- reads ------------------------------------------------------------------------------------


def endpoints_for(actor: Membership):
    require(actor, MANAGE_INTEGRATIONS)
    return WebhookEndpoint.objects.filter(organization_id=actor.organization_id)


def get_endpoint(actor: Membership, pk: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(organization_id=actor.organization_id, pk=pk).first()
    if endpoint is None:
        raise NotFound("webhook endpoint")
    require(actor, MANAGE_INTEGRATIONS)
    return endpoint


def deliveries_for(actor: Membership, endpoint: WebhookEndpoint):
    endpoint = get_endpoint(actor, endpoint.pk)
    return endpoint.deliveries.prefetch_related("log")


def stable_message_id(seed: str) -> str:
    """The same message id for the same event, however often its fan-out job runs."""
    return f"msg_{uuid.uuid5(uuid.NAMESPACE_URL, seed).hex}"
