"""PHX-19, spec requirement 10: the suspension alert and email tell staff they can lift a
suspension at check-in; check-in, the alert and the client's page lead to a confirmation
that lifts it (audit-logged, the client told). Desk roles only; another organization's
client is not found."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from reformer.accounts.audit_codes import ACCOUNTS_CLIENT_SUSPENSION_LIFTED
from reformer.accounts.models import ClientProfile
from reformer.core import alerts
from reformer.core.models import AdminAlert, AuditEvent
from reformer.notifications.models import Message


def _suspend(tenant, client=None):
    client = client or tenant.client
    until = timezone.now() + dt.timedelta(days=5)
    ClientProfile.objects.update_or_create(
        membership=client,
        defaults={"organization": tenant.organization, "suspended_until": until},
    )
    alerts.raise_alert(
        alerts.CLIENT_SUSPENDED,
        f"{client.name} missed 3 classes. Lift the suspension at check-in if the studio agrees.",
        organization_id=tenant.organization.pk,
        studio_id=tenant.studio.pk,
        data={"client": client.pk},
    )
    return client


def _suspended(client) -> bool:
    until = ClientProfile.objects.get(membership=client).suspended_until
    return until is not None and until > timezone.now()


def test_check_in_lists_suspended_clients_with_a_lift_control(world, login_as):
    client = _suspend(world.a)
    page = login_as(world.a.front_desk).get(reverse("staff:checkin")).content.decode()
    url = reverse("staff:client_suspension", args=[client.pk])
    assert 'id="suspended-clients"' in page
    assert url in page and "Lift suspension" in page


def test_the_alert_offers_to_lift_it(world, login_as):
    client = _suspend(world.a)
    page = login_as(world.a.front_desk).get(reverse("staff:alerts")).content.decode()
    assert reverse("staff:client_suspension", args=[client.pk]) in page


def test_the_clients_page_shows_the_suspension_and_the_control(world, login_as):
    client = _suspend(world.a)
    page = login_as(world.a.manager).get(reverse("frontdoor:staff_client", args=[client.pk]))
    text = page.content.decode()
    assert "Booking paused" in text
    assert reverse("staff:client_suspension", args=[client.pk]) in text


def test_it_asks_then_lifts_audits_and_tells_the_client(world, login_as):
    client = _suspend(world.a)
    url = reverse("staff:client_suspension", args=[client.pk])
    desk = login_as(world.a.front_desk)
    confirm = desk.get(url).content.decode()
    assert "Lift this suspension?" in confirm and 'method="post"' in confirm
    assert _suspended(client)  # asking changes nothing

    response = desk.post(url, {"next": reverse("staff:checkin")})
    assert response.status_code == 302 and response["Location"] == reverse("staff:checkin")
    assert not _suspended(client)
    event = AuditEvent.objects.get(code=ACCOUNTS_CLIENT_SUSPENSION_LIFTED)
    assert event.actor_id == world.a.front_desk.user_id
    assert Message.objects.filter(kind="suspension_lifted", recipient=client.user).count() == 1
    assert not AdminAlert.objects.filter(code=alerts.CLIENT_SUSPENDED, resolved_at=None).exists()

    again = desk.post(url, follow=True).content.decode()
    assert "This client is not suspended." in again


def test_it_never_sends_staff_to_another_site(world, login_as):
    client = _suspend(world.a)
    url = reverse("staff:client_suspension", args=[client.pk])
    response = login_as(world.a.owner).post(url, {"next": "//evil.example/"})
    assert response["Location"] == reverse("frontdoor:staff_client", args=[client.pk])


@pytest.mark.parametrize("role", ["instructor", "client"])
def test_roles_without_the_capability_are_refused(world, login_as, role):
    client = _suspend(world.a)
    url = reverse("staff:client_suspension", args=[client.pk])
    response = login_as(world.a.members[role]).post(url)
    assert response.status_code in (403, 404)
    assert _suspended(client)
    checkin = login_as(world.a.instructor).get(reverse("staff:checkin"))
    assert url not in checkin.content.decode()


def test_another_organizations_client_is_not_found(world, login_as):
    theirs = _suspend(world.b)
    url = reverse("staff:client_suspension", args=[theirs.pk])
    assert login_as(world.a.owner).get(url).status_code == 404
    assert login_as(world.a.owner).post(url).status_code == 404
    assert _suspended(theirs)
    page = login_as(world.a.owner).get(reverse("staff:checkin")).content.decode()
    assert url not in page
