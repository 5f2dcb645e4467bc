"""Push subscriptions (PHX-26): a person's browsers that agreed to receive notifications.

Registering stores (or moves to this person) the browser's endpoint and keys; removing is
the person's own choice from their profile; an expired one is pruned when its push
service answers 404/410 (`sending.mark_address_invalid`). Which messages go by push is
`PUSH_KINDS`: the outbox adds one push message per device beside the email or text of
those kinds (`actions._with_push`), under the same preferences.
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import urlparse

from django.conf import settings
from django.db import transaction

from reformer.accounts.models import User
from reformer.core.errors import DomainError, NotFound
from reformer.notifications import push_hosts
from reformer.notifications.errors import PUSH_INVALID_SUBSCRIPTION, PUSH_UNSAFE_ENDPOINT
from reformer.notifications.models import PushSubscription

# Reminders, a waitlist place that came through, a class cancelled or changed.
PUSH_KINDS = frozenset(
    {"class_reminder", "waitlist_promoted", "session_cancelled", "session_changed"}
)
# A person's devices; the oldest goes when a new one would pass this.
MOST_DEVICES = 10


def _b64(value: object, length: int, what: str) -> str:
    text = str(value or "")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise DomainError(PUSH_INVALID_SUBSCRIPTION, f"The {what} is not valid.") from exc
    if len(raw) != length:
        raise DomainError(PUSH_INVALID_SUBSCRIPTION, f"The {what} is not valid.")
    return text


def _endpoint(value: object) -> str:
    endpoint = str(value or "")
    url = urlparse(endpoint)
    secure = url.scheme == "https" or (url.scheme == "http" and settings.PUSH_ALLOW_HTTP_ENDPOINTS)
    if not secure or not url.netloc or len(endpoint) > 1000:
        raise DomainError(PUSH_INVALID_SUBSCRIPTION, "The push endpoint must be an https URL.")
    try:  # the server will POST there: never to an internal address (SSRF)
        push_hosts.check_endpoint_host(endpoint)
    except push_hosts.UnsafePushHost as exc:
        raise DomainError(PUSH_UNSAFE_ENDPOINT, str(exc)) from None
    return endpoint


def device_label(user_agent: str) -> str:
    """ "Chrome on Android", "Safari on iPhone"...: enough to tell one's devices apart."""
    ua = user_agent or ""
    browser = next(
        (
            name
            for pattern, name in (
                (r"Edg/", "Edge"),
                (r"Firefox/", "Firefox"),
                (r"SamsungBrowser/", "Samsung Internet"),
                (r"Chrome/|Chromium/|CriOS/", "Chrome"),
                (r"Safari/", "Safari"),
            )
            if re.search(pattern, ua)
        ),
        "Browser",
    )
    system = next(
        (
            name
            for pattern, name in (
                (r"iPhone", "iPhone"),
                (r"iPad", "iPad"),
                (r"Android", "Android"),
                (r"Windows", "Windows"),
                (r"Mac OS X|Macintosh", "Mac"),
                (r"CrOS", "ChromeOS"),
                (r"Linux", "Linux"),
            )
            if re.search(pattern, ua)
        ),
        "",
    )
    return f"{browser} on {system}" if system else browser


def register_subscription(
    user: User, *, endpoint: object, p256dh: object, auth: object, user_agent: str = ""
) -> PushSubscription:
    """Store this browser's subscription for `user` (the same endpoint again updates it)."""
    values = {
        "user": user,
        "p256dh": _b64(p256dh, 65, "device key"),
        "auth": _b64(auth, 16, "device secret"),
        "device": device_label(user_agent)[:120],
    }
    endpoint = _endpoint(endpoint)
    with transaction.atomic(durable=True):
        subscription, _created = PushSubscription.objects.update_or_create(
            endpoint=endpoint, defaults=values
        )
        mine = PushSubscription.objects.filter(user=user).order_by("-created_at", "-pk")
        extra = list(mine.values_list("pk", flat=True)[MOST_DEVICES:])
        if extra:
            PushSubscription.objects.filter(pk__in=extra).delete()
    return subscription


def remove_subscription(user: User, subscription_id: int | None) -> None:
    """The person turns notifications off for one of their devices."""
    if subscription_id is None:
        raise NotFound("device")
    with transaction.atomic(durable=True):
        deleted, _ = PushSubscription.objects.filter(pk=subscription_id, user=user).delete()
    if not deleted:
        raise NotFound("device")


def devices_of(user: User) -> list[PushSubscription]:
    return list(PushSubscription.objects.filter(user=user))
