"""Turning a message into what is sent: the organization's branded email (HTML and text)
and the text of an SMS, from the template of the message's kind and its stored context."""

from __future__ import annotations

import json
import time
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from reformer.notifications import preferences
from reformer.notifications.models import Message, OrganizationMessaging
from reformer.studios.models import Organization

FALLBACK_BRAND = {
    "name": "Reformer",
    "colour": "#3b6e8f",
    "logo_url": "",
    "address": "",
    "reply_to": "",
    "sender_name": "",
}


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


# Branding read per organization at most every few seconds by a sending worker (two queries
# a message otherwise); saving messaging settings clears it.
_BRAND_TTL_SECONDS = 15.0
_brand_cache: dict[int, tuple[float, dict[str, Any]]] = {}


def clear_branding_cache() -> None:
    _brand_cache.clear()


def cached_branding(organization_id: int | None) -> dict[str, Any]:
    if organization_id is None:
        return branding(None)
    hit = _brand_cache.get(organization_id)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    brand = branding(Organization.objects.get(pk=organization_id))
    _brand_cache[organization_id] = (time.monotonic() + _BRAND_TTL_SECONDS, brand)
    return brand


def branding(organization: Organization | None) -> dict[str, Any]:
    """What the organization's emails look like and who they come from."""
    if organization is None:
        brand = dict(FALLBACK_BRAND)
    else:
        messaging = OrganizationMessaging.objects.filter(organization=organization).first()
        studio = organization.studios.filter(active=True).exclude(address="").order_by("pk").first()
        brand = {
            "name": organization.name,
            "colour": organization.brand_colour or FALLBACK_BRAND["colour"],
            "logo_url": absolute(organization.logo.url) if organization.logo else "",
            "address": studio.address if studio else "",
            "reply_to": messaging.reply_to if messaging else "",
            "sender_name": (messaging.sender_name if messaging else "") or organization.name,
            "contact_phone": messaging.contact_phone if messaging else "",
        }
    brand["preferences_url"] = absolute(reverse("profile:notifications"))
    return brand


def _reason(kind: str, brand: dict[str, Any]) -> str:
    if preferences.category_of(kind) == preferences.MARKETING:
        return f"You're getting this because you asked {brand['name']} for news and offers."
    return f"You're getting this because you have an account with {brand['name']}."


def template_context(
    message: Message, brand: dict[str, Any], extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "recipient": message.recipient,
        "subject": message.subject,
        "brand": {**brand, "reason": _reason(message.kind, brand)},
        **message.context,
        **(extra or {}),
    }


def render(message: Message, brand: dict[str, Any]) -> tuple[str, str]:
    """(text, html) for an email, or (text, "") for an SMS; as stored when given a body."""
    if message.body or (not message.context and message.channel != Message.Channel.SMS):
        return message.body, message.html_body
    context = template_context(message, brand)
    if message.channel == Message.Channel.PUSH:
        return push_payload(message, context), ""
    if message.channel == Message.Channel.SMS:
        return render_to_string(f"notifications/sms/{message.kind}.txt", context).strip(), ""
    return (
        render_to_string(f"notifications/{message.kind}.txt", context),
        render_to_string(f"notifications/{message.kind}.html", context),
    )


def push_url(message: Message) -> str:
    """Where tapping the notification goes: the booking, or the dashboard for a class
    that no longer happens."""
    context = message.context
    if message.kind != "session_cancelled":
        if context.get("booking_url"):
            return str(context["booking_url"])
        if context.get("reference"):
            return absolute(reverse("client:booking_detail", args=[context["reference"]]))
    return absolute(reverse("client:dashboard"))


def push_payload(message: Message, context: dict[str, Any]) -> str:
    """What the service worker shows (JSON, encrypted for the device when sent): title,
    text, the page a tap opens, and a tag so a repeat replaces rather than stacks."""
    title = message.subject or str(context.get("subject", "")) or context["brand"]["name"]
    text = render_to_string(f"notifications/push/{message.kind}.txt", context).strip()
    tag = f"{message.kind}:{context.get('reference') or message.idempotency_key}"
    return json.dumps(
        {"title": title[:120], "body": text[:300], "url": push_url(message), "tag": tag[:100]}
    )
