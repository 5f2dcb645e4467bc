"""Calendar feeds: a private, revocable subscription URL per person, and what each event
last looked like (so SEQUENCE and LAST-MODIFIED move only when the event really changes)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from reformer.accounts.models import Membership, User
from reformer.studios.models import Organization


class CalendarFeed(models.Model):
    class Reminders(models.TextChoices):
        BOTH = "2h_30m", "2 hours and 30 minutes before"
        TWO_HOURS = "2h", "2 hours before"
        THIRTY_MINUTES = "30m", "30 minutes before"
        NONE = "none", "No reminders"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    # The secret in the URL. Whoever has the URL reads the feed, as with every calendar
    # subscription; resetting or revoking the feed is what ends that.
    token = models.CharField(max_length=64, unique=True)
    reminders = models.CharField(max_length=10, choices=Reminders.choices, default=Reminders.BOTH)
    created_at = models.DateTimeField(auto_now_add=True)
    # A feed nobody polls for a year stops answering; every poll pushes this forward.
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    poll_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["membership"],
                condition=Q(revoked_at__isnull=True),
                name="calendar_feed_one_live_per_membership",
            )
        ]

    def __str__(self) -> str:
        return f"Calendar feed of {self.membership_id}"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None


class CalendarEventState(models.Model):
    """The last published version of one event (by UID), written when a feed is built."""

    uid = models.CharField(max_length=120, unique=True)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    fingerprint = models.CharField(max_length=64)
    sequence = models.PositiveIntegerField(default=0)
    last_modified = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.uid} #{self.sequence}"
