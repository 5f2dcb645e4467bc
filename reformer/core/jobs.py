"""Helpers for deferring Procrastinate jobs inside the caller's transaction."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from procrastinate import exceptions as procrastinate_exceptions

logger = logging.getLogger(__name__)


def defer_in_transaction(task: Any, *, queueing_lock: str | None = None, **kwargs: Any) -> bool:
    """Defer `task` so it is enqueued if and only if the current transaction commits.

    With a queueing lock, a job already waiting for the same lock makes this a no-op
    (returns False). The defer runs in its own savepoint because AlreadyEnqueued raised
    inside atomic() would otherwise break the caller's transaction (ARCHITECTURE §7).
    """
    configured = task.configure(queueing_lock=queueing_lock) if queueing_lock else task
    try:
        with transaction.atomic():
            configured.defer(**kwargs)
    except procrastinate_exceptions.AlreadyEnqueued:
        logger.debug("job %s already queued under lock %s", task.name, queueing_lock)
        return False
    return True
