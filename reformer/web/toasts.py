"""Toasts: short notices shown in the page's `#toasts` region.

- Full pages: Django messages render as toasts in the base layout.
- htmx responses: `messages.success(request, ...)` works too (HtmxMessagesMiddleware
  appends them out of band), or call `add_toast(response, "Saved.")` directly.
- A response that is only a toast (an error for an htmx request): `toast_response(...)`;
  it carries `HX-Reswap: none` so the request's target is left alone, and the header
  `X-Reformer-Toast`, which tells app.js to process it even with an error status.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpResponse
from django.template.loader import render_to_string

LEVELS = {
    "debug": "info",
    "info": "info",
    "success": "success",
    "warning": "warning",
    "error": "error",
}


def toasts_oob(toasts: Iterable[tuple[str, str]]) -> str:
    """HTML appending toasts to `#toasts` (an htmx out-of-band swap)."""
    items = [{"message": message, "level": LEVELS.get(level, "info")} for message, level in toasts]
    if not items:
        return ""
    return render_to_string("components/toasts_oob.html", {"toasts": items})


def toast_oob(message: str, level: str = "info") -> str:
    return toasts_oob([(message, level)])


def add_toast(response: HttpResponse, message: str, level: str = "success") -> HttpResponse:
    response.content += toast_oob(message, level).encode()
    return response


def toast_response(message: str, level: str = "error", *, status: int = 422) -> HttpResponse:
    response = HttpResponse(toast_oob(message, level), status=status)
    response["HX-Reswap"] = "none"
    response["X-Reformer-Toast"] = "1"
    return response
