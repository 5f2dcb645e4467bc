"""Calendar feed actions: create, reset, revoke, reminder preference, and a poll.

Every member may hold one live feed of their own. Staff holding REVOKE_CALENDAR_FEEDS may
end anyone's feed in their organization (a lost phone, a shared link); a manager only for
people in their studios' reach (clients belong to the whole organization).
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.calendars.models import CalendarFeed
from reformer.core import audit, permissions
from reformer.core.errors import DomainError, NotFound
from reformer.core.parsing import to_key

LIFETIME = dt.timedelta(days=365)
# A poll renews the feed's year, at most this often (a poll is otherwise read-only).
POLL_RECORD_EVERY = dt.timedelta(hours=1)


class InvalidReminders(DomainError):
    def __init__(self) -> None:
        super().__init__("calendar.invalid_reminders", "Choose one of the reminder options.")


def _require_member(actor: Membership) -> None:
    if not actor.active:
        raise permissions.PermissionDenied("calendar_feeds.own")


def live_feed(actor: Membership) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(membership=actor, revoked_at__isnull=True).first()


def create_feed(actor: Membership, *, now: dt.datetime | None = None) -> CalendarFeed:
    """The actor's live feed, created if there is none (twice at once still makes one)."""
    _require_member(actor)
    now = now or timezone.now()
    existing = live_feed(actor)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            feed = CalendarFeed.objects.create(
                organization_id=actor.organization_id,
                membership=actor,
                token=secrets.token_urlsafe(32),
                expires_at=now + LIFETIME,
            )
            audit.record(actor, "calendar.feed.created", feed)
    except IntegrityError:
        raced = live_feed(actor)
        if raced is None:
            raise
        return raced
    return feed


def _revoke(feed: CalendarFeed, by: Membership, code: str, now: dt.datetime) -> None:
    feed.revoked_at = now
    feed.revoked_by = by.user
    feed.save(update_fields=["revoked_at", "revoked_by"])
    audit.record(by, code, feed, member=feed.membership_id)


@transaction.atomic
def reset_feed(actor: Membership, *, now: dt.datetime | None = None) -> CalendarFeed:
    """A new secret URL; the old one stops answering at once. Keeps the reminder choice."""
    _require_member(actor)
    now = now or timezone.now()
    old = CalendarFeed.objects.select_for_update().filter(membership=actor, revoked_at__isnull=True)
    reminders: str = CalendarFeed.Reminders.BOTH
    for feed in old:
        reminders = feed.reminders
        _revoke(feed, actor, "calendar.feed.reset", now)
    feed = CalendarFeed.objects.create(
        organization_id=actor.organization_id,
        membership=actor,
        token=secrets.token_urlsafe(32),
        reminders=reminders,
        expires_at=now + LIFETIME,
    )
    audit.record(actor, "calendar.feed.created", feed)
    return feed


@transaction.atomic
def revoke_own_feed(actor: Membership, *, now: dt.datetime | None = None) -> bool:
    _require_member(actor)
    now = now or timezone.now()
    feeds = list(
        CalendarFeed.objects.select_for_update().filter(membership=actor, revoked_at__isnull=True)
    )
    for feed in feeds:
        _revoke(feed, actor, "calendar.feed.revoked", now)
    return bool(feeds)


@transaction.atomic
def revoke_member_feed(
    actor: Membership, feed_id: int, *, now: dt.datetime | None = None
) -> CalendarFeed:
    """Staff end someone's feed. Another organization's feed is NotFound."""
    feed = (
        CalendarFeed.objects.select_for_update()
        .select_related("membership")
        .filter(pk=feed_id)
        .first()
    )
    if feed is None:
        raise NotFound("calendar feed")
    permissions.require_same_organization(actor, feed, "calendar feed")
    permissions.require(actor, permissions.REVOKE_CALENDAR_FEEDS)
    target = feed.membership
    if not permissions.may_revoke_feed_of(actor, target):
        raise permissions.PermissionDenied(permissions.REVOKE_CALENDAR_FEEDS)
    if feed.revoked_at is None:
        _revoke(feed, actor, "calendar.feed.revoked_by_staff", now or timezone.now())
    return feed


@transaction.atomic
def set_reminders(actor: Membership, reminders: str) -> CalendarFeed:
    if reminders not in CalendarFeed.Reminders.values:
        raise InvalidReminders()
    feed = create_feed(actor)
    if feed.reminders != reminders:
        feed.reminders = reminders
        feed.save(update_fields=["reminders"])
        audit.record(actor, "calendar.feed.reminders", feed, reminders=reminders)
    return feed


def open_feed(token: str, *, now: dt.datetime | None = None) -> CalendarFeed | None:
    """The live feed for a token, or None (unknown, revoked, expired, member gone).

    A poll renews the feed's year and counts itself, written at most once an hour per feed.
    """
    now = now or timezone.now()
    key = to_key(token, max_length=64)
    if key is None:
        return None
    feed = (
        CalendarFeed.objects.select_related("membership__organization", "membership__user")
        .filter(token=key, revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if feed is None or not feed.membership.active or not feed.membership.user.is_active:
        return None
    if feed.last_polled_at is None or now - feed.last_polled_at >= POLL_RECORD_EVERY:
        CalendarFeed.objects.filter(pk=feed.pk).update(
            last_polled_at=now, expires_at=now + LIFETIME, poll_count=F("poll_count") + 1
        )
    return feed
