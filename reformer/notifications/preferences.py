"""What a person agreed to receive, per kind of message and channel.

Kinds fall into the categories a person can switch off (booking confirmations, reminders,
waitlist and schedule changes, package warnings) and marketing, which is a separate
opt-in. Account messages (a suspension, a no-show, an opt-in code, a package granted by the
desk) always go: they change what the person can do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from reformer.accounts.models import User
from reformer.core.timezones import zone
from reformer.notifications.models import RecipientSettings

BOOKING_CONFIRMATIONS = "booking_confirmations"
REMINDERS = "reminders"
WAITLIST_AND_SCHEDULE = "waitlist_and_schedule"
PACKAGE_WARNINGS = "package_warnings"
MARKETING = "marketing"
ACCOUNT = "account"

CATEGORY_OF_KIND = {
    "booking_confirmed": BOOKING_CONFIRMATIONS,
    "booking_cancelled": BOOKING_CONFIRMATIONS,
    "waitlist_joined": BOOKING_CONFIRMATIONS,
    "waitlist_left": BOOKING_CONFIRMATIONS,
    "class_reminder": REMINDERS,
    "appointment_reminder": REMINDERS,
    "waitlist_promoted": WAITLIST_AND_SCHEDULE,
    "waitlist_skipped": WAITLIST_AND_SCHEDULE,
    "waitlist_expired": WAITLIST_AND_SCHEDULE,
    "session_cancelled": WAITLIST_AND_SCHEDULE,
    "session_changed": WAITLIST_AND_SCHEDULE,
    "package_expiring": PACKAGE_WARNINGS,
    "marketing": MARKETING,
}

CATEGORY_LABELS = {
    BOOKING_CONFIRMATIONS: "Booking confirmations",
    REMINDERS: "Class reminders",
    WAITLIST_AND_SCHEDULE: "Waitlist and schedule changes",
    PACKAGE_WARNINGS: "Package expiry warnings",
    MARKETING: "News and offers",
    ACCOUNT: "Account messages",
}


def category_of(kind: str) -> str:
    return CATEGORY_OF_KIND.get(kind, ACCOUNT)


def settings_for(user: User) -> RecipientSettings:
    """The user's messaging settings as stored now (unsaved defaults when they have none)."""
    return RecipientSettings.objects.filter(user_id=user.pk).first() or RecipientSettings(user=user)


def preloaded_settings_for(user: User) -> RecipientSettings:
    """The settings loaded with the user (select_related("messaging")), without a query."""
    if "messaging" in user._state.fields_cache:
        return user._state.fields_cache["messaging"] or RecipientSettings(user=user)
    return settings_for(user)


def settings_for_update(user: User) -> RecipientSettings:
    """The row, created if missing and locked, for a change in the current transaction."""
    RecipientSettings.objects.get_or_create(user=user)
    return RecipientSettings.objects.select_for_update().get(user=user)


def wants(user: User, kind: str, recipient_settings: RecipientSettings | None = None) -> bool:
    """Whether the person agreed to this kind of message at all (any channel)."""
    category = category_of(kind)
    if category == ACCOUNT:
        return True
    if category == MARKETING:
        return user.notify_promotional_email
    if category == BOOKING_CONFIRMATIONS:
        return user.notify_booking_confirmations
    if category == REMINDERS:
        return user.notify_class_reminders
    chosen = recipient_settings or settings_for(user)
    if category == WAITLIST_AND_SCHEDULE:
        return chosen.notify_waitlist_changes
    return chosen.notify_package_warnings


def sms_number(user: User, recipient_settings: RecipientSettings | None = None) -> str:
    """Where an SMS to this person may go now: opted in, confirmed, not stopped, valid."""
    if not user.notify_sms:
        return ""
    return (recipient_settings or settings_for(user)).sms_number()


@dataclass(frozen=True)
class QuietHours:
    start: dt.time
    end: dt.time
    time_zone: str

    def release_at(self, now: dt.datetime) -> dt.datetime | None:
        """When a message held now may go (the end of quiet hours), or None outside them."""
        local = now.astimezone(zone(self.time_zone))
        at = local.time().replace(tzinfo=None)
        if self.start == self.end:
            return None
        overnight = self.start > self.end
        inside = (at >= self.start or at < self.end) if overnight else self.start <= at < self.end
        if not inside:
            return None
        day = local.date()
        if overnight and at >= self.start:
            day += dt.timedelta(days=1)
        # Combined as a wall-clock time in the zone, so a DST change overnight is respected.
        return dt.datetime.combine(day, self.end).replace(tzinfo=zone(self.time_zone))


def quiet_hours_of(studio) -> QuietHours | None:
    """The studio's quiet hours (from its policy), or None when it has none."""
    policy = getattr(studio, "policy", None) if studio is not None else None
    if policy is None or policy.quiet_hours_start is None or policy.quiet_hours_end is None:
        return None
    return QuietHours(policy.quiet_hours_start, policy.quiet_hours_end, studio.time_zone)
