"""A circuit breaker per channel: after repeated transient failures in a row the provider
is taken to be down; messages then wait (still queued, no attempt spent) until a probe is
due, the owner is alerted once, and the first success closes the circuit again."""

from __future__ import annotations

import datetime as dt
import time

from django.db import connection
from django.utils import timezone

from reformer.core import alerts
from reformer.core.models import AdminAlert
from reformer.notifications.models import Message, ProviderCircuit

FAILURES_TO_OPEN = 5
FIRST_COOL_DOWN = dt.timedelta(seconds=30)
LONGEST_COOL_DOWN = dt.timedelta(minutes=10)


# A sending process remembers, for a couple of seconds, that a channel's circuit was closed
# with no failures: the common case then costs no query per message. Anything else (open,
# or failures counted) is read from the database every time.
_HEALTHY_FOR_SECONDS = 2.0
_known_healthy: dict[str, float] = {}


def _healthy_recently(channel: str) -> bool:
    return _known_healthy.get(channel, 0.0) > time.monotonic()


def wait_until(channel: str, now: dt.datetime) -> dt.datetime | None:
    """When the circuit lets this channel's next message through, or None (closed, or a
    probe is due now)."""
    if _healthy_recently(channel):
        return None
    row = (
        ProviderCircuit.objects.filter(channel=channel)
        .values_list("opened_at", "retry_at", "consecutive_failures")
        .first()
    )
    if row is None or (row[0] is None and row[2] == 0):
        _known_healthy[channel] = time.monotonic() + _HEALTHY_FOR_SECONDS
        return None
    opened_at, retry_at, _failures = row
    if opened_at is not None and retry_at is not None and retry_at > now:
        return retry_at
    return None


def record_success(channel: str) -> None:
    """The provider took a message: close the circuit, and the "provider down" alerts it
    opened resolve themselves (staff need not mark a recovered outage as dealt with)."""
    if _healthy_recently(channel):
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE notifications_providercircuit SET consecutive_failures = 0, "
            "opened_at = NULL, retry_at = NULL "
            "WHERE channel = %s AND (consecutive_failures > 0 OR opened_at IS NOT NULL) "
            "RETURNING (SELECT opened_at IS NOT NULL FROM notifications_providercircuit "
            "WHERE channel = %s)",
            [channel, channel],
        )
        row = cursor.fetchone()
    if row is not None and row[0]:
        _resolve_outage_alerts(channel)
    _known_healthy[channel] = time.monotonic() + _HEALTHY_FOR_SECONDS


def _resolve_outage_alerts(channel: str) -> None:
    """Every organization's open alert about this channel's outage (one per organization)."""
    AdminAlert.objects.filter(
        code=alerts.PROVIDER_DOWN, resolved_at__isnull=True, data__channel=channel
    ).update(resolved_at=timezone.now())


def record_failure(
    channel: str, error: str, now: dt.datetime, organization_id: int | None
) -> dt.datetime | None:
    """Count a transient failure; return when to try again if the circuit is (now) open."""
    _known_healthy.pop(channel, None)
    ProviderCircuit.objects.get_or_create(channel=channel)
    circuit = ProviderCircuit.objects.select_for_update().get(channel=channel)
    circuit.consecutive_failures += 1
    circuit.last_error = error[:1000]
    if circuit.consecutive_failures < FAILURES_TO_OPEN:
        circuit.save(update_fields=["consecutive_failures", "last_error"])
        return None
    newly_open = circuit.opened_at is None
    if newly_open:
        circuit.opened_at = now
        cool_down = FIRST_COOL_DOWN
    else:
        # A failed probe: wait twice as long as last time (up to the longest cool-down).
        previous = (circuit.retry_at or now) - (circuit.opened_at or now)
        cool_down = min(max(previous * 2, FIRST_COOL_DOWN), LONGEST_COOL_DOWN)
        circuit.opened_at = now
    circuit.retry_at = now + cool_down
    circuit.save()
    if newly_open:
        _alert_owners(channel, error, organization_id)
    return circuit.retry_at


def _alert_owners(channel: str, error: str, organization_id: int | None) -> None:
    """One alert per organization with messages waiting on this channel."""
    label = "email" if channel == Message.Channel.EMAIL else "SMS"
    waiting = set(
        Message.objects.filter(
            channel=channel, status__in=[Message.Status.QUEUED, Message.Status.SENDING]
        )
        .values_list("organization_id", flat=True)
        .distinct()
    )
    if organization_id is not None:
        waiting.add(organization_id)
    for org_id in waiting:
        alerts.raise_alert(
            alerts.PROVIDER_DOWN,
            f"The {label} provider is failing ({error[:200]}). Messages are kept queued and "
            "will go out when it recovers; nothing is lost.",
            organization_id=org_id,
            data={"channel": channel},
        )


def state(channel: str) -> ProviderCircuit | None:
    return ProviderCircuit.objects.filter(channel=channel).first()


def is_open(circuit: ProviderCircuit | None) -> bool:
    return bool(circuit and circuit.opened_at)
