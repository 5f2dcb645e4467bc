"""PHX-26: the profile's device list and the subscription endpoint validate their input
(a clear 400/422, nothing stored) and keep each person to their own devices."""

from __future__ import annotations

import json

import pytest

from reformer.integrations.webpush.fake import FakePushService
from reformer.notifications.models import PushSubscription

pytestmark = pytest.mark.django_db

URL = "/me/devices/subscribe/"


@pytest.fixture
def device(settings):
    settings.PUSH_ALLOW_HTTP_ENDPOINTS = True
    settings.PUSH_ALLOW_PRIVATE_HOSTS = True
    fake = FakePushService()
    fake.base_url = "https://push.example.test"  # keys only: nothing is sent here
    return fake.subscriber()


def _post(client, body):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json")


def test_a_subscription_is_stored_and_listed(client, world, device):
    client.force_login(world.a.client.user)
    response = _post(
        client,
        {"endpoint": device.endpoint, "keys": {"p256dh": device.p256dh, "auth": device.auth}},
    )
    assert response.status_code == 201
    assert PushSubscription.objects.get().user == world.a.client.user
    html = client.get("/me/devices/").content.decode()
    assert "No device gets notifications yet" not in html
    assert "Remove" in html


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("not json", 400),
        ({"endpoint": "https://push.example.test/x"}, 400),
        ({"endpoint": "javascript:alert(1)", "keys": {"p256dh": "x", "auth": "y"}}, 422),
        ({"endpoint": "https://push.example.test/x", "keys": {"p256dh": "abc", "auth": "y"}}, 422),
    ],
)
def test_bad_subscriptions_are_refused_and_nothing_is_stored(client, world, body, status):
    client.force_login(world.a.client.user)
    response = _post(client, body)
    assert response.status_code == status
    assert response.json()["error"]
    assert not PushSubscription.objects.exists()


def test_signed_out_visitors_cannot_subscribe(client, device):
    response = _post(
        client,
        {"endpoint": device.endpoint, "keys": {"p256dh": device.p256dh, "auth": device.auth}},
    )
    assert response.status_code == 302
    assert not PushSubscription.objects.exists()


def test_only_the_owner_removes_a_device(client, world, device):
    from reformer.notifications import push

    mine = push.register_subscription(
        world.a.client.user, endpoint=device.endpoint, p256dh=device.p256dh, auth=device.auth
    )
    client.force_login(world.b.client.user)
    assert client.post(f"/me/devices/{mine.pk}/remove/").status_code == 404
    assert PushSubscription.objects.filter(pk=mine.pk).exists()
    client.force_login(world.a.client.user)
    response = client.post(f"/me/devices/{mine.pk}/remove/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "will no longer get notifications" in response.content.decode()
    assert not PushSubscription.objects.exists()
