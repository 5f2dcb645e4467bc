"""Memberships and staff invitations: every change to who belongs to an organization.

Conventions (ARCHITECTURE §5.1): authorize, lock, validate, write, audit, publish after
commit; failures raise DomainError and write nothing.

Locking policy: changes that could leave an organization without an active owner
(role changes, deactivation, accepting an invitation that changes a role) lock the
organization row first, then the invitation, then the membership. Counting owners under
the organization lock makes two concurrent demotions of the last two owners impossible.

Invitation tokens are stored hashed (SHA-256): the raw token exists only in the emailed
link and on the Invitation object returned by `invite_staff` (`plain_token`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from reformer.accounts.audit_codes import (
    ACCOUNTS_INVITATION_ACCEPTED,
    ACCOUNTS_INVITATION_CREATED,
    ACCOUNTS_INVITATION_REVOKED,
    ACCOUNTS_MEMBERSHIP_DEACTIVATED,
    ACCOUNTS_MEMBERSHIP_JOINED,
    ACCOUNTS_MEMBERSHIP_REACTIVATED,
    ACCOUNTS_MEMBERSHIP_ROLE_CHANGED,
)
from reformer.accounts.errors import (
    INVITATION_ALREADY_STAFF,
    INVITATION_EXPIRED,
    INVITATION_REVOKED,
    INVITATION_USED,
    INVITATION_WRONG_EMAIL,
    MEMBERSHIP_ALREADY_STAFF,
    MEMBERSHIP_INACTIVE,
    MEMBERSHIP_LAST_OWNER,
)
from reformer.accounts.models import ClientProfile, Invitation, Membership, Role, User
from reformer.core import audit, live, timeformat
from reformer.core.errors import VALIDATION, DomainError, NotFound, PermissionDenied
from reformer.core.permissions import (
    INVITE_STAFF,
    MANAGE_STAFF,
    STAFF_ROLES,
    STUDIO_SCOPED_ROLES,
    grantable_roles,
    is_client,
    reaches_studios,
    require,
    require_same_organization,
    why_not_manage_member,
)
from reformer.studios.models import Organization, Studio

logger = logging.getLogger(__name__)

# Roles whose access is limited to the studios on the membership: they need at least one.
MAX_INVITATION_DAYS = 30


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def site_url(path: str) -> str:
    """An absolute link for emails (no request at hand in actions and jobs)."""
    base = getattr(settings, "SITE_URL", "http://localhost:8000").rstrip("/")
    return f"{base}{path}"


# --- Clients joining -----------------------------------------------------------------------


def join_organization(user: User, organization: Organization) -> Membership:
    """Make `user` a client of `organization` (from its public page). Idempotent.

    Staff of the organization are refused (they already belong, with another role), and so
    is a client whose membership the studio deactivated.
    """
    with transaction.atomic(durable=True):
        membership, created = Membership.objects.get_or_create(
            user=user, organization=organization, defaults={"role": Role.CLIENT}
        )
        if not created:
            if not is_client(membership):
                raise DomainError(
                    MEMBERSHIP_ALREADY_STAFF,
                    f"You are on the staff of {organization.name}, so you cannot also join "
                    "as a client.",
                )
            if not membership.active:
                raise DomainError(
                    MEMBERSHIP_INACTIVE,
                    f"Your membership at {organization.name} is inactive. Please contact "
                    "the studio.",
                )
        ClientProfile.objects.get_or_create(membership=membership, organization=organization)
        if created:
            audit.record(user, ACCOUNTS_MEMBERSHIP_JOINED, membership, role=Role.CLIENT)
            _publish_membership_change(membership, "created")
    return membership


# --- Staff invitations ---------------------------------------------------------------------


def invite_staff(
    actor: Membership,
    *,
    email: str,
    role: str,
    studios: Iterable[Studio] = (),
    expires_in_days: int = 7,
) -> Invitation:
    """Invite a person by email to join the staff; emails them a single-use link.

    Owners invite any staff role; managers invite front desk and instructors for their own
    studios. A newer invitation to the same address replaces the pending one.
    """
    require(actor, INVITE_STAFF)
    email = _clean_email(email)
    if role not in STAFF_ROLES:
        raise DomainError(VALIDATION, "Choose a staff role.", field="role")
    studio_list = _studios_for_role(actor, role, studios)
    _check_may_grant(actor, role, studio_list, INVITE_STAFF)
    if not 1 <= expires_in_days <= MAX_INVITATION_DAYS:
        raise DomainError(
            VALIDATION,
            f"An invitation lasts between 1 and {MAX_INVITATION_DAYS} days.",
            field="expires_in_days",
        )
    with transaction.atomic(durable=True):
        if Membership.objects.filter(
            organization_id=actor.organization_id,
            user__email__iexact=email,
            role__in=STAFF_ROLES,
            active=True,
        ).exists():
            raise DomainError(
                INVITATION_ALREADY_STAFF,
                f"{email} is already on the staff. Change their role on the team page instead.",
                field="email",
            )
        now = timezone.now()
        superseded = Invitation.objects.select_for_update().filter(
            organization_id=actor.organization_id,
            email__iexact=email,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
        )
        superseded_ids = list(superseded.values_list("pk", flat=True))
        if superseded_ids:
            Invitation.objects.filter(pk__in=superseded_ids).update(revoked_at=now)
        token = secrets.token_urlsafe(32)
        invitation = Invitation.objects.create(
            organization_id=actor.organization_id,
            email=email,
            role=role,
            token=hash_token(token),
            invited_by=actor.user,
            expires_at=now + dt.timedelta(days=expires_in_days),
        )
        invitation.studios.set(studio_list)
        audit.record(
            actor,
            ACCOUNTS_INVITATION_CREATED,
            invitation,
            email=email,
            role=role,
            studios=[studio.pk for studio in studio_list],
            superseded=superseded_ids,
        )
        _email_invitation_on_commit(invitation, token, inviter=actor.user)
    invitation.plain_token = token
    return invitation


def accept_invitation(user: User, token: str) -> Membership:
    """Accept a staff invitation as the signed-in `user` (whose email must match).

    Creates the membership, or changes the role and studios of an existing one (a client
    becoming an instructor, a deactivated member being re-hired). Single use.
    """
    found = Invitation.objects.filter(token=hash_token(token or "")).first()
    if found is None:
        raise NotFound("invitation")
    with transaction.atomic(durable=True):
        organization = Organization.objects.select_for_update().get(pk=found.organization_id)
        invitation = Invitation.objects.select_for_update().get(pk=found.pk)
        check_invitation_usable(invitation)
        if invitation.email.lower() != user.email.lower():
            raise DomainError(
                INVITATION_WRONG_EMAIL,
                f"This invitation was sent to {invitation.email}, but you are signed in as "
                f"{user.email}. Sign out, then sign in or sign up with {invitation.email}.",
            )
        membership = (
            Membership.objects.select_for_update()
            .filter(user=user, organization=organization)
            .first()
        )
        previous_role = membership.role if membership else None
        if membership is None:
            membership = Membership.objects.create(
                user=user, organization=organization, role=invitation.role
            )
        else:
            if (
                membership.role == Role.OWNER
                and membership.active
                and invitation.role != Role.OWNER
            ):
                _ensure_another_active_owner(organization.pk, excluding=membership.pk)
            membership.role = invitation.role
            membership.active = True
            membership.save(update_fields=["role", "active"])
        studio_ids = (
            list(invitation.studios.values_list("pk", flat=True))
            if invitation.role in STUDIO_SCOPED_ROLES
            else []
        )
        membership.studios.set(studio_ids)
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        audit.record(
            user,
            ACCOUNTS_INVITATION_ACCEPTED,
            invitation,
            membership=membership.pk,
            role=invitation.role,
            previous_role=previous_role,
            studios=studio_ids,
        )
        _mark_email_verified(user, invitation.email)
        _publish_membership_change(membership, "updated" if previous_role else "created")
    return membership


def check_invitation_usable(invitation: Invitation) -> None:
    """Raise the user-facing reason an invitation cannot be accepted, if any."""
    name = invitation.organization.name
    if invitation.revoked_at is not None:
        raise DomainError(
            INVITATION_REVOKED,
            f"This invitation was withdrawn. Ask {name} to send you a new one.",
        )
    if invitation.accepted_at is not None:
        raise DomainError(
            INVITATION_USED,
            "This invitation has already been used. Sign in to reach your studio.",
        )
    if invitation.expires_at <= timezone.now():
        raise DomainError(
            INVITATION_EXPIRED,
            f"This invitation has expired. Ask {name} to send you a new one.",
        )


def revoke_invitation(actor: Membership, invitation: Invitation) -> Invitation:
    """Withdraw a pending invitation. Idempotent; an accepted one cannot be withdrawn."""
    require(actor, INVITE_STAFF)
    require_same_organization(actor, invitation, "invitation")
    with transaction.atomic(durable=True):
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        _check_may_grant(actor, invitation.role, list(invitation.studios.all()), INVITE_STAFF)
        if invitation.accepted_at is not None:
            raise DomainError(
                INVITATION_USED,
                "This invitation was already accepted. Deactivate the member instead.",
            )
        if invitation.revoked_at is None:
            invitation.revoked_at = timezone.now()
            invitation.save(update_fields=["revoked_at"])
            audit.record(actor, ACCOUNTS_INVITATION_REVOKED, invitation, email=invitation.email)
    return invitation


# --- Roles and deactivation ------------------------------------------------------------------


def change_role(
    actor: Membership, membership: Membership, *, role: str, studios: Iterable[Studio] = ()
) -> Membership:
    """Change a member's role and studio scope. An organization keeps an active owner."""
    require(actor, MANAGE_STAFF)
    require_same_organization(actor, membership, "member")
    if role not in Role.values:
        raise DomainError(VALIDATION, "Choose a role.", field="role")
    studio_list = _studios_for_role(actor, role, studios)
    # Not durable: the instructor edit saves details and studios in one transaction with it.
    with transaction.atomic():
        _lock_organization(actor.organization_id)
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        current_studios = list(membership.studios.all())
        _check_may_manage(actor, membership)
        _check_may_grant(actor, role, studio_list, MANAGE_STAFF)
        if membership.role == Role.OWNER and role != Role.OWNER and membership.active:
            _ensure_another_active_owner(actor.organization_id, excluding=membership.pk)
        previous_role = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        membership.studios.set(studio_list)
        if role == Role.CLIENT:
            ClientProfile.objects.get_or_create(
                membership=membership, organization_id=membership.organization_id
            )
        audit.record(
            actor,
            ACCOUNTS_MEMBERSHIP_ROLE_CHANGED,
            membership,
            previous_role=previous_role,
            role=role,
            previous_studios=[studio.pk for studio in current_studios],
            studios=[studio.pk for studio in studio_list],
        )
        _publish_membership_change(membership, "updated")
    return membership


