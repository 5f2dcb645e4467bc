"""What every client view shares: who may see these pages, and how refusals are answered."""

from __future__ import annotations

from reformer.core.permissions import BOOK_SELF
from reformer.web.auth import capability_required
from reformer.web.errors import is_htmx
from reformer.web.http import AppRequest

# Clients only: staff of the organization get 403, people without one are sent to join one.
client_required = capability_required(BOOK_SELF)


def is_partial(request: AppRequest) -> bool:
    """An htmx request for a fragment (a history restore wants the whole page)."""
    return is_htmx(request) and not request.htmx.history_restore_request


def target_of(request: AppRequest) -> str:
    return (request.htmx.target or "") if is_htmx(request) else ""
