"""Reads of the cross-cutting records, scoped to the actor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from reformer.core.models import AdminAlert
from reformer.core.permissions import (
    VIEW_ALERTS,
    VIEW_SYSTEM_ALERTS,
    has_capability,
    limited_to_own_studios,
    require,
    studio_ids_in_scope,
)

if TYPE_CHECKING:
    from reformer.accounts.models import Membership


def open_alerts(actor: Membership) -> QuerySet[AdminAlert]:
    """Open alerts the actor should see, newest first: their organization's (only their
    studios' for studio-scoped staff), and the installation's for owners."""
    require(actor, VIEW_ALERTS)
    mine = Q(organization_id=actor.organization_id)
    if limited_to_own_studios(actor):
        mine &= Q(studio__isnull=True) | Q(studio_id__in=studio_ids_in_scope(actor))
    if has_capability(actor, VIEW_SYSTEM_ALERTS):
        mine |= Q(organization__isnull=True)
    return (
        AdminAlert.objects.filter(mine, resolved_at__isnull=True)
        .select_related("studio")
        .order_by("-created_at", "-id")
    )