def deactivate_member(actor: Membership, membership: Membership) -> Membership:
    """Remove a member's access (kept for history). Idempotent; never the last owner."""
    return _set_active(actor, membership, active=False)


def reactivate_member(actor: Membership, membership: Membership) -> Membership:
    """Give a deactivated member their access back. Idempotent."""
    return _set_active(actor, membership, active=True)


def _set_active(actor: Membership, membership: Membership, *, active: bool) -> Membership:
    require(actor, MANAGE_STAFF)
    require_same_organization(actor, membership, "member")
    with transaction.atomic(durable=True):
        _lock_organization(actor.organization_id)
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        _check_may_manage(actor, membership)
        if membership.active == active:
            return membership
        if not active and membership.role == Role.OWNER:
            _ensure_another_active_owner(actor.organization_id, excluding=membership.pk)
        membership.active = active
        membership.save(update_fields=["active"])
        verb = "reactivated" if active else "deactivated"
        code = ACCOUNTS_MEMBERSHIP_REACTIVATED if active else ACCOUNTS_MEMBERSHIP_DEACTIVATED
        audit.record(actor, code, membership, role=membership.role)
        _publish_membership_change(membership, verb)
    return membership


# --- Helpers -------------------------------------------------------------------------------


def _denied(capability: str, message: str) -> PermissionDenied:
    error = PermissionDenied(capability)
    error.message = message
    error.args = (message,)
    return error


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(VALIDATION, "Enter a valid email address.", field="email") from None
    return email


