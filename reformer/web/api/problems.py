"""Errors as RFC 9457 problem details (application/problem+json), with the domain code.

Every refusal of the API answers with this one shape; `code` is the DomainError's stable
code ("booking.class_full"), `detail` its message, fit to show a person.
"""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse
from pydantic import BaseModel, Field

from reformer.core.errors import DomainError
from reformer.web.errors import status_for as web_status_for

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://reformer.dev/problems/"

# The API's own codes; every domain code answers as on the web (web/errors.status_for).
API_STATUS: dict[str, int] = {
    "timed_out": 503,
    "idempotency.key_reused": 422,
    "idempotency.in_progress": 409,
    "rate_limited": 429,
    "unauthorized": 401,
    "bad_request": 400,
}
TITLES = {
    400: "Bad request",
    402: "Payment required",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone",
    413: "Request too large",
    422: "Unprocessable request",
    429: "Too many requests",
    503: "Service busy",
}


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, with the domain error code."""

    type: str = Field(description="A URI naming the kind of problem.")
    title: str
    status: int
    detail: str = Field(description="What went wrong and what to do, for a person.")
    code: str = Field(description='Stable machine-readable code, e.g. "booking.class_full".')
    errors: list[FieldError] | None = None


def status_for(error: DomainError) -> int:
    return API_STATUS.get(error.code) or web_status_for(error)


def problem_body(
    status: int, code: str, detail: str, errors: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": TYPE_BASE + code.replace(".", "/"),
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    return body


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    response = JsonResponse(
        problem_body(status, code, detail, errors), status=status, content_type=PROBLEM_CONTENT_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def domain_problem(error: DomainError) -> JsonResponse:
    status = status_for(error)
    errors = None
    if field := error.data.get("field"):
        errors = [{"field": str(field), "message": error.message}]
    headers = {"Retry-After": "1"} if status in (503, 409) and error.code in _RETRYABLE else None
    return problem_response(status, error.code, error.message, errors=errors, headers=headers)


_RETRYABLE = {"busy", "timed_out", "idempotency.in_progress"}

# Error responses every keyed operation may give (declared in the OpenAPI document).
KEYED_ERRORS = {401: Problem, 403: Problem, 404: Problem, 422: Problem, 429: Problem, 503: Problem}
WRITE_ERRORS = KEYED_ERRORS | {400: Problem, 402: Problem, 409: Problem}
