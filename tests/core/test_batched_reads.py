"""Several reads in one round trip (core/batched_reads.py): each statement's rows, in order,
through Django's cursor (counted as queries), errors raised as Django raises them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection

from reformer.core.batched_reads import read_together
from reformer.studios.models import Organization
from tests import factories

pytestmark = pytest.mark.django_db


def test_it_answers_each_statement_in_order(django_assert_num_queries):
    organization = factories.OrganizationFactory(name="Batched Pilates")
    with django_assert_num_queries(3):
        names, numbers, nothing = read_together(
            ("SELECT name FROM studios_organization WHERE id = %(id)s", {"id": organization.pk}),
            ("SELECT n FROM generate_series(1, %(last)s) AS n", {"last": 3}),
            ("SELECT 1 WHERE false", {}),
        )
    assert names == [("Batched Pilates",)]
    assert numbers == [(1,), (2,), (3,)]
    assert nothing == []


def test_moments_read_as_the_orm_reads_them():
    """psycopg's own loader for timestamptz, as fast as it gets: the same values as Django's,
    in datetime.UTC (what the card cache's keys compare)."""
    organization = factories.OrganizationFactory()
    orm = Organization.objects.values_list("created_at", flat=True).get(pk=organization.pk)
    sql = "SELECT created_at FROM studios_organization WHERE id = %(id)s"
    for rows in (
        read_together((sql, {"id": organization.pk}))[0],
        read_together((sql, {"id": organization.pk}), ("SELECT 1", {}))[0],
    ):
        ((moment,),) = rows
        assert moment == orm and moment.tzinfo is dt.UTC and orm.tzinfo is dt.UTC


def test_one_statement_is_an_ordinary_query():
    assert read_together(("SELECT %(a)s + 1", {"a": 1})) == [[(2,)]]


@pytest.mark.django_db(transaction=True)
def test_an_error_in_one_statement_is_a_database_error_and_the_connection_stays_usable():
    """In autocommit mode, as requests run: the failed batch leaves nothing behind."""
    with pytest.raises(DatabaseError):
        read_together(("SELECT 1", {}), ("SELECT * FROM no_such_table", {}))
    assert read_together(("SELECT 2", {}), ("SELECT 3", {})) == [[(2,)], [(3,)]]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 4")
        assert cursor.fetchone() == (4,)
