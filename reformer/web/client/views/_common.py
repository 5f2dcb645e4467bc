"""What every client view shares: who may see these pages, and how refusals are answered."""

from __future__ import annotations

from django.http import HttpRequest

from reformer.core.errors import DomainError
from reformer.core.permissions import BOOK_SELF
from reformer.web.auth import capability_required
from reformer.web.errors import is_htmx

# Clients only: staff of the organization get 403, people without one are sent to join one.
client_required = capability_required(BOOK_SELF)

# Refusals a client can act on, by HTTP status. The booking dialog swaps these in (client.js
# lets [data-swap-errors] regions take 402/409/503; the shell's htmx config takes 422).
_STATUS = {
    "busy": 503,
    "booking.class_full": 409,
    "booking.already_booked": 409,
    "booking.spot_taken": 409,
    "booking.overlap": 409,
    "booking.session_started": 409,
    "booking.session_cancelled": 409,
    "booking.already_cancelled": 409,
    "waitlist.places_left": 409,
    "waitlist.already_waiting": 409,
    "waitlist.not_waiting": 409,
    "booking.insufficient_credits": 402,
}


def status_for(error: DomainError) -> int:
    return _STATUS.get(error.code, 422)


def is_partial(request: HttpRequest) -> bool:
    """An htmx request for a fragment (a history restore wants the whole page)."""
    return is_htmx(request) and not request.htmx.history_restore_request


def target_of(request: HttpRequest) -> str:
    return (request.htmx.target or "") if is_htmx(request) else ""
