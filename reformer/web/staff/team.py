"""The team: staff members with their roles and studios, invitations by email (pending ones
can be revoked), role changes, deactivation and reactivation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from reformer.accounts import actions
from reformer.accounts.models import Role
from reformer.accounts.queries import invitations_for, members_for
from reformer.core.errors import AccessError, DomainError
from reformer.core.permissions import (
    INVITE_STAFF,
    MANAGE_STAFF,
    grantable_roles,
    may_manage_time_off_of,
    reaches_studios,
    studio_ids_in_scope,
)
from reformer.studios.models import Studio
from reformer.web.auth import capability_required
from reformer.web.staff.common import actor_of, invitation_for, member_for, refused
from reformer.web.staff.forms import STAFF_ROLE_CHOICES, InviteForm, RoleForm

TEAM_TEMPLATE = "staff/team.html"


def _grantable(actor, choices) -> list[tuple[str, str]]:
    allowed = grantable_roles(actor)
    return [(value, label) for value, label in choices if value in allowed]


def _studios(actor):
    return Studio.objects.filter(
        organization_id=actor.organization_id, pk__in=studio_ids_in_scope(actor)
    ).order_by("name")


def _context(actor, *, invite_form=None, role_forms=None) -> dict:
    # Memberships, each given the template-only .role_form, .may_manage and .may_time_off.
    members: list[Any] = list(members_for(actor).exclude(role=Role.CLIENT))
    studios = _studios(actor)
    role_choices = _grantable(actor, [c for c in Role.choices])
    role_forms = role_forms or {}
    for member in members:
        member.role_form = role_forms.get(member.pk) or RoleForm(
            initial={"role": member.role, "studios": list(member.studios.all())},
            studios=studios,
            roles=role_choices,
            prefix=f"m{member.pk}",
        )
        member.may_manage = member.role in grantable_roles(actor) and reaches_studios(
            actor, {s.pk for s in member.studios.all()}
        )
        member.may_time_off = may_manage_time_off_of(
            actor, member, instructor_studio_ids={s.pk for s in member.studios.all()}
        )
    return {
        "members": members,
        "invitations": list(invitations_for(actor)),
        "invite_form": invite_form or _blank_invite_form(actor, studios),
        "actor": actor,
    }


def _blank_invite_form(actor, studios) -> InviteForm:
    """Defaults to the least risky choice: an instructor (not the first role in the list,
    which is Owner), at the studio when there is only one, so the first submit works."""
    roles = _grantable(actor, STAFF_ROLE_CHOICES)
    values = [value for value, _label in roles]
    initial: dict[str, Any] = {}
    if values:
        initial["role"] = Role.INSTRUCTOR if Role.INSTRUCTOR in values else values[-1]
    only = list(studios[:2])
    if len(only) == 1:
        initial["studios"] = only
    return InviteForm(studios=studios, roles=roles, initial=initial)


@capability_required(MANAGE_STAFF)
def team(request: HttpRequest) -> HttpResponse:
    return render(request, TEAM_TEMPLATE, _context(actor_of(request)))


@require_POST
@capability_required(INVITE_STAFF)
def invite(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = InviteForm(
        request.POST, studios=_studios(actor), roles=_grantable(actor, STAFF_ROLE_CHOICES)
    )
    context = _context(actor, invite_form=form)
    if not form.is_valid():
        return render(request, TEAM_TEMPLATE, context, status=422)
    try:
        invitation = actions.invite_staff(actor, **form.cleaned_data)
    except DomainError as error:
        return refused(request, error, TEAM_TEMPLATE, {**context, "form": form})
    messages.success(request, f"Invitation sent to {invitation.email}.")
    return redirect("staff:team")


@require_POST
@capability_required(INVITE_STAFF)
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    invitation = invitation_for(actor, pk)
    try:
        actions.revoke_invitation(actor, invitation)
    except AccessError:
        raise
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Invitation to {invitation.email} withdrawn.")
    return redirect("staff:team")


@require_POST
@capability_required(MANAGE_STAFF)
def member_role(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    member = member_for(actor, pk)
    form = RoleForm(
        request.POST,
        studios=_studios(actor),
        roles=_grantable(actor, Role.choices),
        prefix=f"m{member.pk}",
    )
    context = _context(actor, role_forms={member.pk: form})
    if not form.is_valid():
        return render(request, TEAM_TEMPLATE, context, status=422)
    try:
        actions.change_role(actor, member, **form.cleaned_data)
    except AccessError:
        raise
    except DomainError as error:
        return refused(request, error, TEAM_TEMPLATE, {**context, "form": form})
    messages.success(request, f"{member.name} is now {Role(form.cleaned_data['role']).label}.")
    return redirect("staff:team")


@require_POST
@capability_required(MANAGE_STAFF)
def member_active(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    member = member_for(actor, pk)
    active = request.POST.get("active") == "1"
    change = actions.reactivate_member if active else actions.deactivate_member
    try:
        change(actor, member)
    except AccessError:
        raise
    except DomainError as error:
        messages.error(request, error.message)
    else:
        verb = "reactivated" if active else "deactivated"
        messages.success(request, f"{member.name} {verb}.")
    return redirect("staff:team")
