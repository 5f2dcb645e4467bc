"""Senders per channel. Each turns a rendered message into a provider call and reports
the outcome as a `SendResult` or a Transient/PermanentDeliveryError."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class SendResult:
    provider: str
    provider_id: str = ""
    segments: int = 0
    cost: Decimal = Decimal("0")


def read_environment_once(session, url: str) -> None:
    """Give a long-lived requests session the environment's proxies and CA bundle for `url`
    now, and stop it reading them again on every request: with `trust_env` requests walks the
    whole environment (twice) and looks for a ~/.netrc file per call, which cost more than
    the rest of a local provider call together (bench/notifications.py). Providers here
    authenticate by header, never by .netrc."""
    import os

    from requests.utils import get_environ_proxies

    session.trust_env = False
    session.proxies.update(get_environ_proxies(url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle and session.verify is True:
        session.verify = bundle
