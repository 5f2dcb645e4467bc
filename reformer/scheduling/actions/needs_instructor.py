"""A class left without its instructor (away, left the studio, double-booked): staff are
alerted to assign one (PHX-17). The alert closes itself when an instructor is assigned
(`sessions.update_session`)."""

from __future__ import annotations

from reformer.core import alerts
from reformer.core.timezones import to_local
from reformer.scheduling.models import ClassSession
from reformer.studios.validation import clock, day_label


def alert_needs_instructor(session: ClassSession, *, because: str) -> None:
    local = to_local(session.starts_at, session.studio.time_zone)
    alerts.raise_alert(
        alerts.NEEDS_INSTRUCTOR,
        f"{session.class_type.name} on {day_label(local.date())} at {clock(local.time())} "
        f"({session.studio.name}) needs an instructor: {because}. Assign one.",
        organization_id=session.organization_id,
        studio_id=session.studio_id,
        data={"session": session.pk},
    )
