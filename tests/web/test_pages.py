"""The front door, the public organization page, invitations and creating an organization."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reformer.accounts import actions
from reformer.accounts.models import Invitation, Membership
from reformer.studios.models import Organization
from reformer.web.middleware import SESSION_KEY
from tests import factories

# --- home -----------------------------------------------------------------------------------


def test_it_shows_visitors_the_landing_page(db, client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("account_login") in html
    assert reverse("account_signup") in html
    assert '<main id="main"' in html
    assert 'href="#main"' in html  # skip link


def test_it_sends_a_user_without_organization_to_start(world, client):
    client.force_login(world.outsider)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("start")


def test_it_sends_a_client_to_the_class_browser(world, client):
    client.force_login(world.a.client.user)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("client:browse")


@pytest.mark.parametrize(
    ("role", "target"),
    [
        ("owner", "owner:dashboard"),
        ("manager", "owner:dashboard"),
        ("front_desk", "staff:dashboard"),
        ("instructor", "staff:dashboard"),
    ],
)
def test_it_sends_staff_to_their_landing_page(world, client, role, target):
    client.force_login(world.a.members[role].user)
    response = client.get("/")
    assert response["Location"] == reverse(target)


def test_it_uses_the_organization_brand_colour(world, client):
    world.a.organization.brand_colour = "#ffd700"  # light: needs dark text and darker ink
    world.a.organization.save()
    client.force_login(world.a.owner.user)
    html = client.get("/o/alpha/").content.decode()
    assert "--brand: #ffd700" in html
    assert "--on-brand: #111111" in html


def test_it_serves_the_error_pages_in_the_layout(db, client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


# --- public organization page and joining ----------------------------------------------------


def test_it_shows_the_public_page_to_visitors_with_sign_up(world, client):
    world.a.organization.public_description = "Reformer classes by the sea."
    world.a.organization.save()
    response = client.get("/o/alpha/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Reformer classes by the sea." in html
    assert "alpha Main" in html and "alpha Annex" in html
    assert "1 Main Street" in html
    assert f"{reverse('account_signup')}?next=/o/alpha/" in html


def test_it_hides_inactive_studios_from_the_public_page(world, client):
    world.a.other_studio.active = False
    world.a.other_studio.save()
    assert "alpha Annex" not in client.get("/o/alpha/").content.decode()


def test_it_answers_404_for_an_unknown_organization(db, client):
    assert client.get("/o/nobody/").status_code == 404


def test_it_offers_a_signed_in_non_member_the_join_button(world, client):
    client.force_login(world.outsider)
    html = client.get("/o/alpha/").content.decode()
    assert reverse("organization_join", args=["alpha"]) in html


def test_it_joins_and_switches_to_the_organization(world, client):
    client.force_login(world.a.client.user)
    response = client.post(reverse("organization_join", args=["beta"]))
    assert response.status_code == 302
    membership = Membership.objects.get(user=world.a.client.user, organization=world.b.organization)
    assert membership.role == "client"
    assert client.session[SESSION_KEY] == membership.pk


def test_it_sends_a_visitor_who_wants_to_join_to_sign_in(world, client):
    response = client.post(reverse("organization_join", args=["alpha"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "next=/o/alpha/" in response["Location"]


def test_it_explains_why_staff_cannot_join_as_clients(world, client):
    client.force_login(world.a.instructor.user)
    response = client.post(reverse("organization_join", args=["alpha"]))
    assert response.status_code == 422
    assert "You are on the staff of Alpha" in response.content.decode()


def test_it_only_joins_by_post(world, client):
    client.force_login(world.outsider)
    assert client.get(reverse("organization_join", args=["alpha"])).status_code == 405


# --- invitations ----------------------------------------------------------------------------


@pytest.fixture
def invitation(world):
    return actions.invite_staff(
        world.a.owner, email="invited@example.com", role="instructor", studios=[world.a.studio]
    )


def invitation_url(invitation):
    return reverse("invitation_accept", args=[invitation.plain_token])


def test_it_shows_a_visitor_the_invitation_with_sign_up_and_sign_in(invitation, client):
    response = client.get(invitation_url(invitation))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Join the team at Alpha" in html
    assert "invited@example.com" in html
    assert "?email=invited%40example.com" in html
    # The email address is known to be theirs: signing up with it needs no verification.
    assert client.session["account_verified_email"] == "invited@example.com"


def test_it_signs_up_an_invited_person_with_a_verified_email(invitation, client, mailoutbox):
    client.get(invitation_url(invitation))
    response = client.post(
        reverse("account_signup"),
        {
            "name": "Ivy Invited",
            "email": "invited@example.com",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
            "next": invitation_url(invitation),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == invitation_url(invitation)
    assert mailoutbox == []  # no verification email
    client.post(invitation_url(invitation))
    assert Membership.objects.get(user__email="invited@example.com").role == "instructor"


def test_it_accepts_for_the_invited_user(world, invitation, client):
    user = factories.UserFactory(email="Invited@Example.com")
    client.force_login(user)
    response = client.post(invitation_url(invitation))
    assert response.status_code == 302
    membership = Membership.objects.get(user=user)
    assert membership.role == "instructor"
    assert client.session[SESSION_KEY] == membership.pk


def test_it_explains_a_wrong_account(world, invitation, client):
    client.force_login(world.outsider)
    html = client.get(invitation_url(invitation)).content.decode()
    assert "but you are signed in as outsider@example.com" in html
    response = client.post(invitation_url(invitation))
    assert response.status_code == 422
    assert not Membership.objects.filter(user=world.outsider).exists()


def test_it_explains_an_expired_invitation(world, invitation, client, time_machine):
    time_machine.move_to(invitation.expires_at)
    client.force_login(factories.UserFactory(email="invited@example.com"))
    html = client.get(invitation_url(invitation)).content.decode()
    assert "This invitation has expired" in html
    assert "Accept and join" not in html
    assert client.post(invitation_url(invitation)).status_code == 422


def test_it_explains_a_used_invitation(world, invitation, client):
    user = factories.UserFactory(email="invited@example.com")
    actions.accept_invitation(user, invitation.plain_token)
    client.force_login(user)
    assert "already been used" in client.get(invitation_url(invitation)).content.decode()


def test_it_answers_404_for_an_unknown_token(db, client):
    response = client.get(reverse("invitation_accept", args=["made-up"]))
    assert response.status_code == 404
    assert "This invitation link is not valid" in response.content.decode()


def test_it_sends_a_visitor_accepting_to_sign_in(invitation, client):
    response = client.post(invitation_url(invitation))
    assert response["Location"].startswith(reverse("account_login"))
    assert Invitation.objects.get(pk=invitation.pk).accepted_at is None


# --- start and create an organization ---------------------------------------------------------


def test_it_shows_the_start_page_with_pending_invitations(world, invitation, client):
    client.force_login(factories.UserFactory(email="invited@example.com"))
    html = client.get(reverse("start")).content.decode()
    assert "You have been invited to join" in html
    assert "Alpha" in html
    assert reverse("organization_create") in html


def test_it_requires_sign_in_for_start_and_create(db, client):
    assert client.get(reverse("start"))["Location"].startswith(reverse("account_login"))
    assert client.get(reverse("organization_create"))["Location"].startswith(
        reverse("account_login")
    )


def test_it_creates_an_organization_owned_by_the_user(world, client):
    client.force_login(world.outsider)
    response = client.post(
        reverse("organization_create"), {"name": "Sea Pilates", "time_zone": "Europe/Lisbon"}
    )
    assert response.status_code == 302
    organization = Organization.objects.get(name="Sea Pilates")
    assert organization.time_zone == "Europe/Lisbon"
    membership = Membership.objects.get(user=world.outsider, organization=organization)
    assert membership.role == "owner"
    assert client.session[SESSION_KEY] == membership.pk


def test_it_redisplays_the_form_with_errors(world, client):
    client.force_login(world.outsider)
    response = client.post(reverse("organization_create"), {"name": "", "time_zone": "Mars/Base"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert "id_time_zone_error" in html
    assert not Organization.objects.filter(memberships__user=world.outsider).exists()


def test_the_public_studio_page_names_the_zone_readably(world, client):
    # It showed "America/NewYork" (underscore cut out).
    page = client.get(reverse("organization_public", args=["alpha"])).content.decode()
    assert "Times shown in America/New York time" in page
    assert "NewYork" not in page
