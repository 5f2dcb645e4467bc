"""Scoped reads of studios, rooms, spots, closures and policies.

Everything is filtered by the actor's organization. Owners see every studio; managers,
front desk and instructors the studios on their membership; clients every active studio of
their organization (the public schedule). Another organization's object is NotFound; a
studio outside a staff member's scope is PermissionDenied (core.permissions.require).
"""

from __future__ import annotations

from django.db.models import QuerySet

from reformer.accounts.models import Membership
from reformer.core.errors import NotFound
from reformer.core.permissions import (
    VIEW_SCHEDULE,
    is_staff,
    require,
    studio_ids_in_scope,
)
from reformer.studios.models import Studio


def visible_studio_ids(actor: Membership) -> set[int]:
    """Studios whose schedule the actor reads: scope for staff, active studios for clients.
    A new set each time (the scope cached on the membership must not be narrowed)."""
    require(actor, VIEW_SCHEDULE)
    if is_staff(actor):
        return set(studio_ids_in_scope(actor))
    return set(
        Studio.objects.filter(organization_id=actor.organization_id, active=True).values_list(
            "pk", flat=True
        )
    )


def studios_for(actor: Membership) -> QuerySet[Studio]:
    return Studio.objects.filter(
        organization_id=actor.organization_id, pk__in=visible_studio_ids(actor)
    ).order_by("name")


def get_studio(actor: Membership, pk: int) -> Studio:
    studio = Studio.objects.filter(organization_id=actor.organization_id, pk=pk).first()
    if studio is None or (not studio.active and not is_staff(actor)):
        raise NotFound("studio")
    require(actor, VIEW_SCHEDULE, studio=studio)
    return studio
