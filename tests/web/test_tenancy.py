"""request.membership, the organization switcher, the decorators and get_or_404."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django_htmx.middleware import HtmxDetails

from reformer.accounts import actions
from reformer.core.errors import NotFound
from reformer.core.permissions import VIEW_METRICS
from reformer.studios.models import Studio
from reformer.web.auth import capability_required, get_or_404, membership_required, staff_required
from reformer.web.middleware import SESSION_KEY, CurrentMembershipMiddleware
from tests import factories


def run_middleware(user, session_data=None):
    request = RequestFactory().get("/")
    request.user = user
    request.session = SessionStore()
    request.session.update(session_data or {})
    CurrentMembershipMiddleware(lambda r: HttpResponse())(request)
    return request


def test_it_gives_anonymous_requests_no_membership(db):
    request = run_middleware(AnonymousUser())
    assert request.membership is None
    assert request.memberships == []


def test_it_gives_a_user_without_organization_no_membership(world):
    assert run_middleware(world.outsider).membership is None


def test_it_defaults_to_the_first_active_membership(world):
    second = actions.join_organization(world.a.owner.user, world.b.organization)
    request = run_middleware(world.a.owner.user)
    assert request.membership == world.a.owner
    assert [m.pk for m in request.memberships] == [world.a.owner.pk, second.pk]


def test_it_uses_the_membership_chosen_in_the_session(world):
    second = actions.join_organization(world.a.owner.user, world.b.organization)
    request = run_middleware(world.a.owner.user, {SESSION_KEY: second.pk})
    assert request.membership == second
    assert request.membership.organization == world.b.organization


def test_it_ignores_a_chosen_membership_that_is_no_longer_active(world):
    second = actions.join_organization(world.a.owner.user, world.b.organization)
    actions.deactivate_member(world.b.owner, second)
    request = run_middleware(world.a.owner.user, {SESSION_KEY: second.pk})
    assert request.membership == world.a.owner


def test_it_skips_deactivated_memberships(world):
    actions.deactivate_member(world.a.owner, world.a.client)
    assert run_middleware(world.a.client.user).membership is None


def test_it_loads_the_memberships_in_one_query(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        request = run_middleware(world.a.owner.user)
        assert request.membership.organization.name == "Alpha"


# --- switcher -------------------------------------------------------------------------------


def test_it_switches_organization_for_the_session(world, client):
    second = actions.join_organization(world.a.owner.user, world.b.organization)
    client.force_login(world.a.owner.user)

    response = client.post(reverse("switch_organization"), {"membership": second.pk})

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == second.pk
    page = client.get(reverse("organization_public", args=["alpha"]))
    assert page.context["membership"] == second


def test_it_refuses_switching_to_someone_elses_membership(world, client):
    client.force_login(world.a.owner.user)
    response = client.post(reverse("switch_organization"), {"membership": world.b.owner.pk})
    assert response.status_code == 404
    assert SESSION_KEY not in client.session


def test_it_only_switches_by_post(world, client):
    client.force_login(world.a.owner.user)
    assert client.get(reverse("switch_organization")).status_code == 405


def test_it_shows_the_switcher_only_to_people_in_several_organizations(world, client):
    client.force_login(world.a.owner.user)
    assert "Switch organization" not in client.get("/o/alpha/").content.decode()
    actions.join_organization(world.a.owner.user, world.b.organization)
    assert "Switch organization" in client.get("/o/alpha/").content.decode()


# --- decorators -----------------------------------------------------------------------------


def ok_view(request, *args, **kwargs):
    return HttpResponse("ok")


def call(view, user, membership=None, *, htmx=False):
    headers = {"HX-Request": "true", "HX-Current-URL": "http://testserver/area/page/"}
    request = RequestFactory().get("/area/page/", headers=headers if htmx else {})
    request.user = user
    request.membership = membership
    request.htmx = HtmxDetails(request)
    return view(request)


def test_it_sends_anonymous_visitors_to_sign_in(db):
    response = call(membership_required(ok_view), AnonymousUser())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "next=/area/page/" in response["Location"]


def test_it_sends_anonymous_htmx_requests_to_sign_in_with_hx_redirect(db):
    response = call(staff_required(ok_view), AnonymousUser(), htmx=True)
    assert response["HX-Redirect"].startswith(reverse("account_login"))


def test_it_sends_users_without_an_organization_to_join_or_create(world):
    response = call(membership_required(ok_view), world.outsider)
    assert response.status_code == 302
    assert response["Location"] == reverse("start")


@pytest.mark.parametrize("role", ["owner", "manager", "front_desk", "instructor", "client"])
def test_it_lets_any_member_through_membership_required(world, role):
    response = call(membership_required(ok_view), world.a.members[role].user, world.a.members[role])
    assert response.content == b"ok"


@pytest.mark.parametrize(("role", "status"), [("owner", 200), ("instructor", 200), ("client", 403)])
def test_it_lets_only_staff_through_staff_required(world, role, status):
    member = world.a.members[role]
    response = call(staff_required(ok_view), member.user, member)
    assert response.status_code == status
    if status == 403:
        assert b"This page is for studio staff" in response.content


@pytest.mark.parametrize(
    ("role", "status"),
    [("owner", 200), ("manager", 200), ("front_desk", 403), ("instructor", 403), ("client", 403)],
)
def test_it_checks_the_capability(world, role, status):
    member = world.a.members[role]
    response = call(capability_required(VIEW_METRICS)(ok_view), member.user, member)
    assert response.status_code == status


def test_it_answers_htmx_refusals_with_a_toast(world):
    member = world.a.client
    response = call(staff_required(ok_view), member.user, member, htmx=True)
    assert response.status_code == 403
    assert response["HX-Reswap"] == "none"
    assert b'id="toasts"' in response.content


def test_it_fetches_from_a_scoped_queryset_or_raises_not_found(world):
    mine = Studio.objects.filter(organization=world.a.organization)
    assert get_or_404(mine, world.a.studio.pk) == world.a.studio
    with pytest.raises(NotFound):
        get_or_404(mine, world.b.studio.pk)
    with pytest.raises(NotFound):
        get_or_404(mine, "not-a-number")


def test_it_counts_a_new_members_organization_immediately(world, client):
    user = factories.UserFactory()
    client.force_login(user)
    assert client.get("/").status_code == 302
    client.post(reverse("organization_join", args=["beta"]))
    assert client.get("/o/beta/").context["membership"].organization == world.b.organization
