"""PHX-26 security: the server POSTs each push to the endpoint a browser registered, so an
endpoint on an internal address (https://127.0.0.1:8713/x) made it a proxy into the
private network (SSRF). Refused at registration (400, nothing stored) by the endpoint's
text, and at send time by what its host resolves to; only
settings.PUSH_ALLOW_PRIVATE_HOSTS (the fake push service's, off by default) allows them."""

from __future__ import annotations

import json
import socket

import pytest
from django.conf import settings as django_settings

from reformer.integrations.webpush.fake import FakePushService
from reformer.notifications.errors import PermanentDeliveryError
from reformer.notifications.models import PushSubscription
from reformer.notifications.transports.push import send_push

pytestmark = pytest.mark.django_db

URL = "/me/devices/subscribe/"
REFUSED = [
    "https://127.0.0.1:8713/x",
    "https://127.0.0.1/x",
    "https://[::1]/x",
    "https://10.0.0.5/x",
    "https://2130706433/x",  # 127.0.0.1 as one number
    "https://127.1/x",
    "https://localhost/x",
    "https://push.localhost/x",
    "https://metadata/x",
    "https://printer.local/x",
    "https://db.internal/x",
    "https://fcm.googleapis.com:8443/x",
    "https://user:pw@fcm.googleapis.com/x",
]


def _keys():
    fake = FakePushService()
    fake.base_url = "https://push.example.test"  # keys only: nothing is sent here
    return fake.subscriber()


def test_the_default_is_off():
    assert django_settings.PUSH_ALLOW_PRIVATE_HOSTS is False


@pytest.mark.parametrize("endpoint", REFUSED)
def test_internal_endpoints_are_refused_with_400_and_nothing_stored(client, world, endpoint):
    device = _keys()  # real keys; only the endpoint is wrong
    client.force_login(world.a.client.user)
    response = client.post(
        URL,
        json.dumps({"endpoint": endpoint, "keys": {"p256dh": device.p256dh, "auth": device.auth}}),
        content_type="application/json",
    )
    assert response.status_code == 400, endpoint
    assert "push" in response.json()["error"]
    assert not PushSubscription.objects.exists()


def test_a_public_push_service_is_accepted(client, world):
    device = _keys()
    client.force_login(world.a.client.user)
    endpoint = "https://fcm.googleapis.com/fcm/send/abc123"
    response = client.post(
        URL,
        json.dumps({"endpoint": endpoint, "keys": {"p256dh": device.p256dh, "auth": device.auth}}),
        content_type="application/json",
    )
    assert response.status_code == 201
    assert PushSubscription.objects.get().endpoint == endpoint


def test_a_name_that_resolves_inside_is_not_sent_to(monkeypatch):
    """A public-looking name pointing at a private address (set after registration)."""
    sent = []
    monkeypatch.setattr(
        "reformer.notifications.transports.push.webpush", lambda **kw: sent.append(kw)
    )
    for address in ("127.0.0.1", "10.1.2.3", "169.254.169.254", "::ffff:192.168.0.1"):
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        monkeypatch.setattr(
            "socket.getaddrinfo",
            lambda *a, _f=family, _a=address, **k: [(_f, socket.SOCK_STREAM, 6, "", (_a, 443))],
        )
        with pytest.raises(PermanentDeliveryError, match="private address") as refused:
            send_push(endpoint="https://push.example.com/x", p256dh="p", auth="a", payload="{}")
        assert refused.value.invalid_address  # the subscription is pruned
    assert sent == []


def test_the_fake_push_service_on_loopback_needs_the_explicit_setting(settings):
    fake = FakePushService().start()
    try:
        device = fake.subscriber()
        settings.PUSH_ALLOW_HTTP_ENDPOINTS = True
        with pytest.raises(PermanentDeliveryError):
            send_push(
                endpoint=device.endpoint, p256dh=device.p256dh, auth=device.auth, payload="{}"
            )
        settings.PUSH_ALLOW_PRIVATE_HOSTS = True
        send_push(endpoint=device.endpoint, p256dh=device.p256dh, auth=device.auth, payload="{}")
    finally:
        fake.stop()
