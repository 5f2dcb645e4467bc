"""Staff alerts: raising them (from actions and jobs) and resolving them (by staff).

An alert says what happened and what to do; the web layer adds the link that does it
(web/staff/alerts.py). Raising is idempotent per (code, data) while the alert is open, so a
job that retries or a nightly run does not pile up copies of one problem.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from reformer.core import audit
from reformer.core.errors import DomainError, NotFound
from reformer.core.models import AdminAlert
from reformer.core.permissions import (
    RESOLVE_ALERTS,
    VIEW_SYSTEM_ALERTS,
    has_capability,
    require,
)

if TYPE_CHECKING:
    from reformer.accounts.models import Membership

# Codes, so that a grep finds every writer and the web layer every kind it links.
NEEDS_INSTRUCTOR = "scheduling.needs_instructor"
ROOM_TAKEN = "scheduling.generation.room_taken"
CLIENT_SUSPENDED = "bookings.client_suspended"
PROMOTION_FAILED = "bookings.promotion_failed"
NO_SHOW_SWEEP_FAILED = "bookings.no_show_sweep_failed"
DELIVERY_FAILED = "notifications.delivery_failed"
WORKER_RESTARTED = "jobs.worker_restarted"
PAYMENT_RENEWAL_FAILED = "payments.renewal_failed"  # data: client, subscription
PAYMENT_FEE_NOT_CHARGED = "payments.fee_not_charged"  # data: payment
EMAIL_SUPPRESSED = "notifications.email_suppressed"
SMS_UNDELIVERED = "notifications.sms_undelivered"
PROVIDER_DOWN = "notifications.provider_down"
REFUND_NEEDED = "payments.refund_needed"  # data: payment


def raise_alert(
    code: str,
    message: str,
    *,
    organization_id: int | None,
    studio_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AdminAlert | None:
    """Open an alert in the caller's transaction; None when the same one is already open."""
    data = data or {}
    # django-stubs rejects None in this lookup, though on a nullable key Django reads IS NULL.
    open_same = AdminAlert.objects.filter(  # type: ignore[misc]
        organization_id=organization_id, code=code, data=data, resolved_at__isnull=True
    )
    if open_same.exists():
        return None
    return AdminAlert.objects.create(
        organization_id=organization_id,
        studio_id=studio_id,
        code=code,
        message=message,
        data=data,
    )


def resolve_alert(actor: Membership, alert_id: int) -> AdminAlert:
    """Staff mark an alert dealt with. Another organization's alert is not found; one of a
    studio outside a scoped member's reach is refused."""
    alert = AdminAlert.objects.select_related("studio").filter(pk=alert_id).first()
    if alert is None or (
        alert.organization_id is not None and alert.organization_id != actor.organization_id
    ):
        raise NotFound("alert")
    require(actor, RESOLVE_ALERTS, studio=alert.studio)
    if alert.organization_id is None and not has_capability(actor, VIEW_SYSTEM_ALERTS):
        raise NotFound("alert")
    with transaction.atomic():
        changed = AdminAlert.objects.filter(pk=alert.pk, resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=actor.user
        )
        if not changed:
            raise DomainError("alert.already_resolved", "Someone already dealt with this alert.")
        audit.record(actor, "core.alert.resolved", alert, organization_id=actor.organization_id)
    alert.refresh_from_db()
    return alert


def resolve_alerts_about(code: str, *, organization_id: int, **data: Any) -> int:
    """Close open alerts whose problem went away (an instructor was assigned, ...)."""
    return AdminAlert.objects.filter(
        organization_id=organization_id,
        code=code,
        resolved_at__isnull=True,
        data__contains=data,
    ).update(resolved_at=timezone.now())
