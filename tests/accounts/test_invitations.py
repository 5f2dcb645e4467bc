"""Staff invitations: invite, accept (single use, expiry, email match), revoke."""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone

from reformer.accounts import actions
from reformer.accounts.models import ClientProfile, Invitation, Membership
from reformer.core.errors import DomainError, NotFound, PermissionDenied
from reformer.core.models import AuditEvent
from tests import factories


def invite(actor, email="new.instructor@example.com", role="instructor", studios=None, **kw):
    if studios is None:
        studios = [actor.organization.studios.order_by("pk").first()]
    return actions.invite_staff(actor, email=email, role=role, studios=studios, **kw)


# --- invite_staff ---------------------------------------------------------------------------


def test_it_lets_an_owner_invite_and_emails_the_link_after_commit(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(
            world.a.owner,
            email="  New.Person@Example.com ",
            role="manager",
            studios=[world.a.studio, world.a.other_studio],
        )

    assert invitation.email == "new.person@example.com"
    assert invitation.role == "manager"
    assert set(invitation.studios.all()) == {world.a.studio, world.a.other_studio}
    assert invitation.token != invitation.plain_token  # stored hashed
    assert invitation.token == actions.hash_token(invitation.plain_token)
    assert invitation.expires_at > timezone.now() + dt.timedelta(days=6)
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["new.person@example.com"]
    assert "Alpha" in mail.subject
    assert f"/invitations/{invitation.plain_token}/" in mail.body
    assert AuditEvent.objects.filter(
        code="accounts.invitation.created", subject_id=invitation.pk
    ).exists()


def test_it_sends_nothing_when_the_transaction_rolls_back(world, mailoutbox):
    invite(world.a.owner)  # plain django_db test: never commits, so no callback runs
    assert mailoutbox == []


def test_it_lets_a_manager_invite_front_desk_and_instructors_for_their_studios(world):
    invitation = invite(world.a.manager, role="front_desk", studios=[world.a.studio])
    assert invitation.role == "front_desk"


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_it_refuses_a_manager_handing_out_owner_or_manager(world, role):
    with pytest.raises(PermissionDenied) as caught:
        invite(world.a.manager, role=role, studios=[world.a.studio])
    assert "Only an owner" in caught.value.message
    assert not Invitation.objects.exists()


def test_it_refuses_a_manager_inviting_for_a_studio_outside_their_scope(world):
    with pytest.raises(PermissionDenied):
        invite(world.a.manager, studios=[world.a.other_studio])


@pytest.mark.parametrize("role", ["front_desk", "instructor", "client"])
def test_it_refuses_roles_without_the_invite_capability(world, role):
    with pytest.raises(PermissionDenied):
        invite(world.a.members[role])


def test_it_treats_another_organizations_studio_as_not_found(world):
    with pytest.raises(NotFound):
        invite(world.a.owner, studios=[world.b.studio])


def test_it_requires_a_studio_for_scoped_roles(world):
    with pytest.raises(DomainError) as caught:
        invite(world.a.owner, role="instructor", studios=[])
    assert caught.value.data["field"] == "studios"


def test_it_ignores_studios_for_an_owner_invitation(world):
    invitation = invite(world.a.owner, role="owner", studios=[world.a.studio])
    assert list(invitation.studios.all()) == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"role": "client"}, "role"),
        ({"role": "wizard"}, "role"),
        ({"expires_in_days": 0}, "expires_in_days"),
        ({"expires_in_days": 31}, "expires_in_days"),
    ],
)
def test_it_validates_the_input(world, kwargs, field):
    with pytest.raises(DomainError) as caught:
        invite(world.a.owner, **kwargs)
    assert caught.value.code == "validation"
    assert caught.value.data["field"] == field


def test_it_refuses_inviting_someone_already_on_the_staff(world):
    with pytest.raises(DomainError) as caught:
        invite(world.a.owner, email="INSTRUCTOR@alpha.example.com")
    assert caught.value.code == "invitation.already_staff"


def test_it_replaces_a_pending_invitation_to_the_same_address(world):
    first = invite(world.a.owner)
    second = invite(world.a.owner, email=first.email.upper())
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert second.is_usable()


# --- accept_invitation ----------------------------------------------------------------------


