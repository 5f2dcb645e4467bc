"""Reads of the outbox for staff: the message log (organization-wide or one client), this
month's delivery figures, what needs attention, and which providers are configured.
Every query is scoped to the actor's organization and checked against their capability."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum

from reformer.accounts.models import Membership
from reformer.core.models import AdminAlert
from reformer.core.permissions import MANAGE_MESSAGING, VIEW_MESSAGES, require
from reformer.core.timezones import local_to_utc, local_today
from reformer.notifications import circuits
from reformer.notifications.models import Message, RecipientSettings
from reformer.notifications.transports import email as email_transport
from reformer.notifications.transports import sms as sms_transport

S = Message.Status
DELIVERED_OR_BETTER = [S.DELIVERED, S.OPENED, S.CLICKED]
REACHED_PROVIDER = [S.SENT, *DELIVERED_OR_BETTER, S.BOUNCED, S.COMPLAINED, S.UNDELIVERED]


@dataclass(frozen=True)
class LogFilters:
    channel: str = ""
    status: str = ""
    kind: str = ""
    search: str = ""


def message_log(
    actor: Membership, filters: LogFilters, *, client: Membership | None = None
) -> QuerySet[Message]:
    require(actor, VIEW_MESSAGES)
    messages = Message.objects.filter(organization_id=actor.organization_id)
    if client is not None:
        messages = messages.filter(recipient_id=client.user_id)
    if filters.channel:
        messages = messages.filter(channel=filters.channel)
    if filters.status:
        messages = messages.filter(status=filters.status)
    if filters.kind:
        messages = messages.filter(kind=filters.kind)
    if filters.search:
        messages = messages.filter(
            Q(to_address__icontains=filters.search)
            | Q(recipient__name__icontains=filters.search)
            | Q(subject__icontains=filters.search)
        )
    return (
        messages.select_related("recipient")
        .prefetch_related("events")
        .defer("body", "html_body", "context")
        .order_by("-created_at", "-pk")
    )


def message_detail(actor: Membership, message_id: int) -> Message:
    from reformer.core.errors import NotFound

    message = (
        Message.objects.filter(organization_id=actor.organization_id, pk=message_id)
        .select_related("recipient")
        .prefetch_related("events")
        .first()
    )
    if message is None:
        raise NotFound("message")
    require(actor, VIEW_MESSAGES)
    return message


def kinds_in_log(actor: Membership) -> list[str]:
    require(actor, VIEW_MESSAGES)
    return list(
        Message.objects.filter(organization_id=actor.organization_id)
        .order_by("kind")
        .values_list("kind", flat=True)
        .distinct()
    )


@dataclass(frozen=True)
class MonthFigures:
    emails_sent: int
    emails_awaiting: int  # taken by the provider, no delivery report yet
    emails_delivered: int
    emails_bounced: int
    emails_complained: int
    texts_sent: int
    texts_awaiting: int
    texts_delivered: int
    texts_undelivered: int
    sms_segments: int
    sms_spend: Decimal
    failed: int

    @staticmethod
    def _rate(part: int, whole: int) -> str:
        return f"{100 * part / whole:.1f}%" if whole else "n/a"

    # Delivery rates count only messages the provider has reported on: one still awaiting
    # its report is not a failure, and where no reports come (SMTP, the demo's console) an
    # honest "n/a" beats a rate of 0%.
    @property
    def emails_reported(self) -> int:
        return self.emails_sent - self.emails_awaiting

    @property
    def texts_reported(self) -> int:
        return self.texts_sent - self.texts_awaiting

    @property
    def delivery_rate(self) -> str:
        return self._rate(self.emails_delivered, self.emails_reported)

    @property
    def bounce_rate(self) -> str:
        return self._rate(self.emails_bounced + self.emails_complained, self.emails_sent)

    @property
    def sms_delivery_rate(self) -> str:
        return self._rate(self.texts_delivered, self.texts_reported)


def month_start(actor: Membership, now: dt.datetime | None = None) -> dt.datetime:
    tz = actor.organization.time_zone
    today = local_today(tz, now)
    return local_to_utc(today.replace(day=1), dt.time(0, 0), tz)


def month_figures(actor: Membership, now: dt.datetime | None = None) -> MonthFigures:
    """This calendar month (in the organization's zone): delivery and bounce rates of email
    that reached the provider, texts and their spend. One grouped query."""
    require(actor, VIEW_MESSAGES)
    since = month_start(actor, now)
    rows = Message.objects.filter(
        organization_id=actor.organization_id, created_at__gte=since
    ).aggregate(
        emails_sent=Count("pk", filter=Q(channel="email", status__in=REACHED_PROVIDER)),
        emails_awaiting=Count("pk", filter=Q(channel="email", status=S.SENT)),
        emails_delivered=Count("pk", filter=Q(channel="email", status__in=DELIVERED_OR_BETTER)),
        emails_bounced=Count("pk", filter=Q(channel="email", status=S.BOUNCED)),
        emails_complained=Count("pk", filter=Q(channel="email", status=S.COMPLAINED)),
        texts_sent=Count("pk", filter=Q(channel="sms", status__in=REACHED_PROVIDER)),
        texts_awaiting=Count("pk", filter=Q(channel="sms", status=S.SENT)),
        texts_delivered=Count("pk", filter=Q(channel="sms", status=S.DELIVERED)),
        texts_undelivered=Count("pk", filter=Q(channel="sms", status=S.UNDELIVERED)),
        sms_segments=Sum("segments", filter=Q(channel="sms", status__in=REACHED_PROVIDER)),
        sms_spend=Sum("cost", filter=Q(channel="sms", status__in=REACHED_PROVIDER)),
        failed=Count("pk", filter=Q(status=S.FAILED)),
    )
    rows["sms_segments"] = rows["sms_segments"] or 0
    rows["sms_spend"] = (rows["sms_spend"] or Decimal("0")).quantize(Decimal("0.01"))
    return MonthFigures(**rows)


def attention(actor: Membership, limit: int = 8) -> list[AdminAlert]:
    """Unresolved messaging alerts for the organization, newest first."""
    require(actor, VIEW_MESSAGES)
    return list(
        AdminAlert.objects.filter(
            organization_id=actor.organization_id,
            code__startswith="notifications.",
            resolved_at__isnull=True,
        )[:limit]
    )


def address_problems(actor: Membership) -> list[RecipientSettings]:
    """Clients of the organization whose email is suppressed or whose number is invalid."""
    require(actor, VIEW_MESSAGES)
    user_ids = Membership.objects.filter(
        organization_id=actor.organization_id, role="client"
    ).values("user_id")
    return list(
        RecipientSettings.objects.filter(user_id__in=user_ids)
        .filter(Q(email_suppressed_at__isnull=False) | ~Q(phone_invalid_number=""))
        .select_related("user")
        .order_by("user__name")[:50]
    )


@dataclass(frozen=True)
class ProviderStatus:
    channel: str
    provider: str
    configured: bool
    note: str
    circuit_open: bool
    retry_at: dt.datetime | None
    last_error: str
    waiting: int


def provider_status(actor: Membership) -> list[ProviderStatus]:
    """Which providers carry email and SMS, and whether they are healthy now."""
    require(actor, MANAGE_MESSAGING)
    waiting = dict(
        Message.objects.filter(
            organization_id=actor.organization_id, status__in=[S.QUEUED, S.SENDING]
        )
        .values_list("channel")
        .annotate(n=Count("pk"))
        .values_list("channel", "n")
    )
    email_provider = email_transport.provider_name()
    statuses = []
    for channel, provider, configured, note in (
        (
            "email",
            email_provider,
            email_provider not in ("file", "locmem", "console"),
            "Emails are written to files in the data folder (no provider configured)."
            if email_provider == "file"
            else f"Sending through {email_provider.replace('_', ' ').title()}.",
        ),
        (
            "sms",
            sms_transport.provider_name(),
            sms_transport.configured(),
            f"Sending through Twilio Messaging Service {settings.TWILIO_MESSAGING_SERVICE_SID}."
            if sms_transport.configured()
            else "Texts are written to a local log and shown as sent to the console.",
        ),
    ):
        circuit = circuits.state(channel)
        statuses.append(
            ProviderStatus(
                channel=channel,
                provider=provider,
                configured=configured,
                note=note,
                circuit_open=circuits.is_open(circuit),
                retry_at=circuit.retry_at if circuit else None,
                last_error=circuit.last_error if circuit else "",
                waiting=waiting.get(channel, 0),
            )
        )
    return statuses
