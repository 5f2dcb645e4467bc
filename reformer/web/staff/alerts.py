"""Staff alerts where staff work: a panel on the staff home, check-in and the owner
dashboard, a page with all open alerts, and resolving one. Each kind of alert links to the
page where it is dealt with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from reformer.core import alerts
from reformer.core.models import AdminAlert
from reformer.core.permissions import VIEW_ALERTS, has_capability
from reformer.core.queries import open_alerts
from reformer.web.auth import capability_required
from reformer.web.staff.common import actor_of, is_partial, page

PANEL_SIZE = 5


@dataclass(frozen=True)
class AlertView:
    alert: AdminAlert
    title: str
    action_label: str
    action_url: str


def _session_page(alert: AdminAlert) -> str:
    return reverse("staff:session_detail", args=[alert.data.get("session")])


def _template_page(alert: AdminAlert) -> str:
    return reverse("staff:template", args=[alert.data.get("template")])


def _checkin(alert: AdminAlert) -> str:
    return reverse("staff:checkin")


def _lift_suspension(alert: AdminAlert) -> str:
    target = reverse("staff:client_suspension", args=[alert.data.get("client")])
    return f"{target}?next={reverse('staff:alerts')}"


def _client_payments(alert: AdminAlert) -> str:
    return reverse("payments:client", args=[alert.data.get("client")])


def _payment_page(alert: AdminAlert) -> str:
    return reverse("payments:payment", args=[alert.data.get("payment")])


def _message_page(alert: AdminAlert) -> str:
    message_id = alert.data.get("message_id")
    return reverse("messaging:message", args=[message_id]) if message_id else _message_log(alert)


def _message_log(alert: AdminAlert) -> str:
    return reverse("messaging:log")


def _webhook_endpoint(alert: AdminAlert) -> str:
    return reverse("integrations:endpoint", args=[alert.data.get("endpoint")])


# code -> (title, what to do, where). Unknown codes still show, without a link.
_KINDS: dict[str, tuple[str, str, Callable[[AdminAlert], str]]] = {
    alerts.NEEDS_INSTRUCTOR: ("Class needs an instructor", "Assign an instructor", _session_page),
    alerts.ROOM_TAKEN: ("Weekly class not scheduled", "Open the weekly class", _template_page),
    alerts.CLIENT_SUSPENDED: ("Client suspended", "Lift suspension", _lift_suspension),
    alerts.PROMOTION_FAILED: ("Waitlist promotion failed", "Open the class", _session_page),
    alerts.NO_SHOW_SWEEP_FAILED: ("No-show check failed", "Open check-in", _checkin),
    alerts.DELIVERY_FAILED: ("Message not delivered", "", _checkin),
    alerts.PAYMENT_RENEWAL_FAILED: (
        "Membership payment failed",
        "Open the client's payments",
        _client_payments,
    ),
    alerts.PAYMENT_FEE_NOT_CHARGED: ("Fee not charged", "Open the payment", _payment_page),
    alerts.REFUND_NEEDED: ("Refund needed", "Open the payment", _payment_page),
    alerts.DELIVERY_FAILED: ("Message not delivered", "Open the message", _message_page),
    alerts.EMAIL_SUPPRESSED: ("Email address bouncing", "Open the message", _message_page),
    alerts.SMS_UNDELIVERED: ("Text not delivered", "Open the message", _message_page),
    alerts.PROVIDER_DOWN: ("Message provider down", "Open the message log", _message_log),
    "webhooks.endpoint_disabled": ("Webhooks paused", "Open the endpoint", _webhook_endpoint),
}


def describe(alert: AdminAlert) -> AlertView:
    title, label, url = _KINDS.get(alert.code, ("Needs attention", "", _checkin))
    has_target = (
        label
        and (
            alert.code not in (alerts.NEEDS_INSTRUCTOR, alerts.PROMOTION_FAILED)
            or alert.data.get("session")
        )
        and (alert.code != alerts.CLIENT_SUSPENDED or alert.data.get("client"))
    )
    return AlertView(alert, title, label if has_target else "", url(alert) if has_target else "")


def panel_context(request: HttpRequest) -> dict:
    """The newest open alerts and how many there are (two queries)."""
    actor = getattr(request, "membership", None)
    if actor is None or not has_capability(actor, VIEW_ALERTS):
        return {"alerts": [], "alert_count": 0}
    found = open_alerts(actor)
    shown = [describe(alert) for alert in found[:PANEL_SIZE]]
    count = len(shown) if len(shown) < PANEL_SIZE else found.count()
    return {"alerts": shown, "alert_count": count}


@capability_required(VIEW_ALERTS)
def alert_list(request: HttpRequest) -> HttpResponse:
    found = [describe(alert) for alert in open_alerts(actor_of(request))[:200]]
    return page(request, "staff/alerts/list.html", {"alerts": found, "alert_count": len(found)})


@require_POST
@capability_required(VIEW_ALERTS)
def alert_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    alert = alerts.resolve_alert(actor_of(request), pk)
    messages.success(request, f"Marked as dealt with: {describe(alert).title.lower()}.")
    if is_partial(request):
        return HttpResponse("")  # htmx removes the row; the toast says what happened
    return redirect("staff:alerts")
