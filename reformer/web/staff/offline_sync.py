"""Attendance marks made offline, sent by the service worker when the device reconnects
(JSON in, JSON out): POST {"marks": [{"key", "booking", "status", "marked_at"}, ...]} ->
{"results": [{"key", "outcome", "message", "repeated"}, ...]} in the same order."""

from __future__ import annotations

import datetime as dt
import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

from reformer.bookings.actions import MarkRequest, apply_offline_marks
from reformer.core.errors import AccessError, DomainError
from reformer.core.parsing import to_id
from reformer.web.auth import staff_required
from reformer.web.staff.common import actor_of


def _parse(body: bytes) -> list[MarkRequest]:
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("The marks could not be read (not JSON).") from exc
    items = data.get("marks") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ValueError('Send {"marks": [...]}.')
    marks = []
    for item in items:
        if not isinstance(item, dict):
            raise ValueError("Each mark is an object.")
        booking_id = to_id(str(item.get("booking", "")))
        if booking_id is None:
            raise ValueError("Each mark names a booking.")
        marked_at = None
        if isinstance(item.get("marked_at"), str):
            try:
                marked_at = dt.datetime.fromisoformat(item["marked_at"].replace("Z", "+00:00"))
            except ValueError:
                marked_at = None
            if marked_at is not None and marked_at.tzinfo is None:
                marked_at = None
        marks.append(
            MarkRequest(
                key=str(item.get("key", ""))[:65],
                booking_id=booking_id,
                status=str(item.get("status", "")),
                marked_at=marked_at,
            )
        )
    return marks


@require_POST
@staff_required
def attendance_sync(request: HttpRequest) -> JsonResponse:
    actor = actor_of(request)
    try:
        marks = _parse(request.body)
    except ValueError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    try:
        results = apply_offline_marks(actor, marks)
    except AccessError:
        raise
    except DomainError as error:
        return JsonResponse({"error": error.message}, status=422)
    return JsonResponse(
        {
            "results": [
                {
                    "key": r.key,
                    "outcome": r.outcome,
                    "message": r.message,
                    "repeated": r.repeated,
                }
                for r in results
            ]
        }
    )
