"""Studios, their opening hours, closures and booking policy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.core import audit
from reformer.core.errors import DomainError
from reformer.core.live import publish_after_commit, studio_schedule
from reformer.core.permissions import (
    CREATE_STUDIO,
    MANAGE_STUDIO,
    require,
    require_same_organization,
)
from reformer.core.timezones import local_day_bounds, local_today
from reformer.scheduling.actions import GENERATION_HORIZON, generate_sessions
from reformer.scheduling.models import ClassSession
from reformer.studios.audit_codes import (
    STUDIOS_CLOSURE_ADDED,
    STUDIOS_CLOSURE_REMOVED,
    STUDIOS_POLICY_UPDATED,
    STUDIOS_STUDIO_CREATED,
    STUDIOS_STUDIO_HOURS_SET,
    STUDIOS_STUDIO_SPECIAL_HOURS_SET,
    STUDIOS_STUDIO_UPDATED,
)
from reformer.studios.errors import CLOSURE_CLASSES_SCHEDULED
from reformer.studios.locking import lock_studio
from reformer.studios.models import Closure, Studio, StudioPolicy
from reformer.studios.validation import (
    WEEKDAYS,
    apply_changes,
    clean_int,
    clean_text,
    clean_time_zone,
    clock,
    day_label,
    invalid,
    parse_clock,
    plural,
    stored_clock,
    violated_constraint,
)

# ------------------------------------------------------------------------------------ studios


def create_studio(
    actor: Membership,
    *,
    name: str,
    address: str,
    time_zone: str,
    opening_hours: Mapping[str | int, Sequence[str] | None] | None = None,
) -> Studio:
    """A new studio with the default policy (and default opening hours unless given)."""
    require(actor, CREATE_STUDIO)
    values: dict[str, Any] = {
        "name": clean_text(name, field="name", label="Name", max_length=120),
        "address": clean_text(
            address, field="address", label="Address", max_length=255, required=False
        ),
        "time_zone": clean_time_zone(time_zone),
    }
    if opening_hours is not None:
        values["opening_hours"] = clean_opening_hours(opening_hours)
    with transaction.atomic(durable=True):
        try:
            with transaction.atomic():
                studio = Studio.objects.create(organization_id=actor.organization_id, **values)
        except IntegrityError as exc:
            if violated_constraint(exc) == "studio_name_unique_per_organization":
                message = f"There is already a studio called {values['name']}."
                raise invalid(message, "name") from None
            raise
        StudioPolicy.objects.create(organization_id=actor.organization_id, studio=studio)
        audit.record(actor, STUDIOS_STUDIO_CREATED, studio, name=studio.name)
    return studio


def update_studio(
    actor: Membership,
    studio: Studio,
    *,
    name: str | None = None,
    address: str | None = None,
    time_zone: str | None = None,
    active: bool | None = None,
) -> Studio:
    """Change the given fields (None = unchanged).

    The time zone and the active flag only change while no class is scheduled ahead: a
    class is a fixed instant, so a new zone would move it on the wall clock, and an
    inactive studio hides its classes from clients.
    """
    require(actor, MANAGE_STUDIO, studio=studio)
    values: dict[str, object] = {}
    if name is not None:
        values["name"] = clean_text(name, field="name", label="Name", max_length=120)
    if address is not None:
        values["address"] = clean_text(
            address, field="address", label="Address", max_length=255, required=False
        )
    if time_zone is not None:
        values["time_zone"] = clean_time_zone(time_zone)
    if active is not None:
        values["active"] = bool(active)
    with transaction.atomic(durable=True):
        studio = lock_studio(studio.pk)
        changes = apply_changes(studio, values)
        if {"time_zone", "active"} & changes.keys():
            upcoming = ClassSession.objects.filter(
                studio=studio, status=ClassSession.Status.SCHEDULED, ends_at__gt=timezone.now()
            ).count()
            if upcoming and "time_zone" in changes:
                raise invalid(
                    f"{studio.name} has {plural(upcoming, 'upcoming class', 'upcoming classes')}"
                    " at fixed times; cancel them before changing its time zone.",
                    "time_zone",
                )
            if upcoming and changes.get("active") == [True, False]:
                raise invalid(
                    f"Cancel the {plural(upcoming, 'upcoming class', 'upcoming classes')} at "
                    f"{studio.name} before deactivating it.",
                    "active",
                )
        if changes:
            try:
                with transaction.atomic():
                    studio.save()
            except IntegrityError as exc:
                if violated_constraint(exc) == "studio_name_unique_per_organization":
                    message = f"There is already a studio called {studio.name}."
                    raise invalid(message, "name") from None
                raise
            audit.record(actor, STUDIOS_STUDIO_UPDATED, studio, changes=changes)
    return studio


def clean_opening_hours(hours: Mapping[str | int, Sequence[str] | None]) -> dict[str, list[str]]:
    """{weekday (0 = Monday): [open, close]}; an empty or missing day is closed."""
    if not isinstance(hours, Mapping):
        raise invalid("Opening hours must map weekdays to [open, close].", "hours")
    cleaned: dict[str, list[str]] = {}
    for key, value in hours.items():
        try:
            day = int(key)
        except (TypeError, ValueError):
            day = -1
        if not 0 <= day <= 6:
            raise invalid(f"{key!r} is not a weekday: use 0 (Monday) to 6 (Sunday).", "hours")
        if str(day) in cleaned:
            raise invalid(f"{WEEKDAYS[day]} is given twice.", "hours")
        if value:
            cleaned[str(day)] = _clean_span(value, WEEKDAYS[day])
    return dict(sorted(cleaned.items()))


def _clean_span(value: Sequence[str], what: str) -> list[str]:
    if isinstance(value, str) or len(value) != 2:
        raise invalid(f"{what}: give an opening and a closing time, like 06:00 and 21:00.", "hours")
    opens = parse_clock(value[0], field="hours", label=f"{what} opening time")
    closes = parse_clock(value[1], field="hours", label=f"{what} closing time")
    if opens >= closes:
        raise invalid(
            f"{what}: opening time {clock(opens)} must be before closing time {clock(closes)}.",
            "hours",
        )
    return [stored_clock(opens), stored_clock(closes)]


def set_opening_hours(
    actor: Membership, studio: Studio, *, hours: Mapping[str | int, Sequence[str] | None]
) -> Studio:
    require(actor, MANAGE_STUDIO, studio=studio)
    cleaned = clean_opening_hours(hours)
    with transaction.atomic(durable=True):
        studio = lock_studio(studio.pk)
        old = studio.opening_hours
        studio.opening_hours = cleaned
        studio.save(update_fields=["opening_hours"])
        audit.record(actor, STUDIOS_STUDIO_HOURS_SET, studio, old=old, new=cleaned)
    return studio


def set_special_hours(
    actor: Membership, studio: Studio, *, date: dt.date, hours: Sequence[str] | None
) -> Studio:
    """Override one date's hours: [open, close], [] for closed all day, None to clear.

    Special hours are what the studio shows; a Closure is what stops classes that day.
    Past overrides are dropped on every change.
    """
    require(actor, MANAGE_STUDIO, studio=studio)
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        raise invalid("Give a calendar date.", "date")
    span = None if hours is None else ([] if not hours else _clean_span(hours, day_label(date)))
    with transaction.atomic(durable=True):
        studio = lock_studio(studio.pk)
        today = local_today(studio.time_zone)
        if date < today:
            raise invalid("That date is in the past.", "date")
        special = {
            day: value
            for day, value in studio.special_hours.items()
            if dt.date.fromisoformat(day) >= today
        }
        if span is None:
            special.pop(date.isoformat(), None)
        else:
            special[date.isoformat()] = span
        studio.special_hours = dict(sorted(special.items()))
        studio.save(update_fields=["special_hours"])
        audit.record(actor, STUDIOS_STUDIO_SPECIAL_HOURS_SET, studio, date=date, hours=span)
    return studio


# ----------------------------------------------------------------------------------- closures


def add_closure(actor: Membership, studio: Studio, *, date: dt.date, reason: str = "") -> Closure:
    """Close the studio for a day. Refused while classes are scheduled that day: cancelling
    them (with refunds) is the booking engine's `cancel_session`, done first."""
    require(actor, MANAGE_STUDIO, studio=studio)
    reason = clean_text(reason, field="reason", label="Reason", max_length=200, required=False)
    with transaction.atomic(durable=True):
        studio = lock_studio(studio.pk)
        if date < local_today(studio.time_zone):
            raise invalid("That date is in the past.", "date")
        if Closure.objects.filter(studio=studio, date=date).exists():
            raise invalid(f"{studio.name} is already closed on {day_label(date)}.", "date")
        start, end = local_day_bounds(date, studio.time_zone)
        scheduled = ClassSession.objects.filter(
            studio=studio,
            status=ClassSession.Status.SCHEDULED,
            starts_at__gte=start,
            starts_at__lt=end,
        ).count()
        if scheduled:
            classes = plural(scheduled, "class", "classes")
            raise DomainError(
                CLOSURE_CLASSES_SCHEDULED,
                f"There {'is' if scheduled == 1 else 'are'} {classes} at {studio.name} on "
                f"{day_label(date)}. Cancel the {classes} on that day first.",
                count=scheduled,
                field="date",
            )
        closure = Closure.objects.create(
            organization_id=studio.organization_id, studio=studio, date=date, reason=reason
        )
        audit.record(actor, STUDIOS_CLOSURE_ADDED, closure, date=date, reason=reason)
        publish_after_commit([studio_schedule(studio.pk)], "closure", "created", [closure.pk])
    return closure


