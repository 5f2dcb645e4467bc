"""Sample content for the owner's preview of each message: what a client would read, with
the organization's real name, studio and branding but made-up class details."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from reformer.core import timeformat
from reformer.core.timezones import to_local
from reformer.notifications.rendering import absolute

PREVIEWABLE = {
    "class_reminder": "Class reminder",
    "booking_confirmed": "Booking confirmation",
    "waitlist_promoted": "Waitlist promotion",
    "session_cancelled": "Class cancelled",
    "session_changed": "Class changed",
    "package_expiring": "Package expiry warning",
    "test_message": "Test email",
}


def sample(kind: str, organization) -> tuple[str, dict[str, Any]]:
    studio = organization.studios.filter(active=True).order_by("pk").first()
    tz = studio.time_zone if studio else organization.time_zone
    start = to_local(timezone.now() + dt.timedelta(days=1), tz).replace(
        hour=9, minute=30, second=0, microsecond=0
    )
    locale = timeformat.locale_of(organization)
    when = timeformat.when(start, "day_year_time", locale, name_zone=True)
    studio_name = studio.name if studio else organization.name
    address = studio.address if studio else ""
    base = {
        "class_name": "Reformer Flow",
        "when": when,
        "when_short": f"{start:%a} {timeformat.when(start, 'time', locale)}",
        "duration_minutes": 50,
        "studio_name": studio_name,
        "studio_address": address,
        "room_name": "Studio 1",
        "instructor_name": "Maya",
        "spot": "Reformer 4",
        "reference": "SAMPLE1",
        "credit_cost": 1,
        "cancellation_text": "Cancel before tonight 21:30 to get your credit back.",
        "booking_url": absolute("/dashboard/"),
        "calendar_url": absolute("/dashboard/"),
        "cancel_url": absolute("/dashboard/"),
        "map_url": "https://www.google.com/maps/search/?api=1&query=" + address.replace(" ", "+")
        if address
        else "",
        "lead_time": f"tomorrow at {timeformat.when(start, 'time', locale)}",
    }
    if kind == "class_reminder":
        return f"Reminder: Reformer Flow tomorrow at {timeformat.when(start, 'time', locale)}", base
    if kind == "booking_confirmed":
        return f"Booked: Reformer Flow, {when}", base
    if kind == "waitlist_promoted":
        return f"You're in! A place opened up in Reformer Flow, {when}", base
    if kind == "session_cancelled":
        return f"Class cancelled: Reformer Flow, {when}", base | {
            "reason": "The instructor is unwell. Your credit has been returned."
        }
    if kind == "session_changed":
        return f"Class changed: Reformer Flow, {when}, now with Maya", base
    if kind == "package_expiring":
        return "Package expiring soon! 4 credits left", {
            "product_name": "10-class pack",
            "expires": timeformat.when(
                start + dt.timedelta(days=6), "day_year_time", locale, name_zone=True
            ),
            "expires_in": "in 7 days",
            "days_left": 7,
            "remaining_text": "4 credits left (4 of 10).",
            "credits_total": 10,
            "suggestions": [
                {"name": "Reformer Flow", "when": when, "url": absolute("/classes/")},
                {"name": "Mat Pilates", "when": when, "url": absolute("/classes/")},
            ],
            "book_url": absolute("/classes/"),
            "renew_url": absolute(f"/o/{organization.slug}/"),
            "studio_name": studio_name,
        }
    return f"Test email from {organization.name}", {
        "sent_at": f"{timezone.now():%Y-%m-%d %H:%M} UTC"
    }
