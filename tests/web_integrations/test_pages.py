"""The integrations pages (owner) and the client's own data page, through the views."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from reformer.accounts.models import User
from reformer.api.models import ApiKey
from reformer.portability.models import Export
from reformer.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.bookings.helpers import give_package
from tests.factories import make_session
from tests.webhooks.conftest import run_queued_jobs

OWNER_PAGES = [
    "integrations:overview",
    "integrations:api_keys",
    "integrations:endpoints",
    "integrations:export",
    "integrations:import",
]


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def as_member(client, member):
    client.force_login(member.user)
    return client


@pytest.mark.parametrize("name", OWNER_PAGES)
def test_owner_pages_render_for_the_owner_only(client, world, name):
    as_member(client, world.a.owner)
    assert client.get(reverse(name)).status_code == 200
    for role in ("manager", "front_desk", "instructor", "client"):
        as_member(client, world.a.members[role])
        assert client.get(reverse(name)).status_code == 403, role


def test_a_new_key_is_shown_once_then_only_its_prefix(client, world):
    as_member(client, world.a.owner)
    response = client.post(
        reverse("integrations:api_keys"),
        {
            "name": "Website",
            "scopes": ["schedule:read", "bookings:read"],
            "acts_as": world.a.front_desk.pk,
            "rate_limit_per_minute": 120,
        },
    )
    assert response.status_code == 200
    secret = response.context["new_secret"]
    assert secret.startswith("rk_") and secret.encode() in response.content
    key = ApiKey.objects.get(name="Website")
    assert key.acts_as == world.a.front_desk and key.secret_hash != secret
    again = client.get(reverse("integrations:api_keys"))
    assert secret.encode() not in again.content and key.prefix.encode() in again.content
    assert (
        client.get("/api/v1/classes", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 200
    )
    client.post(reverse("integrations:revoke_key", args=[key.pk]))
    assert (
        client.get("/api/v1/classes", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 401
    )


def test_a_key_for_another_organizations_member_is_refused(client, world):
    as_member(client, world.a.owner)
    response = client.post(
        reverse("integrations:api_keys"),
        {
            "name": "X",
            "scopes": ["schedule:read"],
            "acts_as": world.b.owner.pk,
            "rate_limit_per_minute": 5,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["acts_as"]
    assert not ApiKey.objects.exists()


def test_webhook_endpoint_pages_and_the_test_event(client, world):
    as_member(client, world.a.owner)
    response = client.post(
        reverse("integrations:endpoints"),
        {
            "url": "https://hooks.example.com/in",
            "events": ["booking.created"],
            "description": "CRM",
        },
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "integrations:endpoint", args=[endpoint.pk]
    )
    client.post(reverse("integrations:endpoint_action", args=[endpoint.pk, "test"]))
    assert WebhookDelivery.objects.filter(endpoint=endpoint, event_type="webhook.test").exists()
    page = client.get(reverse("integrations:endpoint", args=[endpoint.pk]))
    assert b"webhook.test" in page.content
    client.post(reverse("integrations:endpoint_action", args=[endpoint.pk, "pause"]))
    endpoint.refresh_from_db()
    assert not endpoint.active
    as_member(client, world.b.owner)
    assert client.get(reverse("integrations:endpoint", args=[endpoint.pk])).status_code == 404
    assert (
        client.post(
            reverse("integrations:endpoint_action", args=[endpoint.pk, "delete"])
        ).status_code
        == 404
    )
    bad = as_member(client, world.a.owner).post(
        reverse("integrations:endpoints"),
        {"url": "http://example.com/x", "events": ["booking.created"]},
    )
    assert bad.status_code == 422 and b"HTTPS" in bad.content


def test_export_progress_and_download(client, world):
    as_member(client, world.a.owner)
    client.post(reverse("integrations:export"))
    export = Export.objects.get()
    row = client.get(reverse("integrations:export_status", args=[export.pk]))
    assert b'data-hx-trigger="every 1s"' in row.content
    run_queued_jobs("portability.build_export")
    row = client.get(reverse("integrations:export_status", args=[export.pk]))
    assert b"Download zip" in row.content and b"data-hx-trigger" not in row.content
    export.refresh_from_db()
    download = client.get(reverse("integrations:export_download", args=[export.token]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content)[:2] == b"PK"
    as_member(client, world.b.owner)
    assert (
        client.get(reverse("integrations:export_download", args=[export.token])).status_code == 404
    )


def test_import_dry_run_then_import(client, world):
    as_member(client, world.a.owner)
    upload = SimpleUploadedFile(
        "c.csv", b"Email,First Name,Last Name\nzoe@example.com,Zoe,Park\nbad,X,Y\n"
    )
    checked = client.post(reverse("integrations:import"), {"kind": "clients", "file": upload})
    assert checked.status_code == 200
    plan = checked.context["plan"]
    assert plan.counts == {"create": 1, "skip": 0, "error": 1}
    assert b"Nothing can be imported" in checked.content
    fixed = SimpleUploadedFile("c.csv", b"Email,First Name,Last Name\nzoe@example.com,Zoe,Park\n")
    checked = client.post(reverse("integrations:import"), {"kind": "clients", "file": fixed})
    token = checked.context["upload"]
    assert not User.objects.filter(email="zoe@example.com").exists()
    done = client.post(
        reverse("integrations:import"), {"upload": token, "kind": "clients", "apply": "1"}
    )
    assert done.status_code == 302
    assert User.objects.get(email="zoe@example.com").name == "Zoe Park"


def test_a_client_downloads_and_deletes_their_data(client, world):
    give_package(world.a.client)
    make_session(world.a, starts_at=timezone.now() + dt.timedelta(days=2))
    as_member(client, world.a.client)
    assert client.get(reverse("integrations:my_data")).status_code == 200
    data = client.get(reverse("integrations:my_data_download")).json()
    assert data["person"]["email"] == world.a.client.user.email
    refused = client.post(reverse("integrations:my_data_delete"), {"confirm": "yes"})
    assert refused.status_code == 422
    done = client.post(reverse("integrations:my_data_delete"), {"confirm": "DELETE"})
    assert done.status_code == 302
    world.a.client.user.refresh_from_db()
    assert not world.a.client.user.is_active
    as_member(client, world.a.owner)
    assert client.get(reverse("integrations:my_data")).status_code == 403