def remove_closure(actor: Membership, closure: Closure) -> None:
    """Open the day again; the weekly classes of that day are generated right away."""
    require_same_organization(actor, closure, "closure")
    require(actor, MANAGE_STUDIO, studio=closure.studio)
    with transaction.atomic(durable=True):
        studio = lock_studio(closure.studio_id)
        if closure.date < local_today(studio.time_zone):
            raise invalid("That closure is in the past and stays on record.", "date")
        closure_id, day = closure.pk, closure.date
        audit.record(actor, STUDIOS_CLOSURE_REMOVED, closure, date=day)
        Closure.objects.filter(pk=closure_id).delete()
        if day <= local_today(studio.time_zone) + GENERATION_HORIZON:
            generate_sessions(until=day, studio=studio)
        publish_after_commit([studio_schedule(studio.pk)], "closure", "deleted", [closure_id])


# ------------------------------------------------------------------------------------- policy

# Whole-number settings: (lowest, highest, label).
POLICY_NUMBERS: dict[str, tuple[int, int, str]] = {
    "booking_window_days": (1, 365, "Booking window (days)"),
    "cancellation_window_hours": (0, 720, "Cancellation window (hours)"),
    "check_in_window_minutes": (0, 1440, "Check-in window (minutes)"),
    "no_show_grace_minutes": (0, 240, "No-show grace (minutes)"),
    "strike_count": (1, 100, "No-shows before suspension"),
    "strike_period_days": (1, 365, "Strike period (days)"),
    "suspension_days": (0, 365, "Suspension (days)"),
    "waitlist_cutoff_minutes": (0, 10080, "Waitlist cut-off (minutes)"),
    "max_upcoming_bookings": (0, 1000, "Most upcoming bookings per client"),
}
POLICY_CHOICES: dict[str, tuple[type[models.TextChoices], str]] = {
    "late_cancel_rule": (StudioPolicy.LateCancelRule, "Late-cancel rule"),
    "waitlist_mode": (StudioPolicy.WaitlistMode, "Waitlist mode"),
}
POLICY_TIMES = {"quiet_hours_start": "Quiet hours start", "quiet_hours_end": "Quiet hours end"}


