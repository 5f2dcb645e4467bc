"""Every answer under /api/ is a problem document, even those no API view gives.

Django answers an unknown path (404), a method the route lacks (405, from ninja's path view)
and an unreadable or oversized body (400) with HTML pages; an API client expects
application/problem+json there as everywhere else (docs/architecture.md "API"). This
middleware refuses oversized bodies up front (413, before anything reads them) and turns
any other non-JSON error answer under /api/ into the matching problem document.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from reformer.web.api.problems import PROBLEM_CONTENT_TYPE, problem_response

API_PREFIX = "/api/"
DOCS = "/api/v1/docs"


def body_limit_text() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    return f"{limit / 1_000_000:.1f} MB"


def too_large() -> HttpResponse:
    return problem_response(
        413,
        "request_too_large",
        f"The request body is larger than the API accepts ({body_limit_text()}). "
        "Send less data per request.",
    )


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _as_problem(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    status = response.status_code
    if status == 404:
        return problem_response(
            404,
            "not_found",
            f"There is no API endpoint at {request.path}. The reference is at {DOCS}.",
        )
    if status == 405:
        allowed = response.get("Allow", "")
        return problem_response(
            405,
            "method_not_allowed",
            f"{request.method} is not allowed on {request.path}; it takes {allowed}.",
            headers={"Allow": allowed},
        )
    if status == 400:
        return problem_response(400, "bad_request", "The request could not be read.")
    if status == 413:
        return too_large()
    return problem_response(
        status, "error", "The request could not be handled.", headers=_kept(response)
    )


def _kept(response: HttpResponse) -> dict[str, str]:
    return {name: response[name] for name in ("Retry-After",) if name in response}


class ApiProblemMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and _declared_length(request) > limit:
            return too_large()
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if response.status_code < 400 or content_type.startswith(
            (PROBLEM_CONTENT_TYPE, "application/json")
        ):
            return response
        return _as_problem(request, response)
