"""What every staff view shares: fetching an object and authorizing it in one call, and
rendering a page or (for htmx) only its fragment.

Fetch helpers scope by `actor.organization_id` first, so another organization's object is
simply not found (404); then `core.permissions.require` refuses a known member without the
capability for that studio or session (403). Both raise DomainErrors that the shell's
DomainErrorMiddleware turns into the 404/403 pages (or toasts for htmx).
"""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from reformer.accounts.models import Invitation, Membership
from reformer.billing.models import PackageProduct
from reformer.core.errors import DomainError
from reformer.core.permissions import (
    MANAGE_BILLING,
    MANAGE_CLASS_TYPES,
    MANAGE_SCHEDULE,
    MANAGE_STUDIO,
    MARK_ATTENDANCE,
    VIEW_INTAKE,
    has_capability,
    require,
)
from reformer.scheduling.models import ClassSession, ClassType, RecurringTemplate
from reformer.studios.models import Closure, Room, Studio
from reformer.web.auth import get_or_404
from reformer.web.errors import is_htmx, render_domain_error
from reformer.web.http import AppRequest, MemberRequest
from reformer.web.staff.queries import roster_for


def actor_of(request: HttpRequest) -> Membership:
    # Every staff view is behind @staff_required or @capability_required, which set it.
    return cast(MemberRequest, request).membership


def is_partial(request: HttpRequest) -> bool:
    """An htmx request for a fragment (a history restore wants the whole page)."""
    return is_htmx(request) and not cast(AppRequest, request).htmx.history_restore_request


def page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """The full page, or only `partial` when htmx asks for a fragment."""
    name = partial if partial and is_partial(request) else template
    return render(request, name, context, status=status)


def refused(
    request: HttpRequest, error: DomainError, template: str, context: dict[str, Any]
) -> HttpResponse:
    """Re-render the form page with the refusal on its field (422)."""
    return render_domain_error(request, error, template=template, context=context)


def studio_for(actor: Membership, pk: object, capability: str = MANAGE_STUDIO) -> Studio:
    studio = get_or_404(Studio.objects.filter(organization_id=actor.organization_id), pk, "studio")
    require(actor, capability, studio=studio)
    return studio


def room_for(actor: Membership, pk: object) -> Room:
    room = get_or_404(
        Room.objects.filter(organization_id=actor.organization_id).select_related("studio"),
        pk,
        "room",
    )
    require(actor, MANAGE_STUDIO, studio=room.studio)
    return room


def closure_for(actor: Membership, pk: object) -> Closure:
    closure = get_or_404(
        Closure.objects.filter(organization_id=actor.organization_id).select_related("studio"),
        pk,
        "closure",
    )
    require(actor, MANAGE_STUDIO, studio=closure.studio)
    return closure


def class_type_for(actor: Membership, pk: object) -> ClassType:
    class_type = get_or_404(
        ClassType.objects.filter(organization_id=actor.organization_id), pk, "class type"
    )
    require(actor, MANAGE_CLASS_TYPES)
    return class_type


def product_for(actor: Membership, pk: object) -> PackageProduct:
    product = get_or_404(
        PackageProduct.objects.filter(organization_id=actor.organization_id), pk, "product"
    )
    require(actor, MANAGE_BILLING)
    return product


def template_for(actor: Membership, pk: object) -> RecurringTemplate:
    template = get_or_404(
        RecurringTemplate.objects.filter(organization_id=actor.organization_id).select_related(
            "studio", "room", "class_type"
        ),
        pk,
        "weekly class",
    )
    require(actor, MANAGE_SCHEDULE, studio=template.studio)
    return template


def session_for(actor: Membership, pk: object, capability: str) -> ClassSession:
    session = get_or_404(
        ClassSession.objects.filter(organization_id=actor.organization_id).select_related(
            "studio", "room", "class_type", "instructor__user"
        ),
        pk,
        "class",
    )
    require(actor, capability, session=session)
    return session


def member_for(actor: Membership, pk: object) -> Membership:
    return get_or_404(
        Membership.objects.filter(organization_id=actor.organization_id).select_related("user"),
        pk,
        "member",
    )


def invitation_for(actor: Membership, pk: object) -> Invitation:
    return get_or_404(
        Invitation.objects.filter(organization_id=actor.organization_id), pk, "invitation"
    )


def roster_permissions(actor: Membership, session) -> dict[str, bool]:
    """What a roster row shows this viewer: attendance buttons, the health-note flag."""
    return {
        "may_mark": has_capability(actor, MARK_ATTENDANCE, session=session),
        "may_view_health": has_capability(actor, VIEW_INTAKE),
    }


def roster_counts_oob(actor: Membership, session) -> str:
    """The roster's counts and its "Check in all unmarked" button, out of band. A mark
    changes both, and the mark's response (or live update) carries only the row: without
    these the page keeps its page-load counts. 2 queries (the roster's)."""
    context = {
        "counts": roster_for(actor, session).counts,
        "session": session,
        **roster_permissions(actor, session),
        "oob": True,
    }
    return "".join(
        render_to_string(f"staff/session/{name}.html", context)
        for name in ("_roster_stats", "_roster_checkin_all")
    )
