"""A panel's figures as a plain table: what the screen-reader table, the drill-down and
every export (CSV, XLSX, PDF) are made from."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[object]] = field(default_factory=list)
    note: str = ""


def percent(value: float | None) -> str:
    return "N/A" if value is None else f"{value * 100:.1f}%"


def ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def change(current: float, previous: float | None) -> float | None:
    """Growth from previous to current (0.25 = +25%); None when there is nothing to compare."""
    if previous is None or previous == 0:
        return None
    return (current - previous) / previous
