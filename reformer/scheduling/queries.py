"""Scoped reads of class types, sessions, weekly templates and instructor unavailability.

Filtered by the actor's organization and, for sessions and templates, by the studios the
actor sees (reformer.studios.queries.visible_studio_ids). Lists select their related rows so
a page costs a fixed number of queries whatever its length.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.core.errors import NotFound, PermissionDenied
from reformer.core.permissions import (
    MANAGE_CLASS_TYPES,
    MANAGE_SCHEDULE,
    VIEW_SCHEDULE,
    has_capability,
    is_staff,
    require,
    studio_ids_in_scope,
)
from reformer.scheduling.models import (
    ClassSession,
    ClassType,
    InstructorUnavailability,
    RecurringTemplate,
)
from reformer.studios.models import Studio
from reformer.studios.queries import get_studio, visible_studio_ids

_SESSION_RELATED = ("studio", "room", "class_type", "instructor__user")


def class_types_for(actor: Membership, *, include_inactive: bool = False) -> QuerySet[ClassType]:
    """Active class types; archived ones too for those who manage them, if asked."""
    require(actor, VIEW_SCHEDULE)
    types = ClassType.objects.filter(organization_id=actor.organization_id)
    if not (include_inactive and has_capability(actor, MANAGE_CLASS_TYPES)):
        types = types.filter(active=True)
    return types.order_by("name")


def get_class_type(actor: Membership, pk: int) -> ClassType:
    require(actor, VIEW_SCHEDULE)
    class_type = ClassType.objects.filter(organization_id=actor.organization_id, pk=pk).first()
    if class_type is None or (not class_type.active and not is_staff(actor)):
        raise NotFound("class type")
    return class_type


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


def sessions_needing_instructor(
    actor: Membership, *, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> QuerySet[ClassSession]:
    """Upcoming scheduled sessions without an instructor, in the studios the actor manages."""
    require(actor, MANAGE_SCHEDULE)
    sessions = ClassSession.objects.filter(
        organization_id=actor.organization_id,
        studio_id__in=studio_ids_in_scope(actor),
        status=ClassSession.Status.SCHEDULED,
        instructor__isnull=True,
        starts_at__gte=start or timezone.now(),
    )
    if end is not None:
        sessions = sessions.filter(starts_at__lt=end)
    return sessions.select_related(*_SESSION_RELATED).order_by("starts_at", "pk")


def templates_for(
    actor: Membership, *, studio: Studio | None = None, include_inactive: bool = False
) -> QuerySet[RecurringTemplate]:
    """Weekly classes in the studios the actor manages, with rotation instructors prefetched."""
    if studio is not None:
        studio = get_studio(actor, studio.pk)
    require(actor, MANAGE_SCHEDULE)
    studios = set(studio_ids_in_scope(actor))
    if studio is not None:
        studios &= {studio.pk}
    templates = RecurringTemplate.objects.filter(
        organization_id=actor.organization_id, studio_id__in=studios
    )
    if not include_inactive:
        templates = templates.filter(active=True)
    return (
        templates.select_related("studio", "room", "class_type")
        .prefetch_related("rotation__instructor__user")
        .order_by("studio__name", "weekday", "local_start_time", "pk")
    )


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


def unavailability_for(
    actor: Membership, *, instructor: Membership | None = None, start: dt.date | None = None
) -> QuerySet[InstructorUnavailability]:
    """Periods ending on or after `start` (default: all) of the staff who teach in the actor's
    studios (or of one of them). Staff without studios on their membership reach every
    studio (owners), so their periods are listed for every manager."""
    require(actor, MANAGE_SCHEDULE)
    periods = InstructorUnavailability.objects.filter(
        Q(instructor__studios__in=studio_ids_in_scope(actor)) | Q(instructor__studios__isnull=True),
        organization_id=actor.organization_id,
    )
    if instructor is not None:
        periods = periods.filter(instructor_id=instructor.pk)
    if start is not None:
        periods = periods.filter(ends_on__gte=start)
    return periods.select_related("instructor__user").distinct().order_by("starts_on", "pk")


def get_unavailability(actor: Membership, pk: int) -> InstructorUnavailability:
    exists = InstructorUnavailability.objects.filter(organization_id=actor.organization_id, pk=pk)
    if not exists.exists():
        raise NotFound("unavailability")
    period = unavailability_for(actor).filter(pk=pk).first()
    if period is None:
        raise PermissionDenied(MANAGE_SCHEDULE)
    return period
