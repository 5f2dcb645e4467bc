"""Turning a message into what is sent: the organization's branded email (HTML and text)
and the text of an SMS, from the template of the message's kind and its stored context."""

from __future__ import annotations

import json
import logging
import re
import time
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape

from reformer.core import timeformat
from reformer.notifications import preferences
from reformer.notifications.models import Message, OrganizationMessaging
from reformer.studios.models import Organization, Studio

logger = logging.getLogger(__name__)

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


def organization_address(organization: Organization) -> str:
    """The street address of a message about the organization as a whole (a HELP reply, an
    account email): the organization has none of its own, so that of its studio when it has
    exactly one, else none. Picking one of several studios would give a New York client a
    London address; a message about one studio carries that studio's address in its
    context (`studio_context`), which the templates prefer."""
    addresses = list(organization.studios.filter(active=True).values_list("address", flat=True)[:2])
    return addresses[0] if len(addresses) == 1 else ""


def studio_context(studio: Studio | None) -> dict[str, str]:
    """The context keys that put a studio's name and address in a message (the footer and
    signature of every email, `base.html`/`base.txt`); nothing for no studio."""
    if studio is None:
        return {}
    return {"studio_name": studio.name, "studio_address": studio.address}


def preferences_url() -> str:
    """The page where a person chooses which messages they get: the profile's
    Notifications tab (profile:notifications itself only takes the form's POST)."""
    return absolute(f"{reverse('profile:edit')}?tab=notifications")


def branding(organization: Organization | None) -> dict[str, Any]:
    """What the organization's emails look like and who they come from."""
    if organization is None:
        brand: dict[str, Any] = dict(FALLBACK_BRAND)
    else:
        messaging = OrganizationMessaging.objects.filter(organization=organization).first()
        brand = {
            "name": organization.name,
            "colour": organization.brand_colour or FALLBACK_BRAND["colour"],
            "logo_url": absolute(organization.logo.url) if organization.logo else "",
            "address": organization_address(organization),
            "reply_to": messaging.reply_to if messaging else "",
            "sender_name": (messaging.sender_name if messaging else "") or organization.name,
            "contact_phone": messaging.contact_phone if messaging else "",
            "time_locale": timeformat.locale_of(organization),
        }
    brand["preferences_url"] = preferences_url()
    return brand


def _reason(kind: str, brand: dict[str, Any]) -> str:
    if preferences.category_of(kind) == preferences.MARKETING:
        return f"You're getting this because you asked {brand['name']} for news and offers."
    return f"You're getting this because you have an account with {brand['name']}."


