"""Report rows of the tenancy matrix (tests/tenancy.py)."""

from __future__ import annotations

import datetime as dt

from reformer.reports import actions, queries
from reformer.reports.models import Report
from tests import tenancy

OWNERS = {"owner"}


def _report(world):
    return {
        "report": Report.objects.create(
            organization=world.a.organization,
            kind=Report.Kind.CUSTOM,
            period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 1, 31),
        )
    }


@tenancy.register(allowed=OWNERS, other_tenant=tenancy.OWN)
def request_custom_report(actor, ctx):
    return actions.request_report(actor, dt.date(2026, 1, 1), dt.date(2026, 1, 31))


@tenancy.register(allowed=OWNERS)
def request_studio_report(actor, ctx):
    return actions.request_report(
        actor, dt.date(2026, 1, 1), dt.date(2026, 1, 31), studio_id=ctx.a.studio.pk
    )


@tenancy.register(allowed=OWNERS, kind=tenancy.QUERY, setup=_report)
def open_report(actor, ctx):
    return queries.report(actor, ctx.report.pk)


@tenancy.register(allowed=OWNERS, other_tenant=tenancy.OWN, kind=tenancy.QUERY, setup=_report)
def list_reports(actor, ctx):
    return list(queries.reports(actor))


@tenancy.register(allowed=OWNERS, other_tenant=tenancy.OWN)
def set_report_preferences(actor, ctx):
    return actions.set_preferences(actor, monthly_email=False, studio_reports=True)
