"""How a send failed, as the transports report it to the sending logic."""

from __future__ import annotations


class TransientDeliveryError(Exception):
    """Sending failed for a reason that may pass (network, provider outage, rate limit):
    try again later, no sooner than `retry_after` seconds when the provider said so."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentDeliveryError(Exception):
    """Sending can never succeed as things are (no address, address refused, opted out).

    `invalid_address` marks the address itself as bad (a hard bounce, a number that is not a
    mobile), `opted_out` says the person asked to receive nothing on this channel.
    """

    def __init__(
        self, message: str, *, invalid_address: bool = False, opted_out: bool = False
    ) -> None:
        super().__init__(message)
        self.invalid_address = invalid_address
        self.opted_out = opted_out


# Refusals of the push subscription actions (DomainError codes; 422).
PUSH_INVALID_SUBSCRIPTION = "push.invalid_subscription"
# An endpoint naming an internal host (IP literal, localhost, other port...): 400.
PUSH_UNSAFE_ENDPOINT = "push.unsafe_endpoint"
