"""Reads about bookings and waitlists that screens and actions share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from reformer.bookings.audit_codes import BOOKINGS_WAITLIST_PASSED_OVER
from reformer.bookings.models import WaitlistEntry
from reformer.bookings.rules import WaitlistPosition
from reformer.core import alerts
from reformer.core.models import AdminAlert, AuditEvent


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


@dataclass(frozen=True)
class PromotionMetrics:
    """Waitlist promotion in a period (PHX-16): places filled from waitlists, clients passed
    over (they could not book, or their credit could not be taken), and failed promotion
    runs (each retried, and each raised a staff alert)."""

    promoted: int
    passed_over: int
    failed: int


def promotion_metrics(
    organization_id: int, studio_ids: list[int], since: dt.datetime, until: dt.datetime
) -> PromotionMetrics:
    """For the classes of these studios (of the actor's organization), three counts."""
    entries = WaitlistEntry.objects.filter(
        organization_id=organization_id, session__studio_id__in=studio_ids
    )
    promoted = entries.filter(
        status=WaitlistEntry.Status.PROMOTED, left_at__gte=since, left_at__lt=until
    ).count()
    passed_over = AuditEvent.objects.filter(
        organization_id=organization_id,
        code=BOOKINGS_WAITLIST_PASSED_OVER,
        subject_type="bookings.waitlistentry",
        subject_id__in=entries.values("pk"),
        at__gte=since,
        at__lt=until,
    ).count()
    failed = (
        AdminAlert.objects.filter(
            organization_id=organization_id,
            code=alerts.PROMOTION_FAILED,
            studio_id__in=studio_ids,
            created_at__gte=since,
            created_at__lt=until,
        )
        .exclude(data__contains={"passed_over": True})
        .count()
    )
    return PromotionMetrics(promoted, passed_over, failed)
