"""Webhook jobs: build an event's deliveries, and deliver (with retries scheduled)."""

from __future__ import annotations

import datetime as dt

from procrastinate.contrib.django import app

from reformer.webhooks import actions


@app.task(name="webhooks.fan_out", retry=3)
def fan_out(
    organization_id: int,
    event_type: str,
    subject_type: str,
    subject_id: int,
    occurred_at: str,
) -> None:
    seed = f"{organization_id}/{event_type}/{subject_type}/{subject_id}/{occurred_at}"
    actions.fan_out(
        organization_id,
        event_type,
        subject_type,
        subject_id,
        dt.datetime.fromisoformat(occurred_at),
        message_id=actions.stable_message_id(seed),
    )


@app.task(name="webhooks.deliver")
def deliver(delivery_id: int, force: bool = False) -> None:
    actions.attempt_delivery(delivery_id, force=force)
