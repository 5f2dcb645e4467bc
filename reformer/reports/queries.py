"""Reads for the reports pages."""

from __future__ import annotations

from django.db.models import QuerySet

from reformer.accounts.models import Membership
from reformer.core import permissions
from reformer.core.errors import NotFound
from reformer.reports.models import Report


def reports(actor: Membership) -> QuerySet[Report]:
    permissions.require(actor, permissions.VIEW_REPORTS)
    return (
        Report.objects.filter(organization_id=actor.organization_id)
        .select_related("studio", "requested_by__user")
        .defer("pdf", "csv", "data")
        .order_by("-period_end", "-period_start", "studio__name", "-pk")
    )


def report(actor: Membership, report_id: int) -> Report:
    found = Report.objects.filter(pk=report_id).first()
    if found is None:
        raise NotFound("report")
    permissions.require_same_organization(actor, found, "report")
    permissions.require(actor, permissions.VIEW_REPORTS)
    return found
