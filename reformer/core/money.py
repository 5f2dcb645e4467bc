"""Money is a Decimal amount plus an ISO currency code; never floats."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

SYMBOLS = {"USD": "$", "GBP": "£", "EUR": "€", "CAD": "CA$", "AUD": "A$"}


def quantize(amount: Decimal | int | str) -> Decimal:
    return Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def format_money(amount: Decimal | int | str, currency: str) -> str:
    value = quantize(amount)
    symbol = SYMBOLS.get(currency.upper())
    text = f"{value:,.2f}"
    return f"{symbol}{text}" if symbol else f"{text} {currency.upper()}"
