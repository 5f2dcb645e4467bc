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
