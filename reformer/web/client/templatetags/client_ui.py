"""Small formatting helpers for the client's pages: `{% load client_ui %}`."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from urllib.parse import quote_plus

from django import template
from django.templatetags.tz import do_timezone
from django.urls import reverse
from django.utils import timezone

from reformer.core import timeformat
from reformer.core.money import format_money
from reformer.core.timezones import local_today

register = template.Library()


@register.filter
def local(moment: dt.datetime | None, zone: str | dt.tzinfo) -> dt.datetime | str:
    """The moment in a studio's time zone, to format with |date. (A plain aware datetime
    would be turned back into the site's zone, UTC, by |date: see Django's tz filters.)"""
    return do_timezone(moment, zone) if moment else ""


@register.filter
def day_label(day: dt.date, tz_name: str) -> str:
    """'Today, Monday 1 December', 'Tomorrow, ...' or 'Wednesday 3 December'."""
    today = local_today(tz_name)
    name = timeformat.when(day, "day_long")
    if day == today:
        return f"Today, {name}"
    if day == today + dt.timedelta(days=1):
        return f"Tomorrow, {name}"
    return name


@register.filter
def starts_in(moment: dt.datetime) -> str:
    """'Starting in 3 hours' within the next 24 hours, 'Started' after the start, else ''."""
    seconds = (moment - timezone.now()).total_seconds()
    if seconds <= 0:
        return "Started"
    if seconds >= 24 * 3600:
        return ""
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"Starting in {minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(seconds / 3600)
    return f"Starting in {hours} hour{'s' if hours != 1 else ''}"


@lru_cache(maxsize=4)
def _photo_url_format(name: str) -> str:
    return reverse(name, args=[987654321]).replace("987654321", "{}")


def _photo_url(url_name: str, pk: int, photo) -> str:
    if not photo:
        return ""
    version = photo.name.rsplit("/", 1)[-1].removesuffix(".jpg")
    return f"{_photo_url_format(url_name).format(pk)}?v={version}"


@register.filter
def class_type_photo_url(class_type) -> str:
    """The class type's photo URL, or "" (the template draws the placeholder)."""
    return _photo_url("client:class_type_photo", class_type.pk, class_type.photo)


@register.filter
def instructor_photo_url(member) -> str:
    """An instructor's (a staff member's) profile photo URL, or ""."""
    if member is None:
        return ""
    return _photo_url("client:instructor_photo", member.pk, member.user.photo)


@register.filter
def initials(name: str) -> str:
    """'Reformer Foundations' -> 'RF', 'sarah' -> 'S': the placeholder when there's no photo."""
    words = [w for w in str(name).replace("-", " ").split() if w[:1].isalnum()]
    return "".join(w[0] for w in words[:2]).upper()


@register.filter
def directions_url(studio) -> str:
    """A map search for the studio's address (the reminder emails link the same)."""
    return f"https://www.google.com/maps/search/?api=1&query={quote_plus(studio.address)}"


@register.filter
def minutes_between(start: dt.datetime, end: dt.datetime) -> int:
    return int((end - start).total_seconds() // 60)


@register.filter
def spots_text(count: int) -> str:
    return f"{count} spot{'s' if count != 1 else ''} left"


@register.filter
def money(product) -> str:
    return format_money(product.price, product.currency)


@register.filter
def signed(value: int) -> str:
    return f"+{value}" if value > 0 else f"\u2212{abs(value)}"


ATTENDANCE = {
    "attended": ("Attended", "success"),
    "no_show": ("No-show", "danger"),
    "cancelled": ("Cancelled", "neutral"),
    "late_cancelled": ("Late cancelled", "warning"),
    "confirmed": ("Awaiting check-in", "neutral"),
}


@register.filter
def attendance_label(booking) -> str:
    if booking.status == "attended" and booking.is_late:
        return "Late"
    return ATTENDANCE.get(booking.status, (booking.get_status_display(), "neutral"))[0]


@register.filter
def attendance_variant(booking) -> str:
    if booking.status == "attended" and booking.is_late:
        return "warning"
    return ATTENDANCE.get(booking.status, ("", "neutral"))[1]
