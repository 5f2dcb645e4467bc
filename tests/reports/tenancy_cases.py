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


def _schedule(world):
    from reformer.reports.models import ReportSchedule

    schedule = ReportSchedule.objects.create(
        organization=world.a.organization, name="Daily", frequency="daily", sections=["summary"]
    )
    schedule.recipients.set([world.a.owner])
    return {"schedule": schedule}


@tenancy.register(allowed=OWNERS, other_tenant=tenancy.OWN)
def save_report_schedule(actor, ctx):
    from reformer.reports import scheduled

    return scheduled.save_schedule(
        actor,
        name="Weekly",
        frequency="weekly",
        sections=["summary"],
        recipient_ids=[actor.pk],
    )


@tenancy.register(allowed=OWNERS, setup=_schedule)
def change_report_schedule(actor, ctx):
    from reformer.reports import scheduled

    return scheduled.save_schedule(
        actor,
        name="Daily",
        frequency="daily",
        sections=["clients"],
        recipient_ids=[ctx.a.owner.pk],
        schedule=ctx.schedule,
    )


@tenancy.register(allowed=OWNERS, setup=_schedule)
def remove_report_schedule(actor, ctx):
    from reformer.reports import scheduled

    return scheduled.remove_schedule(actor, ctx.schedule)


@tenancy.register(allowed=OWNERS, kind=tenancy.QUERY, other_tenant=tenancy.OWN)
def report_schedules_for(actor, ctx):
    from reformer.reports import scheduled

    return scheduled.schedules_for(actor)
