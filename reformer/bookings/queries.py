"""Reads about bookings and waitlists that screens and actions share."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from reformer.bookings.models import WaitlistEntry


def waitlist_position(entry: WaitlistEntry) -> int:
    """1 = next in line. Live: the order of joined_at among those still waiting. 0 when the
    entry is no longer waiting."""
    if entry.status != WaitlistEntry.Status.WAITING:
        return 0
    ahead = (
        WaitlistEntry.objects.filter(
            session_id=entry.session_id, status=WaitlistEntry.Status.WAITING
        )
        .filter(joined_at__lte=entry.joined_at)
        .exclude(joined_at=entry.joined_at, id__gte=entry.pk)
        .count()
    )
    return ahead + 1


def waitlist_positions(entries: Iterable[WaitlistEntry]) -> dict[int, int]:
    """{entry id: position} for many entries (any classes) in one query; entries no longer
    waiting are left out."""
    entries = list(entries)
    session_ids = {e.session_id for e in entries}
    wanted = {e.pk for e in entries}
    if not wanted:
        return {}
    rows = (
        WaitlistEntry.objects.filter(
            session_id__in=session_ids, status=WaitlistEntry.Status.WAITING
        )
        .annotate(
            position=Window(
                RowNumber(), partition_by=[F("session_id")], order_by=[F("joined_at"), F("id")]
            )
        )
        .values_list("id", "position")
    )
    return {pk: position for pk, position in rows if pk in wanted}
