"""Idempotency-Key on writes: the first answer is stored and replayed for a repeat.

The actions commit in their own (durable) transactions, so the key is claimed first, in a
statement of its own: the unique index lets one request claim it; a repeat arriving
while the first is still running is told so (409, Retry-After: 1), a repeat after it gets
the stored answer (`Idempotent-Replayed: true`), and a repeat with another body is
refused (the key was reused for a different request). Refusals are stored too (repeating
a refused booking gives the same refusal); a busy database (503) releases the key, so the
client's retry really retries. If the process dies between the action's commit and the
answer being stored, the key stays "in progress" until the daily clean-up: the client is
never told twice, nor booked twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, cast

from django.db import connection
from django.http import HttpRequest, JsonResponse

from reformer.api.models import IdempotentRequest
from reformer.core.errors import DomainError
from reformer.web.api.problems import domain_problem, problem_response, status_for
from reformer.web.api.security import ApiRequest

Run = Callable[[], tuple[int, dict[str, Any]]]

_CLAIM_SQL = """
INSERT INTO api_idempotentrequest (api_key_id, key, fingerprint, created_at)
VALUES (%s, %s, %s, now())
ON CONFLICT (api_key_id, key) DO NOTHING
RETURNING id
"""


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update((request.method or "").encode() + b" " + request.path.encode() + b"\n")
    digest.update(request.body)
    return digest.hexdigest()


def _answer(run: Run) -> tuple[int, dict[str, Any] | None, DomainError | None]:
    try:
        status, body = run()
    except DomainError as error:
        return status_for(error), None, error
    return status, body, None


def respond(http_request: HttpRequest, idempotency_key: str | None, run: Run) -> JsonResponse:
    request = cast(ApiRequest, http_request)
    if idempotency_key is None:
        status, body, error = _answer(run)
        return domain_problem(error) if error else JsonResponse(body, status=status)
    if not 1 <= len(idempotency_key) <= 255 or not idempotency_key.isprintable():
        return problem_response(
            422,
            "validation",
            "An Idempotency-Key is 1 to 255 printable characters, e.g. a UUID.",
            errors=[{"field": "Idempotency-Key", "message": "1 to 255 printable characters"}],
        )
    fingerprint = _fingerprint(request)
    with connection.cursor() as cursor:  # autocommit: the claim is visible at once
        cursor.execute(_CLAIM_SQL, [request.api_key.pk, idempotency_key, fingerprint])
        claimed = cursor.fetchone() is not None
    if not claimed:
        return _replay(request, idempotency_key, fingerprint)
    mine = IdempotentRequest.objects.filter(api_key=request.api_key, key=idempotency_key)
    # An unexpected failure leaves the key "in progress": its outcome is unknown, and a
    # repeat must not risk doing it twice.
    status, body, error = _answer(run)
    if error is not None and status >= 500:
        mine.delete()  # a retry must really retry
        return domain_problem(error)
    stored = domain_problem(error) if error else JsonResponse(body, status=status)
    mine.update(status_code=stored.status_code, response_body=json.loads(stored.content))
    return stored


def _replay(request: ApiRequest, idempotency_key: str, fingerprint: str) -> JsonResponse:
    stored = IdempotentRequest.objects.get(api_key=request.api_key, key=idempotency_key)
    if stored.fingerprint != fingerprint:
        return problem_response(
            422,
            "idempotency.key_reused",
            "This Idempotency-Key was already used for a different request. Use a new key "
            "for each new request.",
        )
    if stored.status_code is None:
        return _in_progress()
    content_type = "application/problem+json" if stored.status_code >= 400 else "application/json"
    response = JsonResponse(
        stored.response_body, status=stored.status_code, content_type=content_type
    )
    response["Idempotent-Replayed"] = "true"
    return response


def _in_progress() -> JsonResponse:
    return problem_response(
        409,
        "idempotency.in_progress",
        "A request with this Idempotency-Key is still being processed. Try again shortly.",
        headers={"Retry-After": "1"},
    )
