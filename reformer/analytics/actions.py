"""Analytics actions: the one state change analytics makes is the audit row of an export."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reformer.analytics.audit_codes import ANALYTICS_METRICS_EXPORTED, ANALYTICS_PANEL_EXPORTED
from reformer.core import audit
from reformer.core.models import AuditEvent
from reformer.core.permissions import VIEW_METRICS, require

if TYPE_CHECKING:
    from reformer.accounts.models import Membership
    from reformer.analytics.insight_filters import AnalyticsQuery
    from reformer.analytics.periods import Period
    from reformer.analytics.queries import Scope


def record_export(actor: Membership, scope: Scope, period: Period, *, kind: str) -> AuditEvent:
    """Note in the audit log that `actor` exported the metrics of `scope` over `period`."""
    require(actor, VIEW_METRICS)
    return audit.record(
        actor,
        ANALYTICS_METRICS_EXPORTED,
        actor.organization,
        kind=kind,
        studio=scope.studio.pk if scope.studio else None,
        start=period.start.isoformat(),
        end=period.end.isoformat(),
    )


def record_panel_export(
    actor: Membership, q: AnalyticsQuery, *, panel: str, fmt: str
) -> AuditEvent:
    """Note in the audit log that `actor` exported an analytics panel (CSV, XLSX or PDF)."""
    require(actor, VIEW_METRICS)
    return audit.record(
        actor,
        ANALYTICS_PANEL_EXPORTED,
        actor.organization,
        panel=panel,
        format=fmt,
        studio=q.scope.studio.pk if q.scope.studio else None,
        start=q.period.start.isoformat(),
        end=q.period.end.isoformat(),
    )
