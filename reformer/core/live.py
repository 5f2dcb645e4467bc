"""Live events to browsers, sent only after the transaction that caused them commits.

A message is `{type, op, ids}` sent to named channel groups; the websocket consumer turns
it into rendered HTML fragments for that browser. Group names (ARCHITECTURE §5.5):
`studio:{id}:schedule`, `session:{id}:roster`, `user:{id}`, `organization:{id}:metrics`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def studio_schedule(studio_id: int) -> str:
    return f"studio.{studio_id}.schedule"


def session_roster(session_id: int) -> str:
    return f"session.{session_id}.roster"


def user_channel(user_id: int) -> str:
    return f"user.{user_id}"


def organization_metrics(organization_id: int) -> str:
    return f"organization.{organization_id}.metrics"


def publish_after_commit(groups: Iterable[str], type: str, op: str, ids: Iterable[int]) -> None:
    """Queue a live event; it is sent when (and only if) the current transaction commits."""
    message = {"type": "live.event", "event": {"type": type, "op": op, "ids": list(ids)}}
    group_list = list(dict.fromkeys(groups))
    transaction.on_commit(lambda: send_now(group_list, message))


def send_now(groups: list[str], message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for group in groups:
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception:  # A lost live event must never fail the change that caused it.
            logger.exception("live event to %s failed", group)
