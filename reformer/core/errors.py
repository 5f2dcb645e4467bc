"""The one error type domain actions raise: a stable code and a message fit for the user."""

from __future__ import annotations

from typing import Any


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


class NotFound(DomainError):
    """The object is outside the actor's organization or does not exist: the same answer."""

    def __init__(self, what: str = "object") -> None:
        super().__init__("not_found", f"That {what} was not found.")


class PermissionDenied(DomainError):
    """The actor is a known member of the organization but lacks the capability."""

    def __init__(self, capability: str) -> None:
        super().__init__(
            "permission_denied",
            "You do not have permission to do that. Ask a studio owner or manager.",
            capability=capability,
        )


class Busy(DomainError):
    """A lock could not be had quickly: the user should simply try again."""

    def __init__(self) -> None:
        super().__init__("busy", "The studio is busy right now. Please try again in a moment.")


class TimedOut(DomainError):
    """The database stopped a statement that ran past the statement timeout; the
    transaction was rolled back, so nothing was changed."""

    def __init__(self) -> None:
        super().__init__(
            "timed_out",
            "That took too long and was stopped: nothing was booked or charged. Please try again.",
        )
