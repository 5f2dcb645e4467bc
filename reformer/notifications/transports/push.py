"""Web Push (RFC 8030) with VAPID (RFC 8292) through pywebpush: the payload is encrypted
for the subscription's keys (aes128gcm, RFC 8291) and POSTed to its push service, signed
with our VAPID key (settings.VAPID_PRIVATE_KEY_FILE, generated on first start).

The push service's answer decides: 201 sent; 404/410 the subscription is gone (pruned);
429/5xx try again (Retry-After); other 4xx refused for good."""

from __future__ import annotations

import base64
import threading
from functools import lru_cache

import requests
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from reformer.notifications.errors import PermanentDeliveryError, TransientDeliveryError
from reformer.notifications.push_hosts import UnsafePushHost, check_resolves_public
from reformer.notifications.transports import SendResult
from reformer.notifications.transports.email import parse_retry_after

GONE = frozenset({404, 410})
# A push service holds a message this long for a device that is off (seconds).
DEFAULT_TTL = 24 * 3600

_local = threading.local()


@lru_cache(maxsize=4)
def _vapid(path: str) -> Vapid:
    return Vapid.from_file(path)


def vapid() -> Vapid:
    return _vapid(str(settings.VAPID_PRIVATE_KEY_FILE))


def application_server_key() -> str:
    """Our public key as browsers take it (`applicationServerKey`): the uncompressed
    P-256 point, base64url without padding."""
    point = vapid().public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(point).rstrip(b"=").decode()


def _session() -> requests.Session:
    """One HTTP session per thread (kept-alive connections to each push service)."""
    session = getattr(_local, "session", None)
    if session is None:
        _local.session = session = requests.Session()
    return session


def send_push(
    *, endpoint: str, p256dh: str, auth: str, payload: str, ttl: int = DEFAULT_TTL
) -> SendResult:
    try:  # the host may have been re-pointed since registration: never POST inside (SSRF)
        check_resolves_public(endpoint)
    except UnsafePushHost as exc:
        raise PermanentDeliveryError(f"{exc} Not sent.", invalid_address=True) from None
    except OSError as exc:
        raise TransientDeliveryError(f"The push service could not be found: {exc}") from exc
    try:
        response = webpush(
            subscription_info={"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}},
            data=payload,
            vapid_private_key=vapid(),
            # A fresh dict each time: pywebpush fills in "aud" and "exp" for this endpoint.
            vapid_claims={"sub": settings.VAPID_SUBJECT},
            ttl=max(int(ttl), 0),
            timeout=15,
            headers={"Urgency": "high"},
            requests_session=_session(),
        )
    except WebPushException as exc:
        raise _classify(exc) from exc
    except (requests.RequestException, OSError) as exc:
        raise TransientDeliveryError(f"The push service could not be reached: {exc}") from exc
    if isinstance(response, str):  # only with curl=True
        raise PermanentDeliveryError("pywebpush returned a command instead of sending.")
    return SendResult(provider="webpush", provider_id=response.headers.get("Location", ""))


def _classify(exc: WebPushException) -> Exception:
    response = exc.response
    status = response.status_code if response is not None else 0
    detail = (response.text[:200] if response is not None else "") or str(exc)
    if status in GONE:
        return PermanentDeliveryError(
            f"The device's subscription has expired ({status}).", invalid_address=True
        )
    if status == 429 or status >= 500 or status == 0:
        retry_after = parse_retry_after(
            (response.headers.get("Retry-After", "") if response is not None else "") or ""
        )
        return TransientDeliveryError(
            f"The push service is unavailable ({status}): {detail}", retry_after=retry_after
        )
    if status in (401, 403):
        # The subscription was made with another VAPID key: it can never take ours.
        return PermanentDeliveryError(
            f"The push service refused our key for this device ({status}).", invalid_address=True
        )
    return PermanentDeliveryError(f"The push service refused the message ({status}): {detail}")
