"""The team page: invitations, revoking, role changes, deactivation."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from reformer.accounts.actions import invite_staff
from reformer.accounts.models import Invitation, Membership
from tests import factories

pytestmark = pytest.mark.django_db


def test_it_lists_staff_but_not_clients(world, login_as):
    page = login_as(world.a.owner).get(reverse("staff:team")).content.decode()
    assert "alpha instructor" in page
    assert "alpha client" not in page
    assert "beta owner" not in page


def test_it_invites_an_instructor_for_a_studio(world, login_as, django_capture_on_commit_callbacks):
    client = login_as(world.a.manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("staff:invite"),
            {"email": "New@Example.com", "role": "instructor", "studios": [world.a.studio.pk]},
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="new@example.com")
    assert invitation.role == "instructor"
    assert list(invitation.studios.all()) == [world.a.studio]
    assert mail.outbox and mail.outbox[0].to == ["new@example.com"]
    page = client.get(reverse("staff:team")).content.decode()
    assert "new@example.com" in page


def test_it_refuses_an_instructor_invitation_without_a_studio(world, login_as):
    response = login_as(world.a.owner).post(
        reverse("staff:invite"), {"email": "x@example.com", "role": "instructor"}
    )
    assert response.status_code == 422
    assert "Choose at least one studio" in response.content.decode()
    assert not Invitation.objects.exists()


def test_the_invite_form_defaults_to_an_instructor_at_the_only_studio(login_as, db):
    # It defaulted to Owner, with no studio ticked: the riskiest role, and a first submit
    # that failed "Choose at least one studio".
    org = factories.OrganizationFactory()
    owner = factories.MembershipFactory(organization=org, role="owner")
    studio = factories.StudioFactory(organization=org)
    client = login_as(owner)
    form = client.get(reverse("staff:team")).context["invite_form"]
    assert re.search(r'<option value="instructor"[^>]*selected', str(form["role"]))
    assert re.search(rf'value="{studio.pk}"[^>]*checked', str(form["studios"]))
    data = {"email": "new@example.com", "role": form["role"].value()}
    data["studios"] = [getattr(s, "pk", s) for s in form["studios"].value()]
    assert client.post(reverse("staff:invite"), data).status_code == 302
    invitation = Invitation.objects.get(email="new@example.com")
    assert (invitation.role, list(invitation.studios.all())) == ("instructor", [studio])


def test_the_invite_form_ticks_no_studio_when_there_are_several(world, login_as):
    form = login_as(world.a.owner).get(reverse("staff:team")).context["invite_form"]
    assert form["role"].value() == "instructor"
    assert not form["studios"].value()


def test_it_offers_managers_only_the_roles_they_may_grant(world, login_as):
    response = login_as(world.a.manager).get(reverse("staff:team"))
    choices = [value for value, _ in response.context["invite_form"].fields["role"].choices]
    assert choices == ["front_desk", "instructor"]
    response = login_as(world.a.manager).post(
        reverse("staff:invite"),
        {"email": "boss@example.com", "role": "owner"},
    )
    assert response.status_code == 422
    assert not Invitation.objects.exists()


def test_it_revokes_a_pending_invitation(world, login_as):
    invitation = invite_staff(
        world.a.owner, email="later@example.com", role="front_desk", studios=[world.a.studio]
    )
    client = login_as(world.a.owner)
    client.post(reverse("staff:invitation_revoke", args=[invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert client.get(reverse("staff:team")).context["invitations"] == []


def test_it_hides_another_organizations_invitation(world, login_as):
    invitation = invite_staff(
        world.b.owner, email="b@example.com", role="front_desk", studios=[world.b.studio]
    )
    response = login_as(world.a.owner).post(
        reverse("staff:invitation_revoke", args=[invitation.pk])
    )
    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_it_changes_a_role_and_its_studios(world, login_as):
    member = world.a.instructor
    prefix = f"m{member.pk}"
    response = login_as(world.a.owner).post(
        reverse("staff:member_role", args=[member.pk]),
        {f"{prefix}-role": "front_desk", f"{prefix}-studios": [world.a.other_studio.pk]},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.role == "front_desk"
    assert list(member.studios.all()) == [world.a.other_studio]


def test_it_refuses_demoting_the_last_owner(world, login_as):
    owner = world.a.owner
    second_owner_client = login_as(world.a.owner)
    prefix = f"m{owner.pk}"
    response = second_owner_client.post(
        reverse("staff:member_role", args=[owner.pk]), {f"{prefix}-role": "client"}
    )
    assert response.status_code == 422
    assert "at least one active owner" in response.content.decode()
    owner.refresh_from_db()
    assert owner.role == "owner"


def test_it_refuses_a_manager_changing_an_owner(world, login_as):
    prefix = f"m{world.a.owner.pk}"
    response = login_as(world.a.manager).post(
        reverse("staff:member_role", args=[world.a.owner.pk]), {f"{prefix}-role": "client"}
    )
    assert response.status_code == 403
    world.a.owner.refresh_from_db()
    assert world.a.owner.role == "owner"


def test_it_deactivates_and_reactivates_a_member(world, login_as):
    client = login_as(world.a.owner)
    member = world.a.front_desk
    client.post(reverse("staff:member_active", args=[member.pk]), {"active": "0"})
    member.refresh_from_db()
    assert not member.active
    client.post(reverse("staff:member_active", args=[member.pk]), {"active": "1"})
    member.refresh_from_db()
    assert member.active


def test_it_hides_another_organizations_member(world, login_as):
    response = login_as(world.a.owner).post(
        reverse("staff:member_active", args=[world.b.front_desk.pk]), {"active": "0"}
    )
    assert response.status_code == 404
    assert Membership.objects.get(pk=world.b.front_desk.pk).active
