"""Helpers for the raw SQL of the hot paths (docs/architecture.md, "Raw SQL lives only on
the hot paths").

A hot statement that joins a row to the rows it points at (a class to its studio, room,
type, ...) pays more to be planned than to run: PostgreSQL searches the join orders of
every table in it, and with eight tables that search took ten times the execution
(planning 1.4 ms against 0.1 ms, measured with EXPLAIN ANALYZE on this 2-core machine).
Each to-one lookup written as `to_one(...)` is a lateral subquery that the planner keeps
apart (OFFSET 0), so there is no order to search: it is the index lookup it always was.
"""

from __future__ import annotations


def to_one(table: str, alias: str, where: str, *, optional: bool = False) -> str:
    """`JOIN table alias ON where` for a lookup of at most one row by key (`where` names the
    table's own columns unqualified, e.g. "id = s.studio_id"). `optional`: a LEFT JOIN
    (NULL columns when there is no row), else an inner one (no row, no result)."""
    lookup = f"LATERAL (SELECT * FROM {table} WHERE {where} OFFSET 0) AS {alias}"
    return f"LEFT JOIN {lookup} ON true" if optional else f"CROSS JOIN {lookup}"
