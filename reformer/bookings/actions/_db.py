"""Database errors as domain errors: lock waits become Busy, constraint names become codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, IntegrityError, OperationalError

from reformer.core.errors import Busy, TimedOut

# SQLSTATEs of a lock we could not get in time: lock_timeout (55P03) and a deadlock
# victim (40P01). Both mean "someone else is busy with this class": try again.
_BUSY_SQLSTATES = {"55P03", "40P01"}
# statement_timeout (57014): `reformer serve` caps statements at 30 s (PHX-10's timeout).
_TIMED_OUT_SQLSTATE = "57014"


def sqlstate(exc: DatabaseError) -> str | None:
    return getattr(exc.__cause__, "sqlstate", None)


def constraint_name(exc: IntegrityError) -> str | None:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)


def is_busy(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) and sqlstate(exc) in _BUSY_SQLSTATES


@contextmanager
def busy_as_domain_error() -> Iterator[None]:
    """Wrap a transaction: a lock wait past lock_timeout becomes "busy, please try again",
    a statement past statement_timeout "took too long, nothing was booked"."""
    try:
        yield
    except OperationalError as exc:
        if sqlstate(exc) in _BUSY_SQLSTATES:
            raise Busy() from exc
        if sqlstate(exc) == _TIMED_OUT_SQLSTATE:
            raise TimedOut() from exc
        raise
