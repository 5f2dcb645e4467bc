"""Reads about bookings and waitlists that screens and actions share."""

from __future__ import annotations

from collections.abc import Iterable

from reformer.bookings.models import WaitlistEntry
from reformer.bookings.rules import WaitlistPosition


def waitlist_position(entry: WaitlistEntry) -> int:
    """1 = next in line. Live: the order of joined_at among those still waiting. 0 when the
    entry is no longer waiting."""
    if entry.status != WaitlistEntry.Status.WAITING:
        return 0
    return waitlist_positions([entry]).get(entry.pk, 0)


def waitlist_positions(entries: Iterable[WaitlistEntry]) -> dict[int, int]:
    """{entry id: position} for many entries (any classes) in one query; entries no longer
    waiting are left out."""
    wanted = {e.pk for e in entries}
    if not wanted:
        return {}
    rows = (
        WaitlistEntry.objects.filter(pk__in=wanted, status=WaitlistEntry.Status.WAITING)
        .annotate(position=WaitlistPosition())
        .values_list("id", "position")
    )
    return dict(rows)
