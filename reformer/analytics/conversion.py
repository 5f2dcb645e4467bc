"""Intro-offer conversion: of the clients whose first purchase fell in the period, how many
bought again within 90 days, per first product.

A client's first purchase is their introduction to the studio, whatever the product, so
the table shows which entry product converts best. When products gain an explicit
intro-offer flag (the intro offers work), the `firsts` query is where to narrow to them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from reformer.analytics.insight_filters import AnalyticsQuery
from reformer.analytics.revenue import payments_have_studio
from reformer.analytics.tables import Table, percent, ratio

CONVERSION_WINDOW = dt.timedelta(days=90)


@dataclass
class ConversionRow:
    product: str
    clients: int
    converted: int

    @property
    def rate(self) -> float | None:
        return ratio(self.converted, self.clients)


@dataclass
class Conversion:
    available: bool
    rows: list[ConversionRow] = field(default_factory=list)

    @property
    def clients(self) -> int:
        return sum(r.clients for r in self.rows)

    @property
    def converted(self) -> int:
        return sum(r.converted for r in self.rows)

    @property
    def rate(self) -> float | None:
        return ratio(self.converted, self.clients)

    def table(self) -> Table:
        table = Table(
            "Intro-offer conversion",
            ["First purchase", "New buyers", "Bought again within 90 days", "Conversion"],
        )
        for row in self.rows:
            table.rows.append([row.product, row.clients, row.converted, percent(row.rate)])
        if self.rows:
            table.rows.append(
                ["All first purchases", self.clients, self.converted, percent(self.rate)]
            )
        return table


def conversion(q: AnalyticsQuery) -> Conversion:
    """One query: each client's first succeeded payment, then whether another followed."""
    if not (q.scope.whole_organization or payments_have_studio()):
        return Conversion(False)
    start, end = q.bounds()
    # One pass over the organization's succeeded payments: each client's first payment and
    # the one after it (a correlated EXISTS made the planner probe an index per client).
    sql = """
        WITH ranked AS (
            SELECT p.client_id, p.created_at, p.product_id,
                   row_number() OVER w AS n, lead(p.created_at) OVER w AS next_at
              FROM billing_payment p
             WHERE p.organization_id = %s AND p.status = 'succeeded'
            WINDOW w AS (PARTITION BY p.client_id ORDER BY p.created_at, p.id)
        )
        SELECT COALESCE(pr.name, 'Other payments'), COUNT(*),
               COUNT(*) FILTER (WHERE f.next_at < f.created_at + %s)
          FROM ranked f LEFT JOIN billing_packageproduct pr ON pr.id = f.product_id
         WHERE f.n = 1 AND f.created_at >= %s AND f.created_at < %s
         GROUP BY 1 ORDER BY 2 DESC, 1
    """
    with connection.cursor() as cursor:
        params: list[Any] = [q.organization_id, CONVERSION_WINDOW, start, end]
        cursor.execute(sql, params)
        rows = [ConversionRow(name, n, converted) for name, n, converted in cursor.fetchall()]
    return Conversion(True, rows)
