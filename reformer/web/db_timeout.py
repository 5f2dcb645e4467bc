"""A statement timeout for the part of a page that may be slow, so that part alone can give
way ("Loading..." and a later fetch) instead of holding up the whole first response."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import OperationalError, connection, transaction
from psycopg import errors as pg_errors


@contextmanager
def statement_timeout(milliseconds: int) -> Iterator[None]:
    """Every statement inside is cancelled past `milliseconds` (SET LOCAL: the cap ends with
    the block's transaction, a pooled connection keeps its own). Durable: inside another
    transaction the block would be a savepoint, and the cap would outlive it."""
    with transaction.atomic(durable=True):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = %s", [milliseconds])
        yield


def timed_out(error: OperationalError) -> bool:
    """Whether the database cancelled the statement for the timeout (not another failure)."""
    return isinstance(error.__cause__, pg_errors.QueryCanceled)
