"""Live rendering gets its own small share of database connections.

One booking can fan out to hundreds of open pages, and each render reads the database in a
worker thread. Unbounded, those threads took the whole pool while page requests waited and
failed (PoolTimeout -> 500). Here at most `settings.LIVE_RENDER_CONNECTIONS` renders hold a
connection at once (a quarter of the pool by default); the others wait for a slot, never
for a connection a request needs. A render gives its connection back to the pool before it
frees its slot.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import connections

T = TypeVar("T")

_slots: threading.BoundedSemaphore | None = None
_slots_lock = threading.Lock()


def _semaphore() -> threading.BoundedSemaphore:
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(settings.LIVE_RENDER_CONNECTIONS)
        return _slots


def with_live_share(render: Callable[[], T]) -> T:
    """Run `render` (in a worker thread) holding one of the live-render slots."""
    slots = _semaphore()
    with slots:
        try:
            return render()
        finally:
            # Back to the pool (or closed) before the slot goes to the next render.
            connections.close_all()


def reset() -> None:
    """Tests that change LIVE_RENDER_CONNECTIONS start from a fresh semaphore."""
    global _slots
    with _slots_lock:
        _slots = None
