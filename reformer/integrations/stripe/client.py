"""The real stripe-python `StripeClient` for one organization's account.

`STRIPE_API_BASE` (settings, from the environment) points it at another server, such as
the fake in `fake.py`; empty means Stripe itself. Provider errors become DomainErrors whose
message says what happened and what to do.
"""

from __future__ import annotations

import functools
from decimal import Decimal

import stripe
from django.conf import settings

from reformer.core.errors import DomainError
from reformer.payments import errors as payment_errors

ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF"})


def new_client(secret_key: str) -> stripe.StripeClient:
    """A client for this key, reused (with its HTTP connections) across calls and threads."""
    return _client(secret_key, getattr(settings, "STRIPE_API_BASE", ""))


@functools.lru_cache(maxsize=256)
def _client(secret_key: str, base: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        secret_key,
        base_addresses={"api": base} if base else None,
        max_network_retries=2,
    )


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Stripe counts cents (or yen): 12.50 USD -> 1250."""
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        return int(amount)
    return int((amount * 100).to_integral_value())


def from_minor_units(amount: int, currency: str) -> Decimal:
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        return Decimal(amount)
    return (Decimal(amount) / 100).quantize(Decimal("0.01"))


class ProviderError(DomainError):
    """Stripe refused or could not be reached; nothing was changed on our side."""

    def __init__(self, message: str, *, decline_code: str = "") -> None:
        super().__init__(payment_errors.PROVIDER, message, decline_code=decline_code)


def provider_error(exc: stripe.StripeError) -> ProviderError:
    if isinstance(exc, stripe.CardError):
        return ProviderError(
            f"{exc.user_message or 'The card was declined.'} "
            "Try another card, or ask the client to update their card.",
            decline_code=getattr(exc, "code", "") or "",
        )
    if isinstance(exc, stripe.AuthenticationError):
        return ProviderError(
            "Stripe refused the studio's secret key. The owner can update it under "
            "Payments settings."
        )
    if isinstance(exc, stripe.APIConnectionError):
        return ProviderError("Stripe could not be reached. Nothing was charged; try again.")
    message = getattr(exc, "user_message", None) or "Stripe refused the request."
    return ProviderError(f"{message} Nothing was changed; try again or contact support.")
