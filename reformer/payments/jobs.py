"""Payment jobs, thin (ARCHITECTURE §5.4): take ids, call the action, safe to run twice."""

from __future__ import annotations

from django.db import DatabaseError
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from reformer.core.errors import Busy
from reformer.integrations.stripe.client import ProviderError
from reformer.payments.actions import auto_refunds, events, fees, holds, subscriptions

RETRY = RetryStrategy(
    max_attempts=8, exponential_wait=2, retry_exceptions=[DatabaseError, Busy, ProviderError]
)


@app.task(name="payments.process_stripe_event", retry=RETRY)
def process_stripe_event(event_pk: int) -> None:
    events.process_event(event_pk)


@app.task(name="payments.charge_booking_fee", retry=RETRY)
def charge_booking_fee(booking_id: int, kind: str) -> None:
    fees.charge_fee(booking_id, kind)


@app.task(name="payments.charge_appointment_fee", retry=RETRY)
def charge_appointment_fee(place_id: int, kind: str) -> None:
    fees.charge_appointment_fee(place_id, kind)


@app.periodic(cron="*/15 * * * *")
@app.task(name="payments.end_overdue_grace", queueing_lock="payments.end_overdue_grace")
def end_overdue_grace(timestamp: int) -> None:
    subscriptions.end_overdue_grace()


@app.task(name="payments.refund_automatically", retry=RETRY)
def refund_automatically(payment_id: int, reason: str) -> None:
    auto_refunds.refund_automatically(payment_id, reason)


@app.periodic(cron="* * * * *", periodic_id="payments-release-expired-holds")
@app.task(
    name="payments.release_expired_holds",
    queueing_lock="payments.release_expired_holds",
    retry=RetryStrategy(max_attempts=3, exponential_wait=2, retry_exceptions=[DatabaseError, Busy]),
)
def release_expired_holds(timestamp: int) -> None:
    holds.release_expired_holds()
