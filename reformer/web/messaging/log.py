"""The message log for staff: every message of the organization (or one client's), with
filters, each message's status history and content, this month's delivery figures, and
what needs attention (failed deliveries, suppressed addresses, invalid numbers)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from reformer.accounts.models import Membership
from reformer.core.errors import NotFound
from reformer.core.parsing import to_text
from reformer.core.permissions import MANAGE_MESSAGING, VIEW_MESSAGES, has_capability
from reformer.notifications import queries
from reformer.notifications.models import Message
from reformer.web.auth import capability_required
from reformer.web.http import MemberRequest
from reformer.web.staff.common import is_partial

PAGE_SIZE = 25

KIND_LABELS = {
    "class_reminder": "Class reminder",
    "booking_confirmed": "Booking confirmation",
    "booking_cancelled": "Booking cancelled",
    "waitlist_promoted": "Waitlist promotion",
    "waitlist_joined": "Joined waitlist",
    "waitlist_left": "Left waitlist",
    "waitlist_skipped": "Waitlist place skipped",
    "waitlist_expired": "Waitlist place released",
    "session_cancelled": "Class cancelled",
    "session_changed": "Class changed",
    "package_expiring": "Package expiry warning",
    "package_granted": "Package granted",
    "no_show": "No-show",
    "late_arrival": "Late arrival",
    "suspension": "Booking suspension",
    "suspension_lifted": "Suspension lifted",
    "sms_opt_in_code": "SMS opt-in code",
    "sms_opted_in": "SMS opt-in confirmed",
    "test_message": "Test message",
}

STATUS_BADGES = {
    "queued": "neutral",
    "sending": "info",
    "sent": "info",
    "delivered": "success",
    "opened": "success",
    "clicked": "success",
    "bounced": "danger",
    "complained": "danger",
    "undelivered": "danger",
    "failed": "danger",
    "skipped": "warning",
}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def decorate(message: Message) -> Message:
    """Labels the templates show (set on the instance for the page)."""
    setattr(message, "badge", STATUS_BADGES.get(message.status, "neutral"))  # noqa: B010
    setattr(message, "kind_label", kind_label(message.kind))  # noqa: B010
    return message


def _filters(request: MemberRequest) -> queries.LogFilters:
    channel = request.GET.get("channel", "")
    status = request.GET.get("status", "")
    return queries.LogFilters(
        channel=channel if channel in Message.Channel.values else "",
        status=status if status in Message.Status.values else "",
        kind=to_text(request.GET.get("kind"), max_length=50),
        search=to_text(request.GET.get("q"), max_length=100),
    )


def _kind_choices(actor) -> list[tuple[str, str]]:
    return [(kind, kind_label(kind)) for kind in queries.kinds_in_log(actor)]


def _log_context(request: MemberRequest, *, client: Membership | None = None) -> dict:
    actor = request.membership
    filters = _filters(request)
    paginator = Paginator(queries.message_log(actor, filters, client=client), PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    clients = dict(
        Membership.objects.filter(
            organization_id=actor.organization_id,
            role="client",
            user_id__in={m.recipient_id for m in page_obj},
        ).values_list("user_id", "pk")
    )
    for message in page_obj:
        decorate(message)
        setattr(message, "client_membership_id", clients.get(message.recipient_id))  # noqa: B010
    return {
        "page_obj": page_obj,
        "filters": filters,
        "channels": Message.Channel.choices,
        "statuses": Message.Status.choices,
        "kinds": _kind_choices(actor),
        "client": client,
    }


@capability_required(VIEW_MESSAGES)
def organization_log(request: MemberRequest) -> HttpResponse:
    actor = request.membership
    context = _log_context(request)
    if is_partial(request) and request.htmx.target == "message-log":
        return render(request, "messaging/_log_table.html", context)
    context.update(
        figures=queries.month_figures(actor),
        attention=queries.attention(actor),
        problems=queries.address_problems(actor),
        may_manage=has_capability(actor, MANAGE_MESSAGING),
    )
    return render(request, "messaging/log.html", context)


@capability_required(VIEW_MESSAGES)
def client_log(request: MemberRequest, membership_id: int) -> HttpResponse:
    actor = request.membership
    client = (
        Membership.objects.filter(
            organization_id=actor.organization_id, pk=membership_id, role="client"
        )
        .select_related("user")
        .first()
    )
    if client is None:
        raise NotFound("client")
    context = _log_context(request, client=client)
    if is_partial(request) and request.htmx.target == "message-log":
        return render(request, "messaging/_log_table.html", context)
    from reformer.notifications.preferences import settings_for

    context["recipient_settings"] = settings_for(client.user)
    return render(request, "messaging/client_log.html", context)


@capability_required(VIEW_MESSAGES)
def message_detail(request: MemberRequest, message_id: int) -> HttpResponse:
    message = queries.message_detail(request.membership, message_id)
    decorate(message)
    template = "messaging/_message_detail.html" if is_partial(request) else "messaging/message.html"
    return render(request, template, {"message": message})
