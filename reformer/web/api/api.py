"""The public JSON API (/api/v1/): one NinjaAPI with its routers and error handlers.

Every error is application/problem+json (problems.py); the OpenAPI 3.1 document is served
at /api/v1/openapi.json and the interactive reference at /api/v1/docs.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema

from reformer.api.keys import SCOPES
from reformer.core.errors import DomainError
from reformer.web.api import appointments, bookings, people, schedule
from reformer.web.api.problems import PROBLEM_CONTENT_TYPE, domain_problem, problem_response
from reformer.web.api.security import ApiKeyAuth, RateLimited

DESCRIPTION = (
    """
The Reformer API gives a studio's own software what its staff see in Reformer: studios,
class types, classes, appointments, clients, packages, bookings, waitlists, attendance and
payments.

**Keys.** The owner creates keys under *Integrations → API keys*. A key acts as one member
of the organization, with that member's permissions, narrowed by its scopes:
"""
    + "\n".join(f"- `{scope}`: {label}" for scope, label in SCOPES.items())
    + """

Send it as `Authorization: Bearer rk_...`. The public schedule needs no key.

**Pages.** Lists return `{"data": [...], "next_cursor": "..."}`; pass `cursor` to get the
next page (null on the last one). `limit` is 1 to 200 (default 50).

**Writes** accept an `Idempotency-Key` header: a repeat within 24 hours gets the first
answer (header `Idempotent-Replayed: true`) and changes nothing.

**Errors** are `application/problem+json` (RFC 9457) with a stable `code`, e.g.
`booking.class_full`, and a `detail` to show the person.

**Rate limits** are per key and minute; past the limit the answer is 429 with `Retry-After`.
"""
)


class ReformerAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> OpenAPISchema:
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        response["content"] = {PROBLEM_CONTENT_TYPE: content["application/json"]}
                    if int(status) in (429, 503):
                        response["headers"] = {
                            "Retry-After": {
                                "description": "Seconds to wait before trying again.",
                                "schema": {"type": "string"},
                            }
                        }
        return schema


api = ReformerAPI(
    title="Reformer API",
    version="1.0",
    description=DESCRIPTION,
    auth=ApiKeyAuth(),
    urls_namespace="api_v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
api.add_router("", schedule.router)
api.add_router("", schedule.public)
api.add_router("", people.router)
api.add_router("", bookings.router)
api.add_router("", appointments.router)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
    return domain_problem(error)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, error: ValidationError) -> HttpResponse:
    errors = []
    for item in error.errors:
        location = [str(part) for part in item.get("loc", ()) if part not in ("body", "payload")]
        errors.append({"field": ".".join(location) or "body", "message": str(item.get("msg", ""))})
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "Invalid request."
    return problem_response(422, "validation", detail, errors=errors)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    return problem_response(
        401,
        "unauthorized",
        "Send a valid API key as `Authorization: Bearer rk_...`; the owner creates keys "
        "under Integrations → API keys. Revoked keys stop working at once.",
        headers={"WWW-Authenticate": "Bearer"},
    )


@api.exception_handler(RateLimited)
def on_rate_limited(request: HttpRequest, error: RateLimited) -> HttpResponse:
    return problem_response(
        429,
        "rate_limited",
        f"This key made more than {error.limit} requests this minute. "
        f"Try again in {error.retry_after} s.",
        headers={"Retry-After": str(error.retry_after)},
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    status = error.status_code
    code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}.get(status, "error")
    return problem_response(status, code, str(error) or "The request could not be handled.")
