"""Studios, class types and classes; the public schedule of an organization needs no key."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router

from reformer.api import queries as api_queries
from reformer.api.schemas import ClassOut, ClassTypeOut, StudioOut, page_of
from reformer.scheduling import queries as scheduling
from reformer.studios import queries as studios
from reformer.web.api.common import (
    SCHEDULE_FROM_QUERY,
    SCHEDULE_TO_QUERY,
    Moment,
    aware,
    json,
    one,
    page,
)
from reformer.web.api.problems import KEYED_ERRORS, Problem
from reformer.web.api.security import actor_with_scope
from reformer.web.api.strict import strict

router = Router(tags=["Schedule"])
public = Router(tags=["Public schedule"])

SCOPE = "schedule:read"
DEFAULT_SPAN = dt.timedelta(days=14)


@router.get("/studios", response={200: page_of(StudioOut), **KEYED_ERRORS})
@strict
def list_studios(
    request: HttpRequest,
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(50, ge=1, le=200),
):
    actor = actor_with_scope(request, SCOPE)
    return page(studios.studios_for(actor), StudioOut, order=("pk",), cursor=cursor, limit=limit)


@router.get("/studios/{studio_id}", response={200: StudioOut, **KEYED_ERRORS})
@strict
def get_studio(request: HttpRequest, studio_id: int = Path(ge=1, le=2**62)):
    actor = actor_with_scope(request, SCOPE)
    return json(one(studios.get_studio(actor, studio_id), StudioOut))


@router.get("/class-types", response={200: page_of(ClassTypeOut), **KEYED_ERRORS})
@strict
def list_class_types(
    request: HttpRequest,
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(50, ge=1, le=200),
):
    actor = actor_with_scope(request, SCOPE)
    types = scheduling.class_types_for(actor)
    return page(types, ClassTypeOut, order=("name", "pk"), cursor=cursor, limit=limit)


def _session_window(start, end) -> tuple[dt.datetime, dt.datetime]:
    start = aware(start, "from") or timezone.now()
    end = aware(end, "to") or start + DEFAULT_SPAN
    return start, end


@router.get("/classes", response={200: page_of(ClassOut), **KEYED_ERRORS})
@strict
def list_classes(
    request: HttpRequest,
    start: Moment | None = SCHEDULE_FROM_QUERY,
    end: Moment | None = SCHEDULE_TO_QUERY,
    studio: int | None = Query(None, ge=1, le=2**62, description="Only this studio's classes."),
    include_cancelled: bool = Query(False),
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(50, ge=1, le=200),
):
    actor = actor_with_scope(request, SCOPE)
    start, end = _session_window(start, end)
    sessions = scheduling.sessions_for(
        actor,
        start=start,
        end=end,
        studio_ids=None if studio is None else [studio],
        include_cancelled=include_cancelled,
    )
    return page(sessions, ClassOut, order=("starts_at", "pk"), cursor=cursor, limit=limit)


@router.get("/classes/{class_id}", response={200: ClassOut, **KEYED_ERRORS})
@strict
def get_class(request: HttpRequest, class_id: int = Path(ge=1, le=2**62)):
    actor = actor_with_scope(request, SCOPE)
    return json(one(scheduling.get_session(actor, class_id), ClassOut))


@public.get(
    "/public/{organization_slug}/classes",
    auth=None,
    response={200: page_of(ClassOut), 404: Problem, 422: Problem},
    summary="The public schedule of an organization",
)
@strict
def public_classes(
    request: HttpRequest,
    organization_slug: str = Path(max_length=60),
    start: Moment | None = SCHEDULE_FROM_QUERY,
    end: Moment | None = SCHEDULE_TO_QUERY,
    studio: int | None = Query(None, ge=1, le=2**62),
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(50, ge=1, le=200),
):
    """Scheduled classes of the organization's active studios, for a studio's own website.
    Needs no key; shows what a visitor of the class browser sees."""
    start, end = _session_window(start, end)
    sessions = api_queries.public_sessions(
        organization_slug, start=start, end=end, studio_id=studio
    )
    return page(sessions, ClassOut, order=("starts_at", "pk"), cursor=cursor, limit=limit)
