"""Database errors as domain errors: lock waits become Busy, constraint names become codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, IntegrityError, OperationalError

from reformer.core.errors import Busy

# SQLSTATEs of a lock we could not get in time: lock_timeout (55P03) and a deadlock
# victim (40P01). Both mean "someone else is busy with this class": try again.
_BUSY_SQLSTATES = {"55P03", "40P01"}


def sqlstate(exc: DatabaseError) -> str | None:
    return getattr(exc.__cause__, "sqlstate", None)


def constraint_name(exc: IntegrityError) -> str | None:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)


def is_busy(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) and sqlstate(exc) in _BUSY_SQLSTATES


@contextmanager
def busy_as_domain_error() -> Iterator[None]:
    """Wrap a transaction: a lock wait past lock_timeout becomes "busy, please try again"."""
    try:
        yield
    except OperationalError as exc:
        if sqlstate(exc) in _BUSY_SQLSTATES:
            raise Busy() from exc
        raise
