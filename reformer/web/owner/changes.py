"""How each dashboard card moved against the previous period (same length, or the month
before a month; a period still running is compared to date), and revenue the studio table
cannot place (payments without a studio).

Counts and money change by a percentage ("+12% vs October"); rates by percentage points
("-3.1 pts"), since a percentage of a percentage reads wrong. Nothing before: "new".
"""

from __future__ import annotations

from decimal import Decimal

from reformer.analytics import queries
from reformer.analytics.periods import Period
from reformer.core.money import format_money


def comparison_label(period: Period, compared: Period, previous: Period) -> str:
    """What a card's change is against; `compared` is the part of `period` that was compared
    (the days so far, while the period runs)."""
    if compared != period:
        return f"vs {_days_label(previous)} (to date)"
    if period.preset in ("this_month", "last_month"):
        return f"vs {previous.start:%B}"
    return f"vs previous {period.days} day{'s' if period.days != 1 else ''}"


_DASH = "\u2013"  # an en dash between the ends of a range of days


def _days_label(period: Period) -> str:
    """Nov 1-6, Nov 28-Dec 3, Dec 30, 2025-Jan 4, 2026 (with an en dash)."""
    start, end = period.start, period.end
    if start == end:
        return f"{start:%b} {start.day}"
    if start.year != end.year:
        return f"{start:%b} {start.day}, {start.year}{_DASH}{end:%b} {end.day}, {end.year}"
    if start.month != end.month:
        return f"{start:%b} {start.day}{_DASH}{end:%b} {end.day}"
    return f"{start:%b} {start.day}{_DASH}{end.day}"


def _direction(delta: float) -> str:
    return "up" if delta > 0 else "down" if delta < 0 else "flat"


def change(
    now: float | int | None, before: float | int | None, against: str, *, points: bool = False
) -> dict[str, str]:
    if now is None:
        return {"change": "", "change_direction": "flat", "change_against": against}
    if before is None or (not points and before == 0):
        text = "new" if now else "no change"
        return {"change": text, "change_direction": "flat", "change_against": against}
    if points:
        delta = float(f"{(now - before) * 100:.1f}")  # as shown: a -0.04 is no change
        text = f"{delta:+.1f} pts"
    else:
        delta = float(f"{(now - before) / before * 100:.0f}")
        text = f"{delta:+.0f}%"
    if delta == 0:
        text = "no change"  # never a red "-0.0 pts" or a green "+0%"
    return {"change": text, "change_direction": _direction(delta), "change_against": against}


def revenue_change(
    now: dict[str, Decimal] | None, before: dict[str, Decimal] | None, against: str
) -> dict[str, str]:
    """Compared when both periods took money in one and the same currency."""
    if not now or not before or len(now) != 1 or set(now) != set(before):
        return change(None if not now else 1, None, against)
    (currency,) = now
    return change(float(now[currency]), float(before[currency]), against)


def unattributed_revenue(summary: queries.Summary) -> str:
    """Money in the total that no studio row shows (payments recorded without a studio,
    from before payments carried one); '' when the rows add up."""
    total = summary.total.revenue or {}
    placed: dict[str, Decimal] = {}
    for _studio, metrics in summary.by_studio:
        for currency, amount in (metrics.revenue or {}).items():
            placed[currency] = placed.get(currency, Decimal(0)) + amount
    rest = {c: amount - placed.get(c, Decimal(0)) for c, amount in total.items()}
    return " + ".join(format_money(amount, c) for c, amount in rest.items() if amount)
