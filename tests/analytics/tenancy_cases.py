"""Analytics rows of the tenancy matrix (tests/tenancy.py)."""

from __future__ import annotations

import datetime as dt

from reformer.analytics import clients, utilisation
from reformer.analytics.insight_filters import analytics_query
from reformer.analytics.periods import Period
from tests import tenancy

FEBRUARY = Period("custom", dt.date(2026, 2, 1), dt.date(2026, 2, 28))


@tenancy.register(allowed=tenancy.MANAGERS, kind=tenancy.QUERY)
def heatmap_of_a_class_type(actor, ctx):
    q = analytics_query(actor, FEBRUARY, class_type_id=ctx.a.class_type.pk)
    return utilisation.heatmap(q)


@tenancy.register(allowed=tenancy.MANAGERS, kind=tenancy.QUERY)
def heatmap_of_an_instructor(actor, ctx):
    q = analytics_query(actor, FEBRUARY, instructor_id=ctx.a.instructor.pk)
    return utilisation.heatmap(q)


@tenancy.register(allowed=tenancy.MANAGERS, other_tenant=tenancy.OWN, kind=tenancy.QUERY)
def at_risk_clients(actor, ctx):
    return [entry.member for entry in clients.at_risk(analytics_query(actor, FEBRUARY))]
