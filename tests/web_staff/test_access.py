"""Role and tenancy for every staff page: who gets 200, who 403, and another organization's
owner 404 (ARCHITECTURE §4). People without an organization are sent to join one."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from tests.factories import make_session
from tests.web_staff.conftest import in_two_hours

pytestmark = pytest.mark.django_db

ROLES = ("owner", "manager", "front_desk", "instructor", "client")
OK, FORBIDDEN, REDIRECT = 200, 403, 302

# name -> (url builder, {role: status}); the url builder gets (world, session of a).
PAGES = {
    "dashboard": (
        lambda w, s: reverse("staff:dashboard"),
        {"owner": OK, "manager": OK, "front_desk": REDIRECT, "instructor": REDIRECT},
    ),
    "organization": (lambda w, s: reverse("staff:organization"), {"owner": OK}),
    "studios": (lambda w, s: reverse("staff:studios"), {"owner": OK, "manager": OK}),
    "studio": (
        lambda w, s: reverse("staff:studio", args=[w.a.studio.pk]),
        {"owner": OK, "manager": OK},
    ),
    "room": (lambda w, s: reverse("staff:room", args=[w.a.room.pk]), {"owner": OK, "manager": OK}),
    "class_types": (lambda w, s: reverse("staff:class_types"), {"owner": OK, "manager": OK}),
    "class_type": (
        lambda w, s: reverse("staff:class_type", args=[w.a.class_type.pk]),
        {"owner": OK, "manager": OK},
    ),
    "products": (lambda w, s: reverse("staff:products"), {"owner": OK}),
    "schedule": (
        lambda w, s: reverse("staff:schedule") + f"?studio={w.a.studio.pk}",
        {"owner": OK, "manager": OK, "front_desk": OK, "instructor": OK},
    ),
    "session_create": (
        lambda w, s: reverse("staff:session_create") + f"?studio={w.a.studio.pk}",
        {"owner": OK, "manager": OK},
    ),
    "templates": (
        lambda w, s: reverse("staff:templates") + f"?studio={w.a.studio.pk}",
        {"owner": OK, "manager": OK},
    ),
    "team": (lambda w, s: reverse("staff:team"), {"owner": OK, "manager": OK}),
    "instructor_dashboard": (
        lambda w, s: reverse("staff:instructor_dashboard"),
        {"owner": OK, "manager": OK, "front_desk": OK, "instructor": OK},
    ),
    "session_detail": (
        lambda w, s: reverse("staff:session_detail", args=[s.pk]),
        {"owner": OK, "manager": OK, "front_desk": OK, "instructor": OK},
    ),
    "session_roster": (
        lambda w, s: reverse("staff:session_roster", args=[s.pk]),
        {"owner": OK, "manager": OK, "front_desk": OK, "instructor": OK},
    ),
    "session_cancel": (
        lambda w, s: reverse("staff:session_cancel", args=[s.pk]),
        {"owner": OK, "manager": OK},
    ),
    "session_book": (
        lambda w, s: reverse("staff:session_book", args=[s.pk]) + "?q=al",
        {"owner": OK, "manager": OK, "front_desk": OK},
    ),
    "checkin": (
        lambda w, s: reverse("staff:checkin"),
        {"owner": OK, "manager": OK, "front_desk": OK},
    ),
}
# Pages about one object of organization a: another organization's owner gets 404.
OBJECT_PAGES = [
    "studio",
    "room",
    "class_type",
    "schedule",
    "session_create",
    "templates",
    "session_detail",
    "session_roster",
    "session_cancel",
    "session_book",
]


def _get(client, url):
    return client.get(url, HTTP_HX_REQUEST="true") if "/roster/" in url else client.get(url)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_it_answers_each_role(world, session_a, login_as, page, role):
    build, allowed = PAGES[page]
    client = login_as(world.a.members[role])
    response = _get(client, build(world, session_a))
    assert response.status_code == allowed.get(role, FORBIDDEN), (page, role)


@pytest.mark.parametrize("page", OBJECT_PAGES)
def test_it_hides_another_organizations_objects(world, session_a, login_as, page):
    build, _ = PAGES[page]
    client = login_as(world.b.owner)
    assert _get(client, build(world, session_a)).status_code == 404


@pytest.mark.parametrize("page", ["dashboard", "schedule", "session_detail", "checkin"])
def test_it_sends_people_without_an_organization_to_join_one(world, session_a, login_as, page):
    build, _ = PAGES[page]
    response = login_as(world.outsider).get(build(world, session_a))
    assert response.status_code == 302
    assert response["Location"] == reverse("start")


def test_it_sends_anonymous_visitors_to_sign_in(client, world, session_a):
    response = client.get(reverse("staff:session_detail", args=[session_a.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_it_refuses_a_manager_outside_their_studios(world, login_as):
    client = login_as(world.a.manager)
    other = world.a.other_studio
    room = factories.RoomFactory(studio=other)
    session = make_session(world.a, studio=other, instructor=None, starts_at=in_two_hours())
    for url in [
        reverse("staff:studio", args=[other.pk]),
        reverse("staff:room", args=[room.pk]),
        reverse("staff:schedule") + f"?studio={other.pk}",
        reverse("staff:session_detail", args=[session.pk]),
        reverse("staff:session_cancel", args=[session.pk]),
    ]:
        assert client.get(url).status_code == 403, url


def test_it_refuses_an_instructor_another_instructors_class(world, login_as):
    colleague = factories.MembershipFactory(
        organization=world.a.organization, role="instructor", studios=[world.a.studio]
    )
    session = make_session(world.a, instructor=None, starts_at=in_two_hours())
    session.instructor = colleague
    session.save()
    client = login_as(world.a.instructor)
    assert client.get(reverse("staff:session_detail", args=[session.pk])).status_code == 403
    roster = client.get(reverse("staff:session_roster", args=[session.pk]), HTTP_HX_REQUEST="true")
    assert roster.status_code == 403


def test_it_answers_htmx_refusals_with_a_toast(world, session_a, login_as):
    client = login_as(world.a.client)
    response = client.get(
        reverse("staff:session_roster", args=[session_a.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 403
    assert response["HX-Reswap"] == "none"


def test_it_shows_each_role_its_navigation(world, login_as):
    expected = {
        "owner": {"Setup", "Schedule", "Check-in", "My classes", "Team"},
        "manager": {"Setup", "Schedule", "Check-in", "My classes", "Team"},
        "front_desk": {"Schedule", "Check-in"},
        "instructor": {"Schedule", "My classes"},
    }
    staff_labels = {"Setup", "Schedule", "Check-in", "My classes", "Team"}
    for role, labels in expected.items():
        response = login_as(world.a.members[role]).get(reverse("staff:schedule"))
        shown = {item.label for item in response.context["nav_items"]} & staff_labels
        assert shown == labels, role
