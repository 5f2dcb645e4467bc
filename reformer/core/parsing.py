"""Numbers and ids from untrusted text (query strings, form fields, websocket URLs).

One helper for all of them, because `str.isdigit()` accepts superscripts ("²") that `int()`
refuses, and `int()` accepts numbers PostgreSQL columns cannot hold (a `DataError`, so a 500).
Only ASCII digits with an optional leading minus are accepted, and only within bounds.
"""

from __future__ import annotations

import re

from reformer.core.errors import VALIDATION, DomainError

# Primary keys are bigint; integer columns (credits, days, capacities) are 32-bit.
MAX_ID = 2**63 - 1
MAX_INT32 = 2**31 - 1

# At most 19 digits: anything longer cannot be in bounds, and int() of a huge string is slow.
_INTEGER = re.compile(r"-?[0-9]{1,19}", re.ASCII)


def to_int(value: object, *, minimum: int, maximum: int) -> int | None:
    """The whole number `value` spells, if it lies in [minimum, maximum]; otherwise None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if not _INTEGER.fullmatch(text):
            return None
        number = int(text)
    else:
        return None
    return number if minimum <= number <= maximum else None


def to_id(value: object) -> int | None:
    """A primary key from a query string or form field, or None when it cannot be one."""
    return to_int(value, minimum=1, maximum=MAX_ID)


def require_int(
    value: object, *, field: str, label: str, minimum: int = 0, maximum: int = MAX_INT32
) -> int:
    """`to_int` for a form field: a clear validation error (422) instead of None."""
    number = to_int(value, minimum=minimum, maximum=maximum)
    if number is not None:
        return number
    if to_int(value, minimum=-MAX_ID, maximum=MAX_ID) is None:
        raise DomainError(VALIDATION, f"{label} must be a whole number.", field=field)
    raise DomainError(VALIDATION, f"{label} must be between {minimum} and {maximum}.", field=field)


def to_text(value: object, *, max_length: int) -> str:
    """A free-text filter from a query string: NUL removed (PostgreSQL text cannot hold it),
    surrounding space trimmed, cut to `max_length`."""
    return str(value or "").replace("\x00", "").strip()[:max_length]


def to_key(value: object, *, max_length: int = 255) -> str | None:
    """A token, slug or reference from a URL, or None when no row can have it: empty, longer
    than the column (`max_length`), or holding a NUL. PostgreSQL text cannot hold a NUL,
    and comparing a column with one is an error (a 500), not "no such row": every lookup
    by a key from a URL goes through this and answers not found for None."""
    if not isinstance(value, str) or not value or len(value) > max_length or "\x00" in value:
        return None
    return value
