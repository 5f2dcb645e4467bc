"""Keeping the analytics rollup current (see rollups.py)."""

from __future__ import annotations

from procrastinate.contrib.django import app

from reformer.analytics import rollups
from reformer.analytics.models import VisitsChanged
from reformer.studios.models import Organization


@app.periodic(cron="*/10 * * * *", periodic_id="analytics-rollup-recent")
@app.task(name="analytics.refresh_rollups", queueing_lock="analytics-rollups")
def refresh_rollups(timestamp: int | None = None) -> None:
    for organization_id in Organization.objects.values_list("pk", flat=True):
        rollups.refresh(organization_id)
    # The trigger's list has no foreign key (it never blocks a booking write): what it
    # listed for an organization since deleted goes here.
    VisitsChanged.objects.exclude(organization_id__in=Organization.objects.values("pk")).delete()


@app.periodic(cron="40 2 * * *", periodic_id="analytics-rollup-nightly")
@app.task(name="analytics.rebuild_rollups", queueing_lock="analytics-rollups-full")
def rebuild_rollups(timestamp: int | None = None) -> None:
    """Late changes to old months (attendance marked weeks later) are caught here."""
    for organization_id in Organization.objects.values_list("pk", flat=True):
        rollups.refresh(organization_id, full=True)
