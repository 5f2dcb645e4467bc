"""The error types domain actions raise: a stable code and a message fit for the user.

Two branches:
- `AccessError` (`NotFound`, `PermissionDenied`): the actor may not see or do this. Nothing
  for the user to fix; views let it through and the middleware answers 404 / 403.
- every other `DomainError`: a refusal the user can act on (the message says how). Views
  catch it to show the message in context; `web/errors.status_for` gives its HTTP status.

Codes are constants: the generic ones below, the rest in each app's `errors.py` (with that
app's code -> HTTP status table), so a grep for the name finds every raiser and reader.
"""

from __future__ import annotations

from typing import Any

VALIDATION = "validation"  # bad input; `field=` names the form field when there is one
NOT_FOUND = "not_found"
PERMISSION_DENIED = "permission_denied"
BUSY = "busy"
TIMED_OUT = "timed_out"
UPLOAD_FAILED = "upload_failed"

HTTP_STATUS: dict[str, int] = {BUSY: 503}


class DomainError(Exception):
    """A rule refused the change. Nothing was written.

    `code` is stable and machine-readable ("booking.class_full"); `message` is what the user
    reads, saying what went wrong and what to do; `data` carries extras a view may render
    (the existing booking, the waitlist offer, ...).
    """

    def __init__(self, code: str, message: str, **data: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def __repr__(self) -> str:
        return f"DomainError({self.code!r}, {self.message!r})"


class AccessError(DomainError):
    """Not found or forbidden: not the user's to fix. Views re-raise it (`except AccessError:
    raise` before `except DomainError`) and the middleware answers 404 / 403."""


class NotFound(AccessError):
    """The object is outside the actor's organization or does not exist: the same answer."""

    def __init__(self, what: str = "object", message: str | None = None) -> None:
        super().__init__(NOT_FOUND, message or f"That {what} was not found.")


class PermissionDenied(AccessError):
    """The actor is a known member of the organization but lacks the capability."""

    def __init__(self, capability: str) -> None:
        super().__init__(
            PERMISSION_DENIED,
            "You do not have permission to do that. Ask a studio owner or manager.",
            capability=capability,
        )


class Busy(DomainError):
    """A lock could not be had quickly: the user should simply try again."""

    def __init__(self) -> None:
        super().__init__(BUSY, "The studio is busy right now. Please try again in a moment.")


class TimedOut(DomainError):
    """The database stopped a statement that ran past the statement timeout; the
    transaction was rolled back, so nothing was changed."""

    def __init__(self) -> None:
        super().__init__(
            TIMED_OUT,
            "That took too long and was stopped: nothing was booked or charged. Please try again.",
        )