def test_it_makes_the_invited_user_a_staff_member_with_the_studios(world):
    invitation = invite(world.a.owner, email="Newbie@Example.com", role="instructor")
    user = factories.UserFactory(email="newbie@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)

    membership = actions.accept_invitation(user, invitation.plain_token)

    assert membership.organization == world.a.organization
    assert membership.role == "instructor"
    assert list(membership.studios.all()) == [world.a.studio]
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    assert invitation.accepted_at is not None
    assert EmailAddress.objects.get(user=user).verified
    assert AuditEvent.objects.filter(code="accounts.invitation.accepted").exists()


def test_it_accepts_an_invitation_only_once(world):
    invitation = invite(world.a.owner)
    user = factories.UserFactory(email=invitation.email)
    actions.accept_invitation(user, invitation.plain_token)
    with pytest.raises(DomainError) as caught:
        actions.accept_invitation(user, invitation.plain_token)
    assert caught.value.code == "invitation.used"


def test_it_refuses_an_expired_invitation(world, time_machine):
    invitation = invite(world.a.owner, expires_in_days=2)
    user = factories.UserFactory(email=invitation.email)
    time_machine.move_to(timezone.now() + dt.timedelta(days=2, minutes=1))
    with pytest.raises(DomainError) as caught:
        actions.accept_invitation(user, invitation.plain_token)
    assert caught.value.code == "invitation.expired"
    assert "expired" in caught.value.message
    assert not Membership.objects.filter(user=user).exists()


def test_it_refuses_a_revoked_invitation(world):
    invitation = invite(world.a.owner)
    actions.revoke_invitation(world.a.owner, invitation)
    user = factories.UserFactory(email=invitation.email)
    with pytest.raises(DomainError) as caught:
        actions.accept_invitation(user, invitation.plain_token)
    assert caught.value.code == "invitation.revoked"


def test_it_refuses_a_user_whose_email_does_not_match(world):
    invitation = invite(world.a.owner)
    with pytest.raises(DomainError) as caught:
        actions.accept_invitation(world.outsider, invitation.plain_token)
    assert caught.value.code == "invitation.wrong_email"
    assert invitation.email in caught.value.message
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_it_treats_an_unknown_token_as_not_found(world):
    with pytest.raises(NotFound):
        actions.accept_invitation(world.outsider, "no-such-token")
    with pytest.raises(NotFound):
        actions.accept_invitation(world.outsider, "")


def test_it_upgrades_a_client_and_keeps_their_client_profile(world):
    client = world.a.client
    invitation = invite(world.a.owner, email=client.user.email, role="front_desk")

    membership = actions.accept_invitation(client.user, invitation.plain_token)

    assert membership.pk == client.pk
    assert membership.role == "front_desk"
    assert list(membership.studios.all()) == [world.a.studio]
    assert ClientProfile.objects.filter(membership=client).exists()


def test_it_updates_the_role_and_studios_of_existing_staff(world):
    instructor = world.a.instructor
    invitation = invite(world.a.owner, role="manager", studios=[world.a.other_studio])
    # invite_staff refuses active staff; an invitation sent before they joined still works.
    Invitation.objects.filter(pk=invitation.pk).update(email=instructor.user.email)

    membership = actions.accept_invitation(instructor.user, invitation.plain_token)

    assert membership.pk == instructor.pk
    assert membership.role == "manager"
    assert list(membership.studios.all()) == [world.a.other_studio]


def test_it_reactivates_a_deactivated_member_who_accepts(world):
    instructor = world.a.instructor
    actions.deactivate_member(world.a.owner, instructor)
    invitation = invite(world.a.owner, email=instructor.user.email)

    membership = actions.accept_invitation(instructor.user, invitation.plain_token)

    assert membership.active


def test_it_keeps_the_last_owner_when_they_accept_a_lesser_role(world):
    owner = world.a.owner
    invitation = invite(world.a.manager)  # an instructor invitation, then (as if) to the owner
    Invitation.objects.filter(pk=invitation.pk).update(email=owner.user.email)
    with pytest.raises(DomainError) as caught:
        actions.accept_invitation(owner.user, invitation.plain_token)
    assert caught.value.code == "membership.last_owner"
    owner.refresh_from_db()
    assert owner.role == "owner"


# --- revoke_invitation ----------------------------------------------------------------------


def test_it_revokes_an_invitation_once(world):
    invitation = invite(world.a.owner)
    actions.revoke_invitation(world.a.owner, invitation)
    first = Invitation.objects.get(pk=invitation.pk).revoked_at
    actions.revoke_invitation(world.a.owner, invitation)
    assert Invitation.objects.get(pk=invitation.pk).revoked_at == first
    assert AuditEvent.objects.filter(code="accounts.invitation.revoked").count() == 1


def test_it_refuses_revoking_an_accepted_invitation(world):
    invitation = invite(world.a.owner)
    actions.accept_invitation(factories.UserFactory(email=invitation.email), invitation.plain_token)
    with pytest.raises(DomainError) as caught:
        actions.revoke_invitation(world.a.owner, invitation)
    assert caught.value.code == "invitation.used"


def test_it_refuses_a_manager_revoking_a_manager_invitation(world):
    invitation = invite(world.a.owner, role="manager")
    with pytest.raises(PermissionDenied):
        actions.revoke_invitation(world.a.manager, invitation)


def test_it_hides_another_organizations_invitation(world):
    invitation = invite(world.a.owner)
    with pytest.raises(NotFound):
        actions.revoke_invitation(world.b.owner, invitation)
