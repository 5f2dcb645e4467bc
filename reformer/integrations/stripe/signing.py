"""Stripe's webhook signature scheme, with stripe's own code: `Stripe-Signature: t=<unix
time>,v1=<hex HMAC-SHA256 of "<t>.<payload>" under the endpoint's signing secret>`."""

from __future__ import annotations

import stripe

TOLERANCE_SECONDS = 300


class BadSignature(Exception):
    pass


def verify(payload: bytes, header: str | None, secret: str) -> None:
    """Raise BadSignature unless `header` signs `payload` with `secret` recently."""
    try:
        stripe.WebhookSignature.verify_header(payload, header, secret, TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as exc:
        raise BadSignature(str(exc)) from None


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The header Stripe would send (used by the fake server, tests and the benchmark)."""
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)
