"""The raw INSERTs on the hot paths name every column of their table: a model that gains a
column fails here until the statement lists it (a default in the database is not enough,
Django keeps defaults in Python)."""

from __future__ import annotations

import re

import pytest

from reformer.bookings.actions._place import _INSERT_SQL as BOOKING_INSERT_SQL
from reformer.bookings.models import Booking
from reformer.notifications.actions import _INSERT_SQL as MESSAGE_INSERT_SQL
from reformer.notifications.models import Message
from reformer.scheduling.actions.generation import _FIELDS as GENERATED_SESSION_FIELDS
from reformer.scheduling.models import ClassSession


def listed_columns(sql: str, table: str) -> set[str]:
    match = re.search(rf"INSERT INTO {table}\s*\(([^)]*)\)", sql)
    assert match, f"no INSERT INTO {table} column list"
    return {column.strip().strip('"') for column in match.group(1).split(",")}


def model_columns(model, *, except_serial: bool = False) -> set[str]:
    return {
        field.column
        for field in model._meta.concrete_fields
        if not (except_serial and field.primary_key)
    }


@pytest.mark.parametrize(
    ("sql", "table", "model", "except_serial"),
    [
        (BOOKING_INSERT_SQL, "bookings_booking", Booking, False),  # id drawn in advance
        (MESSAGE_INSERT_SQL, "notifications_message", Message, True),
    ],
    ids=["booking", "message"],
)
def test_it_lists_every_column_of_the_table(sql, table, model, except_serial):
    assert listed_columns(sql, table) == model_columns(model, except_serial=except_serial)


def test_session_generation_inserts_every_column():
    columns = {ClassSession._meta.get_field(name).column for name in GENERATED_SESSION_FIELDS}
    assert columns == model_columns(ClassSession, except_serial=True)


def test_it_notices_a_column_the_statement_lacks():
    """The check itself: a column missing from the statement is found."""
    lacking = BOOKING_INSERT_SQL.replace(" strike_used_at,", "")
    assert listed_columns(lacking, "bookings_booking") != model_columns(Booking)
