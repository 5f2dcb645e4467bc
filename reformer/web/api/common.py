"""Helpers shared by the API's route modules: date filters and pages."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Annotated, Any

from django.http import JsonResponse
from django.utils import timezone
from ninja import Header, Path, Query, Schema
from pydantic import BeforeValidator

from reformer.core.errors import DomainError
from reformer.web.api.pagination import paginate

_NUMBER = re.compile(r"[-+]?\d+(\.\d*)?([eE][-+]?\d+)?")


def _not_a_number(value: Any) -> Any:
    """Query strings are text: pydantic would read "0.5" as a Unix time. Ask for ISO 8601."""
    if not isinstance(value, str) or _NUMBER.fullmatch(value.strip()):
        raise ValueError("use an ISO 8601 date or date-time, e.g. 2026-03-01T07:00:00Z")
    return value


Moment = Annotated[dt.datetime, BeforeValidator(_not_a_number)]

FROM_DESCRIPTION = "Only rows on or after this moment (ISO 8601; a date means its UTC midnight)."
TO_DESCRIPTION = "Only rows before this moment (ISO 8601)."
FROM_QUERY = Query(None, alias="from", description=FROM_DESCRIPTION)
TO_QUERY = Query(None, alias="to", description=TO_DESCRIPTION)
SCHEDULE_FROM_QUERY = Query(None, alias="from", description=FROM_DESCRIPTION + " Default: now.")
SCHEDULE_TO_QUERY = Query(
    None, alias="to", description=TO_DESCRIPTION + " Default: 14 days after `from`."
)
# A row id in a path (positive, within bigint) and the header that makes a write repeatable.
ID = Path(ge=1, le=2**62)
IDEMPOTENCY = Header(
    None,
    alias="Idempotency-Key",
    description="Any unique string (e.g. a UUID): a repeat gets the first answer, unchanged.",
)
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)


def aware(value: dt.datetime | dt.date | None, field: str) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time.min)
    if timezone.is_naive(value):
        value = value.replace(tzinfo=dt.UTC)
    if (
        not dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
        <= value
        <= dt.datetime(9000, 1, 1, tzinfo=dt.UTC)
    ):
        raise DomainError("validation", f"{field} is out of range.", field=field)
    # As UTC: PostgreSQL refuses offsets past 15:59 that Python accepts (-23:10).
    return value.astimezone(dt.UTC)


def page(
    queryset,
    schema: type[Schema],
    *,
    order: tuple[str, ...],
    cursor: str | None,
    limit: int | None,
    extra: Callable[[list[Any]], dict[int, dict[str, Any]]] | None = None,
) -> JsonResponse:
    """A page as the response (serialized here by `schema`, so ninja does not validate it
    again: the OpenAPI document still names the schema)."""
    rows, next_cursor = paginate(queryset, order=order, cursor=cursor, limit=limit)
    additions = extra(rows) if extra else {}
    data = []
    for row in rows:
        item = schema.from_orm(row).model_dump(mode="json")
        item.update(additions.get(row.pk, {}))
        data.append(item)
    return JsonResponse({"data": data, "next_cursor": next_cursor})


def one(obj, schema: type[Schema], status: int = 200, **extra: Any) -> tuple[int, dict[str, Any]]:
    return status, schema.from_orm(obj).model_dump(mode="json") | extra


def json(status_and_body: tuple[int, dict[str, Any]]) -> JsonResponse:
    status, body = status_and_body
    return JsonResponse(body, status=status)
