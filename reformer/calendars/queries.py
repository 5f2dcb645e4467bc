"""Reads for the calendar pages."""

from __future__ import annotations

from django.db.models import QuerySet

from reformer.accounts.models import Membership
from reformer.calendars.models import CalendarFeed
from reformer.core import permissions
from reformer.core.errors import NotFound
from reformer.studios.models import Studio


def live_feeds(actor: Membership) -> QuerySet[CalendarFeed]:
    """Live feeds in the actor's organization (for staff who may revoke them), newest first."""
    permissions.require(actor, permissions.REVOKE_CALENDAR_FEEDS)
    return (
        CalendarFeed.objects.filter(organization_id=actor.organization_id, revoked_at__isnull=True)
        .select_related("membership__user")
        .order_by("-created_at", "-pk")
    )


def public_studio(studio_id: int) -> Studio:
    """An active studio whose timetable anyone may subscribe to."""
    studio = Studio.objects.select_related("organization").filter(pk=studio_id, active=True).first()
    if studio is None:
        raise NotFound("studio")
    return studio
