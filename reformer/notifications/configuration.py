"""The owner's messaging settings: sender, reply-to and HELP contact; each studio's reminder
plan; a preview of any message with the organization's branding; "send me a test"."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.core import audit
from reformer.core.errors import DomainError
from reformer.core.parsing import to_int
from reformer.core.permissions import MANAGE_MESSAGING, require
from reformer.notifications import preferences, samples
from reformer.notifications.actions import queue_email, queue_sms
from reformer.notifications.models import (
    Message,
    OrganizationMessaging,
    StudioMessaging,
    default_reminder_plan,
)
from reformer.notifications.rendering import branding, clear_branding_cache, template_context
from reformer.studios.models import Studio

MAX_REMINDER_STEPS = 4
LONGEST_OFFSET_HOURS = 168
CHANNELS = {"email": "Email", "sms": "SMS"}


def organization_messaging(actor: Membership) -> OrganizationMessaging:
    require(actor, MANAGE_MESSAGING)
    found = OrganizationMessaging.objects.filter(organization_id=actor.organization_id).first()
    return found or OrganizationMessaging(organization_id=actor.organization_id)


def save_organization_messaging(
    actor: Membership, *, sender_name: str, reply_to: str, contact_phone: str
) -> OrganizationMessaging:
    require(actor, MANAGE_MESSAGING)
    sender_name = sender_name.strip()
    reply_to = reply_to.strip()
    if len(sender_name) > 80:
        raise DomainError(
            "messaging.sender_name",
            "Keep the sender name under 80 characters.",
            field="sender_name",
        )
    if any(ch in sender_name for ch in '<>"\r\n'):
        raise DomainError(
            "messaging.sender_name",
            'The sender name cannot contain <, > or ".',
            field="sender_name",
        )
    if reply_to:
        try:
            validate_email(reply_to)
        except ValidationError as exc:
            raise DomainError(
                "messaging.reply_to", "Enter a valid reply-to email address.", field="reply_to"
            ) from exc
    phone = ""
    if contact_phone.strip():
        from reformer.accounts.profile import default_region
        from reformer.notifications.sms_consent import normalize_mobile

        try:
            phone = normalize_mobile(contact_phone, region=default_region(actor))
        except DomainError as exc:
            raise DomainError(
                "messaging.contact_phone", "Enter a valid phone number.", field="contact_phone"
            ) from exc
    with transaction.atomic():
        settings_row, _ = OrganizationMessaging.objects.select_for_update().get_or_create(
            organization_id=actor.organization_id
        )
        settings_row.sender_name = sender_name
        settings_row.reply_to = reply_to
        settings_row.contact_phone = phone
        settings_row.save()
        audit.record(
            actor,
            "notifications.settings.saved",
            settings_row,
            organization_id=actor.organization_id,
            sender_name=sender_name,
            reply_to=reply_to,
        )
    clear_branding_cache()
    return settings_row


@dataclass
class StudioPlan:
    studio: Studio
    steps: list[dict]
    # Filled in by the settings page.
    policy: object = None
    rows: list[dict] = field(default_factory=list)
    error: str = ""


def reminder_plans(actor: Membership) -> list[StudioPlan]:
    require(actor, MANAGE_MESSAGING)
    studios = Studio.objects.filter(organization_id=actor.organization_id, active=True).order_by(
        "name"
    )
    plans = {
        row.studio_id: row.reminder_plan
        for row in StudioMessaging.objects.filter(organization_id=actor.organization_id)
    }
    return [StudioPlan(s, plans.get(s.pk, default_reminder_plan())) for s in studios]


def parse_plan(raw_steps: list[tuple[str, str]]) -> list[dict]:
    """[(hours, channel), ...] from the form into a clean plan, or a DomainError."""
    plan: list[dict] = []
    for hours_text, channel in raw_steps:
        hours_text = (hours_text or "").strip()
        if not hours_text:
            continue
        if to_int(hours_text, minimum=1, maximum=LONGEST_OFFSET_HOURS) is None:
            raise DomainError(
                "messaging.reminder_hours",
                f"Reminder times are whole hours from 1 to {LONGEST_OFFSET_HOURS}.",
                field="plan",
            )
        if channel not in CHANNELS:
            raise DomainError(
                "messaging.reminder_channel", "Choose email or SMS for each reminder.", field="plan"
            )
        if any(step["hours"] == int(hours_text) for step in plan):
            raise DomainError(
                "messaging.reminder_duplicate",
                f"There are two reminders {hours_text} hours before class.",
                field="plan",
            )
        plan.append({"hours": int(hours_text), "channel": channel})
    if len(plan) > MAX_REMINDER_STEPS:
        raise DomainError(
            "messaging.reminder_count",
            f"Up to {MAX_REMINDER_STEPS} reminders per class.",
            field="plan",
        )
    return sorted(plan, key=lambda step: -step["hours"])


def save_reminder_plan(actor: Membership, studio: Studio, plan: list[dict]) -> StudioMessaging:
    require(actor, MANAGE_MESSAGING, studio=studio)
    with transaction.atomic():
        row, _ = StudioMessaging.objects.select_for_update().get_or_create(
            studio=studio, defaults={"organization_id": studio.organization_id}
        )
        row.reminder_plan = plan
        row.save(update_fields=["reminder_plan"])
        audit.record(actor, "notifications.reminder_plan.saved", studio, plan=plan)
    return row


def preview(actor: Membership, kind: str) -> tuple[str, str, str]:
    """(subject, text, html) of a message of this kind as the organization's clients get it,
    with sample content. Nothing is stored or sent."""
    require(actor, MANAGE_MESSAGING)
    if kind not in samples.PREVIEWABLE:
        raise DomainError("messaging.unknown_kind", "There is no such message to preview.")
    from django.template.loader import render_to_string

    subject, context = samples.sample(kind, actor.organization)
    message = Message(
        recipient=actor.user,
        organization_id=actor.organization_id,
        kind=kind,
        subject=subject,
        context=context,
    )
    full = template_context(message, branding(actor.organization))
    return (
        subject,
        render_to_string(f"notifications/{kind}.txt", full),
        render_to_string(f"notifications/{kind}.html", full),
    )


def send_test(actor: Membership, channel: str) -> Message:
    """Send the owner a test email, or a test text to their confirmed number."""
    require(actor, MANAGE_MESSAGING)
    key = f"test:{actor.pk}:{channel}:{secrets.token_hex(6)}"
    now = timezone.now()
    with transaction.atomic():
        if channel == "sms":
            number = preferences.settings_for(actor.user).sms_number()
            if not number:
                raise DomainError(
                    "messaging.no_number",
                    "Confirm your mobile number in your profile first, then try again.",
                )
            message = queue_sms(
                actor.user,
                "test_message",
                idempotency_key=key,
                organization=actor.organization_id,
                to_address=number,
            )
        else:
            message = queue_email(
                actor.user,
                "test_message",
                f"Test email from {actor.organization.name}",
                "",
                key,
                actor.organization_id,
                context={"sent_at": f"{now:%Y-%m-%d %H:%M} UTC"},
            )
        audit.record(
            actor,
            "notifications.test_sent",
            message,
            organization_id=actor.organization_id,
            channel=channel,
        )
    return message
