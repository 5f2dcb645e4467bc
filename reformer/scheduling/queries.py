"""Scoped reads of class types, sessions, weekly templates and instructor unavailability.

Filtered by the actor's organization and, for sessions and templates, by the studios the
actor sees (reformer.studios.queries.visible_studio_ids). Lists select their related rows so
a page costs a fixed number of queries whatever its length.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from reformer.accounts.models import Membership, Role
from reformer.core.errors import NotFound, PermissionDenied
from reformer.core.parsing import to_id
from reformer.core.permissions import (
    MANAGE_CLASS_TYPES,
    MANAGE_SCHEDULE,
    MANAGE_STAFF,
    VIEW_SCHEDULE,
    has_capability,
    may_manage_time_off_of,
    reaches_every_studio,
    require,
    studio_ids_in_scope,
)
from reformer.core.timezones import local_today
from reformer.scheduling.models import (
    ClassSession,
    ClassType,
    InstructorUnavailability,
    RecurringTemplate,
)
from reformer.studios.queries import get_studio, visible_studio_ids

_SESSION_RELATED = ("studio", "room", "class_type", "instructor__user")


def class_types_for(actor: Membership, *, include_inactive: bool = False) -> QuerySet[ClassType]:
    """Active class types; archived ones too for those who manage them, if asked."""
    require(actor, VIEW_SCHEDULE)
    types = ClassType.objects.filter(organization_id=actor.organization_id)
    if not (include_inactive and has_capability(actor, MANAGE_CLASS_TYPES)):
        types = types.filter(active=True)
    return types.order_by("name")


def sessions_for(
    actor: Membership,
    *,
    start: dt.datetime,
    end: dt.datetime,
    studio_ids: Iterable[int] | None = None,
    instructor: Membership | None = None,
    class_type_ids: Iterable[int] | None = None,
    include_cancelled: bool = False,
) -> QuerySet[ClassSession]:
    """Sessions starting in [start, end), in order, with studio, room, class type and
    instructor selected. Filters narrow the studios the actor sees; they never widen them."""
    studios = visible_studio_ids(actor)
    if studio_ids is not None:
        studios &= {int(pk) for pk in studio_ids}
    sessions = ClassSession.objects.filter(
        organization_id=actor.organization_id,
        studio_id__in=studios,
        starts_at__gte=start,
        starts_at__lt=end,
    )
    if not include_cancelled:
        sessions = sessions.filter(status=ClassSession.Status.SCHEDULED)
    if instructor is not None:
        sessions = sessions.filter(instructor_id=instructor.pk)
    if class_type_ids is not None:
        sessions = sessions.filter(class_type_id__in=list(class_type_ids))
    return sessions.select_related(*_SESSION_RELATED).order_by("starts_at", "pk")


def sessions_by_ids(actor: Membership, ids: Iterable[int]) -> list[ClassSession]:
    """The given sessions the actor may see (e.g. to render a live event), in order; ids of
    other organizations or of studios out of reach are left out."""
    return list(
        ClassSession.objects.filter(
            organization_id=actor.organization_id,
            studio_id__in=visible_studio_ids(actor),
            pk__in=list(ids),
        )
        .select_related(*_SESSION_RELATED)
        .order_by("starts_at", "pk")
    )


def get_session(actor: Membership, pk: int) -> ClassSession:
    session = (
        ClassSession.objects.filter(organization_id=actor.organization_id, pk=pk)
        .select_related(*_SESSION_RELATED)
        .first()
    )
    if session is None:
        raise NotFound("class")
    get_studio(actor, session.studio_id)
    return session


def get_template(actor: Membership, pk: int) -> RecurringTemplate:
    template = (
        RecurringTemplate.objects.filter(organization_id=actor.organization_id, pk=pk)
        .select_related("studio", "room", "class_type")
        .first()
    )
    if template is None:
        raise NotFound("weekly class")
    require(actor, MANAGE_SCHEDULE, studio=template.studio)
    return template


def instructor_overview(actor: Membership, *, active: bool = True, now: dt.datetime | None = None):
    """Instructors the actor manages (active ones, or with active=False the deactivated),
    each with `upcoming_count` of scheduled classes still to teach (a deactivated
    instructor's classes stay on the schedule until someone reassigns them)."""
    require(actor, MANAGE_STAFF)
    now = now or timezone.now()
    upcoming = (
        ClassSession.objects.filter(
            instructor=OuterRef("pk"),
            status=ClassSession.Status.SCHEDULED,
            starts_at__gte=now,
        )
        .order_by()
        .values("instructor")
        .annotate(n=Count("pk"))
        .values("n")
    )
    queryset = Membership.objects.filter(
        organization_id=actor.organization_id, role=Role.INSTRUCTOR, active=active
    )
    if not reaches_every_studio(actor):
        in_scope = Membership.studios.through.objects.filter(
            membership_id=OuterRef("pk"),
            studio_id__in=studio_ids_in_scope(actor),
        )
        queryset = queryset.filter(Exists(in_scope))
    return (
        queryset.select_related("user")
        .prefetch_related("studios")
        .annotate(upcoming_count=Coalesce(Subquery(upcoming), 0))
        .order_by("user__name", "pk")
    )


def time_off_of(actor: Membership, instructor_id: object) -> tuple[Membership, list]:
    """A member of staff and their time off that has not ended (today local to the
    organization), for the time-off page: themself, or someone whose schedule the actor
    manages (core.permissions.may_manage_time_off_of)."""
    instructor = (
        Membership.objects.filter(
            organization_id=actor.organization_id, pk=to_id(instructor_id) or 0
        )
        .select_related("user", "organization")
        .first()
        if instructor_id not in (None, "")
        else actor
    )
    if instructor is None:
        raise NotFound("instructor")
    if not may_manage_time_off_of(actor, instructor):
        raise PermissionDenied(MANAGE_SCHEDULE)
    today = local_today(actor.organization.time_zone)
    periods = list(
        InstructorUnavailability.objects.filter(instructor=instructor, ends_on__gte=today).order_by(
            "starts_on", "pk"
        )
    )
    return instructor, periods


def time_off_period(actor: Membership, pk: object) -> InstructorUnavailability:
    """One period of the actor's organization (the action checks who may remove it)."""
    found = (
        InstructorUnavailability.objects.filter(
            organization_id=actor.organization_id, pk=to_id(pk) or 0
        )
        .select_related("instructor__user")
        .first()
    )
    if found is None:
        raise NotFound("time off")
    return found
