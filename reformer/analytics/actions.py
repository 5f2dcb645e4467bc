"""Analytics actions: the one state change analytics makes is the audit row of an export."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reformer.analytics.audit_codes import ANALYTICS_METRICS_EXPORTED
from reformer.core import audit
from reformer.core.models import AuditEvent
from reformer.core.permissions import VIEW_METRICS, require

if TYPE_CHECKING:
    from reformer.accounts.models import Membership
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
