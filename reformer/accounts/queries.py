"""Reads about people and memberships, scoped to the actor's organization."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When
from django.utils import timezone

from reformer.accounts.actions import hash_token
from reformer.accounts.models import Invitation, Membership, Role, User
from reformer.core.errors import PermissionDenied
from reformer.core.permissions import (
    INVITE_STAFF,
    VIEW_CLIENTS,
    grantable_roles,
    has_capability,
    is_staff,
    reaches_every_studio,
    require,
    studio_ids_in_scope,
)
from reformer.studios.models import Organization, Studio

ROLE_ORDER = Case(
    *(When(role=role, then=Value(index)) for index, role in enumerate(Role.values)),
    output_field=IntegerField(),
)


def memberships_of(user: User) -> list[Membership]:
    """The user's active memberships with their organizations, oldest first (one query)."""
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user=user, active=True)
        .select_related("organization", "user")
        .order_by("created_at", "pk")
    )


def members_for(actor: Membership, role: str | None = None) -> QuerySet[Membership]:
    """Members of the actor's organization, staff first then by name.

    Staff see the team; listing clients needs VIEW_CLIENTS. Includes deactivated members
    (the team page shows and can reactivate them). Fixed number of queries.
    """
    if not is_staff(actor):
        raise PermissionDenied(VIEW_CLIENTS)
    members = Membership.objects.filter(organization_id=actor.organization_id)
    if role is not None:
        members = members.filter(role=role)
    if (role is None or role == Role.CLIENT) and not has_capability(actor, VIEW_CLIENTS):
        if role == Role.CLIENT:
            raise PermissionDenied(VIEW_CLIENTS)
        members = members.exclude(role=Role.CLIENT)
    return (
        members.select_related("user")
        .prefetch_related(Prefetch("studios", queryset=Studio.objects.order_by("name")))
        .annotate(role_order=ROLE_ORDER)
        .order_by("-active", "role_order", "user__name", "user__email")
    )


def invitations_for(actor: Membership) -> QuerySet[Invitation]:
    """Open invitations (pending or expired, not accepted nor withdrawn) the actor manages.

    Managers see only invitations they could have sent: roles they may grant, for studios
    within their scope.
    """
    require(actor, INVITE_STAFF)
    invitations = Invitation.objects.filter(
        organization_id=actor.organization_id,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    )
    if not reaches_every_studio(actor):
        outside = Studio.objects.filter(organization_id=actor.organization_id).exclude(
            pk__in=studio_ids_in_scope(actor)
        )
        invitations = invitations.filter(role__in=grantable_roles(actor)).exclude(
            studios__in=outside
        )
    return (
        invitations.select_related("invited_by")
        .prefetch_related(Prefetch("studios", queryset=Studio.objects.order_by("name")))
        .order_by("-created_at")
    )


def invitation_by_token(token: str) -> Invitation | None:
    """The invitation a link points to, whatever its state (the page explains it)."""
    return (
        Invitation.objects.select_related("organization", "invited_by")
        .prefetch_related("studios")
        .filter(token=hash_token(token or ""))
        .first()
    )


def pending_invitations_to(user: User) -> QuerySet[Invitation]:
    """Usable invitations addressed to the user's email (their links are in their inbox)."""
    return Invitation.objects.filter(
        email__iexact=user.email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).select_related("organization")


def public_organization(slug: str) -> tuple[Organization, list[Studio]] | None:
    """An organization's public face: itself and its active studios."""
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        return None
    studios = list(Studio.objects.filter(organization=organization, active=True).order_by("name"))
    return organization, studios


def membership_in(user: User | AnonymousUser, organization: Organization) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, organization=organization).first()