def update_policy(actor: Membership, studio: Studio, /, **fields: Any) -> StudioPolicy:
    """Change the studio's booking rules; `fields` are StudioPolicy field names."""
    require(actor, MANAGE_STUDIO, studio=studio)
    values: dict[str, object] = {}
    for name, value in fields.items():
        if name in POLICY_NUMBERS:
            low, high, label = POLICY_NUMBERS[name]
            values[name] = clean_int(value, field=name, label=label, minimum=low, maximum=high)
        elif name in POLICY_CHOICES:
            choices, label = POLICY_CHOICES[name]
            if value not in choices.values:
                allowed = ", ".join(choices.values)
                raise invalid(f"{label} must be one of: {allowed}.", name)
            values[name] = str(value)
        elif name in POLICY_TIMES:
            label = POLICY_TIMES[name]
            empty = value is None or value == ""
            values[name] = None if empty else parse_clock(value, field=name, label=label)
        else:
            raise invalid(f"{name!r} is not a studio policy setting.", name)
    with transaction.atomic(durable=True):
        policy, _ = StudioPolicy.objects.select_for_update().get_or_create(
            studio=studio, defaults={"organization_id": studio.organization_id}
        )
        changes = apply_changes(policy, values)
        start, end = policy.quiet_hours_start, policy.quiet_hours_end
        if (start is None) != (end is None):
            message = "Give both a start and an end for quiet hours, or neither."
            raise invalid(message, "quiet_hours_end")
        if start is not None and start == end:
            raise invalid("Quiet hours must start and end at different times.", "quiet_hours_end")
        if changes:
            policy.save()
            audit.record(actor, STUDIOS_POLICY_UPDATED, policy, changes=changes)
    return policy
