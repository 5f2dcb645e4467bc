"""Appointments shown where classes are: the client dashboard, the instructor's day, the
check-in desk. Inclusion tags, so those pages' own views stay as they are."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

from reformer.core.permissions import is_staff
from reformer.core.timezones import local_day_bounds, local_today
from reformer.web.frontdoor import queries

register = template.Library()


@register.inclusion_tag("frontdoor/_dashboard_appointments.html", takes_context=True)
def client_appointments(context) -> dict:
    actor = getattr(context.get("request"), "membership", None)
    places = queries.client_places(actor) if actor is not None else []
    return {
        "places": places,
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("frontdoor/_instructor_appointments.html", takes_context=True)
def instructor_appointments(context, days: int = 7) -> dict:
    actor = getattr(context.get("request"), "membership", None)
    if actor is None or not is_staff(actor):
        return {"appointments": []}
    now = timezone.now()
    return {
        "appointments": queries.instructor_appointments(
            actor, now - dt.timedelta(hours=2), now + dt.timedelta(days=days)
        ),
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("frontdoor/_checkin_appointments.html", takes_context=True)
def checkin_appointments(context, studio, day: dt.date | None = None) -> dict:
    actor = getattr(context.get("request"), "membership", None)
    if actor is None or studio is None:
        return {"appointments": []}
    day = day or local_today(studio.time_zone)
    start, _end = local_day_bounds(day, studio.time_zone)
    return {
        "appointments": [
            a for a in queries.day_appointments(actor, studio, day) if a.status == "scheduled"
        ],
        "studio": studio,
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        "day_start": start,
    }


@register.inclusion_tag("frontdoor/_week_appointments.html", takes_context=True)
def week_appointments(context, studio, monday: dt.date) -> dict:
    """The studio's appointments of the week shown under the staff schedule (one query)."""
    actor = getattr(context.get("request"), "membership", None)
    if actor is None or studio is None or monday is None:
        return {"appointments": []}
    start, _ = local_day_bounds(monday, studio.time_zone)
    end, _ = local_day_bounds(monday + dt.timedelta(days=7), studio.time_zone)
    return {
        "appointments": queries.studio_appointments(actor, studio, start, end),
        "studio": studio,
    }


@register.filter
def cancellation_policy(kind) -> str:
    """An appointment type's cancellation rule, with its fees, before booking."""
    from reformer.appointments.terms import policy_text

    return policy_text(kind)


@register.filter
def cancel_terms(place) -> str:
    """What cancelling this place now would mean (the cancel dialog)."""
    from reformer.appointments.terms import cancel_text

    return cancel_text(place)
