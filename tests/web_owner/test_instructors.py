from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from reformer.accounts.models import Invitation
from tests import factories


@pytest.fixture(autouse=True)
def locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _login(client, member):
    client.force_login(member.user)
    return client


def _upcoming_session(tenant, instructor, hours: int):
    start = timezone.now().replace(microsecond=0) + dt.timedelta(hours=hours)
    return factories.ClassSessionFactory(
        room=tenant.room,
        class_type=tenant.class_type,
        instructor=instructor,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=50),
    )


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_it_lists_active_instructors_with_upcoming_class_counts(client, world, role):
    _upcoming_session(world.a, world.a.instructor, 5)
    _upcoming_session(world.a, world.a.instructor, 30)
    response = _login(client, world.a.members[role]).get(reverse("owner:instructors"))
    assert response.status_code == 200
    rows = {m.pk: m.upcoming_count for m in response.context["instructors"]}
    assert rows == {world.a.instructor.pk: 2}
    assert "alpha instructor" in response.content.decode()


@pytest.mark.parametrize("role", ["front_desk", "instructor", "client"])
def test_it_refuses_other_roles(client, world, role):
    member = world.a.members[role]
    _login(client, member)
    pk = world.a.instructor.pk
    assert client.get(reverse("owner:instructors")).status_code == 403
    assert client.get(reverse("owner:instructor_edit", args=[pk])).status_code == 403
    assert client.post(reverse("owner:instructor_deactivate", args=[pk])).status_code == 403
    assert client.post(reverse("owner:instructor_invite"), {"email": "x@y.z"}).status_code == 403


def test_it_keeps_other_organizations_instructors_out_of_reach(client, world):
    _login(client, world.b.owner)
    pk = world.a.instructor.pk
    assert client.get(reverse("owner:instructor_edit", args=[pk])).status_code == 404
    assert client.post(reverse("owner:instructor_deactivate", args=[pk])).status_code == 404
    world.a.instructor.refresh_from_db()
    assert world.a.instructor.active


def test_it_keeps_instructors_of_other_studios_away_from_a_manager(client, world):
    annex = factories.MembershipFactory(
        organization=world.a.organization, role="instructor", studios=[world.a.other_studio]
    )
    _login(client, world.a.manager)
    assert client.get(reverse("owner:instructor_edit", args=[annex.pk])).status_code == 404
    _login(client, world.a.owner)
    assert client.get(reverse("owner:instructor_edit", args=[annex.pk])).status_code == 200