def _studios_for_role(actor: Membership, role: str, studios: Iterable[Studio]) -> list[Studio]:
    """The studios a role is scoped to: required for scoped roles, none for the others."""
    studio_list = list(dict.fromkeys(studios))
    for studio in studio_list:
        require_same_organization(actor, studio, "studio")
    if role not in STUDIO_SCOPED_ROLES:
        return []
    if not studio_list:
        raise DomainError(VALIDATION, "Choose at least one studio for this role.", field="studios")
    return studio_list


def _check_may_grant(actor: Membership, role: str, studios: list[Studio], capability: str) -> None:
    """Managers hand out only front desk, instructor and client, within their studios."""
    if role not in grantable_roles(actor):
        raise _denied(capability, "Only an owner can give or change the owner and manager roles.")
    if not reaches_studios(actor, {studio.pk for studio in studios}):
        raise _denied(capability, "You can only manage staff of your own studios.")


def _check_may_manage(actor: Membership, member: Membership) -> None:
    """The member as they are now: core.permissions decides, and says why not."""
    if (reason := why_not_manage_member(actor, member)) is not None:
        raise _denied(MANAGE_STAFF, reason)


def _lock_organization(organization_id: int) -> Organization:
    return Organization.objects.select_for_update().get(pk=organization_id)


