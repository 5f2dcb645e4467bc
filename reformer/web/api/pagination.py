"""Cursor pagination: a page ends with an opaque cursor for the next one.

The cursor holds the sort values of the last row (e.g. its start time and id), so the
next page is `WHERE (starts_at, id) > (last starts_at, last id)`: stable while rows are
added, and as fast on page 1000 as on page 1 (no OFFSET).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from django.db.models import Q, QuerySet

from reformer.core.errors import DomainError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _encode(values: list[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, dt.datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode(cursor: str, count: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad_cursor() from exc
    if not isinstance(values, list) or len(values) != count:
        raise _bad_cursor()
    return values


def _bad_cursor() -> DomainError:
    return DomainError(
        "validation",
        "That cursor is not valid: pass the next_cursor of the previous page unchanged.",
        field="cursor",
    )


def paginate(
    queryset: QuerySet, *, order: tuple[str, ...], cursor: str | None, limit: int | None
) -> tuple[list[Any], str | None]:
    """One page of `queryset` sorted by `order` (ascending, ending with a unique field)."""
    limit = DEFAULT_LIMIT if limit is None else limit
    queryset = queryset.order_by(*order)
    if cursor:
        values = _decode(cursor, len(order))
        queryset = queryset.filter(_after(order, _typed(queryset, order, values)))
    rows = list(queryset[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if has_more and rows:
        next_cursor = _encode([_value(rows[-1], field) for field in order])
    return rows, next_cursor


def _value(row: Any, field: str) -> Any:
    return getattr(row, "pk" if field == "pk" else field.replace("__", "."))


def _typed(queryset: QuerySet, order: tuple[str, ...], values: list[Any]) -> list[Any]:
    typed = []
    for field, value in zip(order, values, strict=True):
        model_field = (
            queryset.model._meta.pk if field == "pk" else queryset.model._meta.get_field(field)
        )
        try:
            if isinstance(value, str) and model_field.get_internal_type() == "DateTimeField":
                value = dt.datetime.fromisoformat(value)
            elif model_field.get_internal_type() in ("BigAutoField", "AutoField", "IntegerField"):
                value = int(value)
                if not -(2**63) < value < 2**63:
                    raise ValueError(value)
        except (TypeError, ValueError) as exc:
            raise _bad_cursor() from exc
        typed.append(value)
    return typed


def _after(order: tuple[str, ...], values: list[Any]) -> Q:
    """(a, b, c) > (x, y, z) as a filter Django can express."""
    condition = Q()
    for index in range(len(order) - 1, -1, -1):
        step = Q(**{f"{order[index]}__gt": values[index]})
        for earlier in range(index):
            step &= Q(**{order[earlier]: values[earlier]})
        condition |= step
    return condition