def template_context(
    message: Message, brand: dict[str, Any], extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    return _context(message.recipient, message.subject, message.kind, message.context, brand) | (
        extra or {}
    )


def _context(recipient, subject: str, kind: str, context: dict, brand: dict) -> dict[str, Any]:
    return {
        "recipient": recipient,
        "subject": subject,
        "brand": {**brand, "reason": _reason(kind, brand)},
        **context,
    }


def render(message: Message, brand: dict[str, Any]) -> tuple[str, str]:
    """(text, html) for an email, or (text, "") for an SMS; as stored when given a body."""
    if message.body or (not message.context and message.channel != Message.Channel.SMS):
        return message.body, message.html_body
    context = template_context(message, brand)
    # The send job has no organization active: templates' `|when` writes times as the
    # message's organization does.
    with timeformat.activate(_locale(brand)):
        if message.channel == Message.Channel.PUSH:
            return push_payload(message, context), ""
        return _bodies(message, [render_to_string(name, context) for name in _templates(message)])


def _locale(brand: dict[str, Any]) -> timeformat.TimeLocale:
    return brand.get("time_locale") or timeformat.DEFAULT


def _templates(message: Message) -> list[str]:
    if message.channel == Message.Channel.SMS:
        return [f"notifications/sms/{message.kind}.txt"]
    return [f"notifications/{message.kind}.txt", f"notifications/{message.kind}.html"]


def _bodies(message: Message, rendered: list[str]) -> tuple[str, str]:
    if message.channel == Message.Channel.SMS:
        return rendered[0].strip(), ""
    return rendered[0], rendered[1]


# --- Many messages of one kind at once --------------------------------------------------------
#
# Reminders falling due together are hundreds of messages from one template that differ only
# in their words (class, time, links, name). `render_many` renders the template once per kind
# with a marker in place of each value that differs, then fills the markers in for each
# message, escaped exactly where the template escaped the marker. It is checked: the first
# message of each group is also rendered the ordinary way and must come out the same, and a
# marker a filter mangled leaves a trace that sends that message the ordinary way too.

_MARK = "\x1f"
_MARKER = re.compile(r"\x1f(<|&lt;)(\d+)(?:>|&gt;)\x1f")
_GROUP_FROM = 4  # fewer messages than this are simply rendered one by one


def _marker(index: int) -> str:
    return f"{_MARK}<{index}>{_MARK}"


class _RecipientMarkers:
    """Stands in for the recipient: each attribute a template reads becomes a marker."""

    def __init__(self, markers: list[tuple[str, str]]) -> None:
        self._markers = markers

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        self._markers.append(("recipient", name))
        return _marker(len(self._markers) - 1)


def _shape(message: Message) -> tuple:
    """Messages of one shape share a skeleton: the same kind and channel, and the same
    values wherever a value is not a non-empty string (those become markers)."""
    fixed = tuple(
        sorted(
            (key, repr(value))
            for key, value in message.context.items()
            if not (isinstance(value, str) and value)
        )
    )
    return (message.kind, message.channel, bool(message.subject), fixed)


def render_many(messages: list[Message], brand: dict[str, Any]) -> None:
    """Render each message (setting body and html_body), as `render` would, faster."""
    with timeformat.activate(_locale(brand)):
        _render_many(messages, brand)


def _render_many(messages: list[Message], brand: dict[str, Any]) -> None:
    groups: dict[tuple, list[Message]] = defaultdict(list)
    for message in messages:
        if message.body or message.channel == Message.Channel.PUSH or not message.context:
            message.body, message.html_body = render(message, brand)
        else:
            groups[_shape(message)].append(message)
    for group in groups.values():
        if len(group) < _GROUP_FROM or not _render_group(group, brand):
            for message in group:
                message.body, message.html_body = render(message, brand)


def _render_group(group: list[Message], brand: dict[str, Any]) -> bool:
    """Fill a skeleton in for each message of the group; False if the skeleton is unsafe."""
    first = group[0]
    varying = [
        key
        for key, value in first.context.items()
        if isinstance(value, str) and value and any(m.context.get(key) != value for m in group)
    ]
    if first.subject and any(m.subject != first.subject for m in group):
        varying.append("subject")
    markers: list[tuple[str, str]] = [("context", key) for key in varying]
    context = dict(first.context)
    for index, key in enumerate(varying):
        context[key] = _marker(index)
    subject = _marker(varying.index("subject")) if "subject" in varying else first.subject
    skeleton_context = _context(_RecipientMarkers(markers), subject, first.kind, context, brand)
    skeletons = [str(render_to_string(name, skeleton_context)) for name in _templates(first)]
    filled = _fill(first, skeletons, markers)
    if filled is None or filled != _bodies(
        first,
        [render_to_string(name, template_context(first, brand)) for name in _templates(first)],
    ):
        logger.info(
            "%s: rendered one by one (the template does more than print values)", first.kind
        )
        return False
    first.body, first.html_body = filled
    for message in group[1:]:
        bodies = _fill(message, skeletons, markers)
        message.body, message.html_body = bodies if bodies else render(message, brand)
    return True


def _fill(
    message: Message, skeletons: list[str], markers: list[tuple[str, str]]
) -> tuple[str, str] | None:
    values = []
    for where, key in markers:
        if where == "recipient":
            value = getattr(message.recipient, key, None)
        else:
            value = message.subject if key == "subject" else message.context.get(key)
        if not isinstance(value, str) or not value:
            return None  # e.g. a recipient with no name: this one the ordinary way
        values.append(value)

    def put(match: re.Match) -> str:
        value = values[int(match[2])]
        return value if match[1] == "<" else escape(value)

    rendered = [_MARKER.sub(put, skeleton) for skeleton in skeletons]
    if any(_MARK in text for text in rendered):
        return None
    return _bodies(message, rendered)


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