def _ensure_another_active_owner(organization_id: int, *, excluding: int) -> None:
    others = Membership.objects.filter(
        organization_id=organization_id, role=Role.OWNER, active=True
    ).exclude(pk=excluding)
    if not others.exists():
        raise DomainError(
            MEMBERSHIP_LAST_OWNER,
            "An organization needs at least one active owner. Make someone else an owner first.",
        )


def _mark_email_verified(user: User, email: str) -> None:
    """The invitation link reached this address, which proves the person controls it."""
    from allauth.account.models import EmailAddress

    EmailAddress.objects.filter(user=user, email__iexact=email).update(verified=True)


def email_is_taken(email: str, *, other_than: User | None = None) -> bool:
    """An address belongs to an account when it is that account's own address, or an extra
    address its owner verified. Unverified extras (claims nobody proved) do not count."""
    from allauth.account.models import EmailAddress

    email = (email or "").strip()
    users = User.objects.filter(email__iexact=email)
    verified = EmailAddress.objects.filter(email__iexact=email, verified=True)
    if other_than is not None:
        users = users.exclude(pk=other_than.pk)
        verified = verified.exclude(user=other_than)
    return users.exists() or verified.exists()


def release_unverified_claims(email: str) -> int:
    """Drop unverified extra addresses other accounts attached for `email`: its real owner is
    signing up with it. Returns how many were dropped."""
    from allauth.account.models import EmailAddress

    claims = EmailAddress.objects.filter(email__iexact=(email or "").strip(), verified=False)
    with transaction.atomic():
        deleted, _ = claims.exclude(user__email__iexact=F("email")).delete()
    return deleted


def _publish_membership_change(membership: Membership, op: str) -> None:
    live.publish_after_commit(
        [
            live.organization_metrics(membership.organization_id),
            live.user_channel(membership.user_id),
        ],
        "membership",
        op,
        [membership.pk],
    )


def _email_invitation_on_commit(invitation: Invitation, token: str, *, inviter: User) -> None:
    context = {
        "invitation": invitation,
        "organization_name": Organization.objects.values_list("name", flat=True).get(
            pk=invitation.organization_id
        ),
        "role": invitation.get_role_display(),
        "inviter": inviter.display_name,
        "accept_url": site_url(reverse("invitation_accept", args=[token])),
        "expires_at": invitation.expires_at,
    }
    # Written as the inviting organization writes times, whoever (API key, job) invites.
    with timeformat.activate(timeformat.locale_of_id(invitation.organization_id)):
        subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
        body = render_to_string("accounts/email/invitation_body.txt", context)

    def send() -> None:
        send_mail(subject, body, None, [invitation.email])

    # robust: a mail server failure must not turn the committed invitation into an error page.
    transaction.on_commit(send, robust=True)
