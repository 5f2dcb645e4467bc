"""Template helpers of the staff pages.

{% load staff_tags %}
{% if membership|can:"billing.manage" %} ... {% endif %}      core.permissions capability
{{ session|local:"time" }}              a session's start in its studio's zone (timeformat style)
{{ session|local_end:"time" }}
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

from reformer.accounts.birthdays import birthday_flag as _birthday_flag
from reformer.core import timeformat
from reformer.core.money import format_money
from reformer.core.permissions import has_capability
from reformer.core.timezones import local_today, to_local
from reformer.studios.validation import WEEKDAYS

register = template.Library()


@register.filter
def can(membership, capability: str) -> bool:
    return membership is not None and has_capability(membership, capability)


# Machine formats (links, form values) stay Django date formats; people read timeformat styles.
MACHINE_FORMATS = ("Y-m-d", "c", "Ymd")


def _studio_time(moment: dt.datetime, tz_name: str, style: str) -> str:
    local_moment = to_local(moment, tz_name)
    if style in MACHINE_FORMATS:
        return date_format(local_moment, style)
    return timeformat.when(local_moment, style)


@register.filter
def local(session, style: str = "time") -> str:
    return _studio_time(session.starts_at, session.studio.time_zone, style)


@register.filter
def local_end(session, style: str = "time") -> str:
    return _studio_time(session.ends_at, session.studio.time_zone, style)


@register.filter
def weekday_name(index: int) -> str:
    return WEEKDAYS[int(index)]


@register.filter
def hhmm(value: dt.time | None) -> str:
    return timeformat.when(value, "time") if value else ""


@register.filter
def money(amount, currency: str = "USD") -> str:
    return format_money(amount, currency)


@register.filter
def low_on_credits(package) -> bool:
    """A counted package with LOW_CREDITS or fewer left (flagged on the roster)."""
    from reformer.web.staff.queries import LOW_CREDITS

    return (
        package is not None
        and not package.is_unlimited
        and package.credits_remaining is not None
        and package.credits_remaining <= LOW_CREDITS
    )


@register.filter
def birthday_flag(booking) -> str | None:
    """ "Birthday today" (a class today) / "Birthday on class day" / "Birthday on Thursday"
    when the client's birthday falls in the week of the booking's class (the studio's local
    date), else None."""
    profile = getattr(booking.client, "client_profile", None)
    if profile is None or profile.birth_date is None:
        return None
    session = booking.session
    zone = session.studio.time_zone
    class_day = to_local(session.starts_at, zone).date()
    return _birthday_flag(profile.birth_date, class_day, today=local_today(zone))


@register.filter
def started(session) -> bool:
    return session.starts_at <= timezone.now()


@register.inclusion_tag("staff/alerts/_panel.html", takes_context=True)
def staff_alerts_panel(context) -> dict:
    """{% staff_alerts_panel %}: the open alerts of the current member, where staff work."""
    from reformer.web.staff.alerts import panel_context

    return panel_context(context["request"])


@register.filter
def ago(moment: dt.datetime) -> str:
    """'just now', '5 minutes ago', '2 days, 3 hours ago'."""
    from django.utils.timesince import timesince

    if timezone.now() - moment < dt.timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment)} ago"
