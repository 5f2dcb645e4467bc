"""Several independent reads in one round trip to the database (psycopg's pipeline mode).

Reads that do not depend on each other's answers are sent together and answered together:
one round trip instead of one each. Measured on this machine's loopback socket the saving
is within noise (bench: 3 browse reads, 4.9 ms sequential vs 5.0 ms pipelined at load 4);
it is a round trip per extra statement when the database is across a network (several web
nodes against one PostgreSQL: docs/deploy.md). Used by the page clients open most (the
browse page), and by the booking's transaction, whose writes go together
(`run_together`: bookings/actions/_pipelined.py); most code should simply use the ORM.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import psycopg
from django.db import connection

Statement = tuple[str, Mapping[str, Any]]

# psycopg's own timestamptz loader (C when psycopg is built with it). Django registers a
# Python subclass on each connection that re-labels every value with the connection's zone:
# a third of the CPU of reading the browse page's 200 classes. With the connection in UTC,
# as Django keeps it (USE_TZ), psycopg's loader gives the very same values, datetime.UTC.
_TIMESTAMPTZ_LOADER = psycopg.adapters.get_loader(
    psycopg.adapters.types["timestamptz"].oid, psycopg.pq.Format.TEXT
)


def read_together(*statements: Statement) -> list[list[tuple[Any, ...]]]:
    """The rows of each (sql, params) statement, in order, from one round trip. Each runs
    through Django's cursor (query counting, logging and error wrapping as usual)."""
    if len(statements) == 1:  # nothing to batch: an ordinary query
        with _cursor() as cursor:
            cursor.execute(*statements[0])
            return [cursor.fetchall()]
    return _pipelined(statements, _cursor)


def run_together(*statements: Statement) -> list[list[tuple[Any, ...]]]:
    """Statements that may write, sent in one round trip and run one after another (each
    with its own snapshot, as if sent one by one): each one's rows ([] for a statement that
    answers nothing). An error in one is raised, as Django raises it, once all are answered;
    the statements after it did not run (the transaction is then aborted). In a transaction
    not yet begun, psycopg sends its BEGIN alone first."""
    return _pipelined(statements, planned_cursor)


def _pipelined(
    statements: tuple[Statement, ...], new_cursor: Callable[[], Any]
) -> list[list[tuple[Any, ...]]]:
    connection.ensure_connection()
    raw = connection.connection
    cursors = []
    try:
        # Leaving the block sends the statements and waits for every answer; an error in
        # one is raised here, as Django raises it from a single query.
        with connection.wrap_database_errors, raw.pipeline():
            for sql, params in statements:
                cursor = new_cursor()
                cursors.append(cursor)
                cursor.execute(sql, params)
        return [cursor.fetchall() if cursor.description else [] for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()


PREPARE_FROM_RUN = 5  # psycopg's own default


def planned_cursor():
    """A Django cursor whose statements PostgreSQL keeps planned on this connection.

    Django binds parameters on the client, so PostgreSQL parses and plans every statement
    anew; for the booking's statements (a dozen joined tables before the lock, CTEs after)
    that was two thirds of the server's CPU a booking costs (bench/booking.py, measured
    with pg_backend_pid's CPU: 12 ms against 4 ms at load 8). This cursor binds on the
    server, so psycopg prepares a statement from its fifth run on the connection (it keeps
    the last hundred) and PostgreSQL reuses its plan: for kept connections (the pool), and
    only for SQL written for it (a parameter's type must be clear from its use)."""
    connection.ensure_connection()
    connection.validate_thread_sharing()
    if connection.connection.prepare_threshold is None:
        # Django turns psycopg's preparing off; only server-binding cursors such as this
        # one prepare at all, so turning it back on leaves Django's own statements alone.
        connection.connection.prepare_threshold = PREPARE_FROM_RUN
    cursor: Any = psycopg.Cursor(connection.connection)  # (the stubs want a wrapper)
    if connection.queries_logged:
        return connection.make_debug_cursor(cursor)
    return connection.make_cursor(cursor)


def _cursor():
    cursor = connection.cursor()
    if connection.timezone_name == "UTC" and _TIMESTAMPTZ_LOADER is not None:
        cursor.cursor.adapters.register_loader("timestamptz", _TIMESTAMPTZ_LOADER)
    return cursor