def test_it_invites_an_instructor(client, world, django_capture_on_commit_callbacks):
    _login(client, world.a.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("owner:instructor_invite"),
            {"email": "New.Teacher@Example.com", "studios": [world.a.other_studio.pk]},
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200
    invitation = Invitation.objects.get(email="new.teacher@example.com")
    assert invitation.role == "instructor"
    assert list(invitation.studios.all()) == [world.a.other_studio]
    html = response.content.decode()
    assert "Invitation sent to new.teacher@example.com." in html
    assert "Pending invitations" in html
    assert mail.outbox and mail.outbox[-1].to == ["new.teacher@example.com"]


def test_it_shows_invitation_errors_on_the_form(client, world):
    _login(client, world.a.owner)
    response = client.post(
        reverse("owner:instructor_invite"),
        {"email": "not-an-email", "studios": [world.a.studio.pk]},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "Enter a valid email address." in response.content.decode()
    response = client.post(
        reverse("owner:instructor_invite"),
        {"email": world.a.front_desk.user.email, "studios": [world.a.studio.pk]},
        HTTP_HX_REQUEST="true",
    )
    assert "already on the staff" in response.content.decode()
    assert not Invitation.objects.exists()


def test_it_refuses_a_studio_outside_a_managers_scope_in_the_invitation(client, world):
    _login(client, world.a.manager)
    response = client.post(
        reverse("owner:instructor_invite"),
        {"email": "t@example.com", "studios": [world.a.other_studio.pk]},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert not Invitation.objects.exists()


def test_it_edits_an_instructors_name_bio_and_studios(client, world):
    _login(client, world.a.owner)
    url = reverse("owner:instructor_edit", args=[world.a.instructor.pk])
    assert "alpha instructor" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "name": "Ada Teacher",
            "bio": "Ten years of reformer.",
            "studios": [world.a.studio.pk, world.a.other_studio.pk],
        },
    )
    assert response.status_code == 302
    instructor = world.a.instructor
    instructor.refresh_from_db()
    instructor.user.refresh_from_db()
    assert (instructor.user.name, instructor.bio) == ("Ada Teacher", "Ten years of reformer.")
    assert set(instructor.studios.all()) == {world.a.studio, world.a.other_studio}


def test_it_keeps_the_name_of_someone_who_belongs_elsewhere(client, world):
    factories.MembershipFactory(
        user=world.a.instructor.user, organization=world.b.organization, role="client"
    )
    _login(client, world.a.owner)
    url = reverse("owner:instructor_edit", args=[world.a.instructor.pk])
    response = client.post(url, {"name": "Renamed", "bio": "Hi", "studios": [world.a.studio.pk]})
    assert response.status_code == 302
    world.a.instructor.user.refresh_from_db()
    assert world.a.instructor.user.name == "alpha instructor"


def test_it_requires_a_studio_when_editing(client, world):
    _login(client, world.a.owner)
    url = reverse("owner:instructor_edit", args=[world.a.instructor.pk])
    response = client.post(url, {"name": "X", "bio": "", "studios": []})
    assert response.status_code == 422


def test_it_deactivates_an_instructor(client, world):
    _login(client, world.a.manager)
    url = reverse("owner:instructor_deactivate", args=[world.a.instructor.pk])
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "was deactivated" in response.content.decode()
    world.a.instructor.refresh_from_db()
    assert not world.a.instructor.active
    listing = client.get(reverse("owner:instructors"))
    assert list(listing.context["instructors"]) == []
    # Still listed, under "Inactive", with Reactivate (PHX-13: it vanished from this page).
    assert [row.member.pk for row in listing.context["inactive_rows"]] == [world.a.instructor.pk]
    html = listing.content.decode()
    assert "Inactive" in html and "Reactivate" in html
    reactivate = reverse("owner:instructor_reactivate", args=[world.a.instructor.pk])
    assert client.post(reactivate).status_code == 302
    world.a.instructor.refresh_from_db()
    assert world.a.instructor.active


def _shared_instructor(world):
    """An instructor of the manager's studio who also teaches at the Annex (outside it)."""
    return factories.MembershipFactory(
        organization=world.a.organization,
        role="instructor",
        studios=[world.a.studio, world.a.other_studio],
    )


def test_a_manager_is_told_why_they_cannot_manage_an_instructor_of_another_studio(client, world):
    # PHX-13: the manager got an Edit form they could not save (a bare 403 on Save).
    shared = _shared_instructor(world)
    _login(client, world.a.manager)
    listing = client.get(reverse("owner:instructors")).content.decode()
    row = listing.split(f'id="instructor-{shared.pk}"')[1].split("</tr>")[0]
    assert "Also teaches at alpha Annex: an owner manages them." in row
    assert "Edit" not in row and "Deactivate" not in row
    edit = client.get(reverse("owner:instructor_edit", args=[shared.pk]))
    assert edit.status_code == 403
    page = edit.content.decode()
    assert "Also teaches at alpha Annex" in page and 'name="bio"' not in page
    saved = client.post(
        reverse("owner:instructor_edit", args=[shared.pk]),
        {"name": "X", "bio": "changed", "studios": [world.a.studio.pk]},
    )
    assert saved.status_code == 403 and "Also teaches at alpha Annex" in saved.content.decode()
    gone = client.post(reverse("owner:instructor_deactivate", args=[shared.pk]))
    assert gone.status_code == 403 and "Also teaches at alpha Annex" in gone.content.decode()
    shared.refresh_from_db()
    assert shared.active and shared.bio == ""
    # The owner manages them.
    _login(client, world.a.owner)
    assert client.get(reverse("owner:instructor_edit", args=[shared.pk])).status_code == 200


def test_deactivating_says_how_many_classes_they_teach_and_cancels_none(client, world):
    # PHX-13: the confirmation said only that they could not sign in any more.
    sessions = [_upcoming_session(world.a, world.a.instructor, h) for h in (5, 30, 60)]
    _login(client, world.a.manager)
    listing = client.get(reverse("owner:instructors")).content.decode()
    url = reverse("owner:instructor_deactivate", args=[world.a.instructor.pk])
    assert f'href="{url}"' in listing  # a page, not a bare confirm
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "teaches 3 upcoming classes" in html and "cancels none" in html
    assert html.count("/staff/schedule/?studio=") == 3  # each links to its week to reassign
    world.a.instructor.refresh_from_db()
    assert world.a.instructor.active  # the GET changed nothing
    done = client.post(url, follow=True)
    assert "3 upcoming classes still name them" in done.content.decode()
    for session in sessions:
        session.refresh_from_db()
        assert session.status == "scheduled" and session.instructor_id == world.a.instructor.pk
