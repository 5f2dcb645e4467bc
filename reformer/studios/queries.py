"""Scoped reads of studios, rooms, spots, closures and policies.

Everything is filtered by the actor's organization. Owners see every studio; managers,
front desk and instructors the studios on their membership; clients every active studio of
their organization (the public schedule). Another organization's object is NotFound; a
studio outside a staff member's scope is PermissionDenied (core.permissions.require).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from reformer.accounts.models import Membership
from reformer.core.errors import NotFound
from reformer.core.permissions import (
    VIEW_SCHEDULE,
    is_staff,
    require,
    studio_ids_in_scope,
)
from reformer.core.timezones import local_today
from reformer.studios.models import Closure, Room, Spot, Studio, StudioPolicy


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


def get_policy(actor: Membership, studio: Studio) -> StudioPolicy:
    """The studio's booking rules (public: clients read them before booking); the defaults,
    unsaved, for a studio that has no policy row."""
    studio = get_studio(actor, studio.pk)
    policy = StudioPolicy.objects.filter(studio=studio).first()
    return policy or StudioPolicy(organization_id=studio.organization_id, studio=studio)


def rooms_for(actor: Membership, studio: Studio) -> QuerySet[Room]:
    studio = get_studio(actor, studio.pk)
    return Room.objects.filter(organization_id=actor.organization_id, studio=studio).order_by(
        "name"
    )


def get_room(actor: Membership, pk: int) -> Room:
    room = (
        Room.objects.filter(organization_id=actor.organization_id, pk=pk)
        .select_related("studio")
        .first()
    )
    if room is None:
        raise NotFound("room")
    get_studio(actor, room.studio_id)
    return room


def spots_for(actor: Membership, room: Room, *, include_inactive: bool = False) -> QuerySet[Spot]:
    """The room's spots in grid order (row, then column)."""
    room = get_room(actor, room.pk)
    spots = Spot.objects.filter(organization_id=actor.organization_id, room=room)
    if not include_inactive:
        spots = spots.filter(active=True)
    return spots.order_by("row", "column", "label")


def get_spot(actor: Membership, pk: int) -> Spot:
    spot = Spot.objects.filter(organization_id=actor.organization_id, pk=pk).first()
    if spot is None:
        raise NotFound("spot")
    get_room(actor, spot.room_id)
    return spot


def closures_for(
    actor: Membership, studio: Studio, *, start: dt.date | None = None
) -> QuerySet[Closure]:
    """Closures from `start` (default: the studio's today) on."""
    studio = get_studio(actor, studio.pk)
    return Closure.objects.filter(
        organization_id=actor.organization_id,
        studio=studio,
        date__gte=start or local_today(studio.time_zone),
    ).order_by("date")


def get_closure(actor: Membership, pk: int) -> Closure:
    closure = Closure.objects.filter(organization_id=actor.organization_id, pk=pk).first()
    if closure is None:
        raise NotFound("closure")
    closure.studio = get_studio(actor, closure.studio_id)
    return closure
