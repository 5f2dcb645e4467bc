"""Row locks taken by the studio and scheduling actions, in one fixed order.

Order: studio -> recurring template -> class session -> (client package, bookings engine).
Actions that decide "may this class exist here?" (create or move a session, add a closure,
shrink a room, generate from a template) first lock the studio row, so two of them for the
same studio run one after the other and cannot both pass a check the other invalidates
(a closure added while a session is created on that day). The lock is FOR NO KEY UPDATE:
it does not block inserts that merely reference the studio (bookings, rooms).
"""

from __future__ import annotations

from reformer.studios.models import Studio


def lock_studio(studio_id: int) -> Studio:
    return Studio.objects.select_for_update(no_key=True).get(pk=studio_id)
