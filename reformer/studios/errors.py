"""The studio setup refusals:
stable `DomainError.code` values, and the HTTP status each
is answered with (web/errors.status_for reads HTTP_STATUS; codes not listed answer 422).

Raise them as `DomainError(CODE, message)`; compare `error.code` with these names only."""

from __future__ import annotations

CLOSURE_CLASSES_SCHEDULED = "closure.classes_scheduled"

HTTP_STATUS: dict[str, int] = {}
