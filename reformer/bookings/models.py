"""Bookings and waitlists, with the database guarding the invariants under concurrency."""

from __future__ import annotations

import secrets

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import F, Q

from reformer.accounts.models import Membership
from reformer.billing.models import ClientPackage
from reformer.scheduling.models import ClassSession, TsTzRange
from reformer.studios.models import Organization, Spot

# Reference alphabet without look-alikes (0/O, 1/I/L) so it can be read out at the desk.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


# The statuses that hold a place in a class (as plain strings, for the constraints below).
HOLDING_STATUSES = ["confirmed", "attended", "no_show"]


class Booking(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        CANCELLED = "cancelled", "Cancelled"
        LATE_CANCELLED = "late_cancelled", "Late cancelled"
        ATTENDED = "attended", "Attended"
        NO_SHOW = "no_show", "No-show"

    class Source(models.TextChoices):
        WEB = "web", "Web"
        STAFF = "staff", "Staff"
        WAITLIST = "waitlist", "Waitlist"
        API = "api", "API"

    # Statuses that hold a place in the class (counted in ClassSession.booked_count).
    HOLDING = tuple(map(Status, HOLDING_STATUSES))

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="bookings")
    client = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="bookings")
    client_package = models.ForeignKey(
        ClientPackage, on_delete=models.PROTECT, null=True, blank=True, related_name="bookings"
    )
    spot = models.ForeignKey(Spot, on_delete=models.SET_NULL, null=True, blank=True)
    # Copies of the session's times so the database itself refuses overlapping bookings.
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CONFIRMED)
    is_late = models.BooleanField(default=False, help_text="Arrived after start, within grace.")
    checked_in_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    credit_returned = models.BooleanField(default=False)
    # Set on a no-show once it has been counted towards a suspension, so the same strikes
    # never suspend twice ("3 strikes" starts again after a suspension).
    strike_used_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)
    reference = models.CharField(max_length=12, unique=True, default=new_reference)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "session"],
                condition=Q(status__in=HOLDING_STATUSES),
                name="booking_one_active_per_client_session",
            ),
            models.UniqueConstraint(
                fields=["session", "spot"],
                condition=Q(status__in=HOLDING_STATUSES, spot__isnull=False),
                name="booking_spot_taken_once",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="booking_ends_after_start"
            ),
            ExclusionConstraint(
                name="booking_no_client_overlap",
                expressions=[
                    (F("client"), RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
                condition=Q(status__in=HOLDING_STATUSES),
            ),
        ]
        indexes = [
            models.Index(fields=["session", "status"]),
            models.Index(fields=["client", "status", "starts_at"]),
            models.Index(fields=["organization", "created_at"]),
            models.Index(fields=["organization", "starts_at"]),
            # The no-show job's scan: confirmed bookings nobody has checked in yet.
            models.Index(
                fields=["starts_at"],
                condition=Q(status="confirmed", checked_in_at__isnull=True),
                name="booking_awaiting_attendance",
            ),
        ]

    def __str__(self) -> str:
        return f"Booking {self.reference}"

    @property
    def is_active(self) -> bool:
        return self.status in self.HOLDING


class WaitlistEntry(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        PROMOTED = "promoted", "Promoted"
        SKIPPED = "skipped", "Skipped"
        REMOVED = "removed", "Removed"
        EXPIRED = "expired", "Expired"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="waitlist")
    client = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="waitlist")
    joined_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    # Why the last promotion attempt passed this client over (credits, overlap, ...).
    skip_reason = models.CharField(max_length=200, blank=True)
    skip_notified_at = models.DateTimeField(null=True, blank=True)
    booking = models.OneToOneField(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="waitlist_entry"
    )
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "waitlist entries"
        ordering = ["joined_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "session"],
                condition=Q(status="waiting"),
                name="waitlist_one_per_client_session",
            )
        ]
        indexes = [models.Index(fields=["session", "status", "joined_at"])]

    def __str__(self) -> str:
        return f"{self.client.user} waiting for {self.session}"


class OfflineMark(models.Model):
    """An attendance mark made on a device while offline and sent when it reconnected
    (PHX-26). The device's key (one per mark) is claimed before the mark is applied, so a
    mark sent twice (a retry, a second tab, background sync and reconnect both firing) is
    applied once; the outcome is kept to answer the repeats."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "Being applied"
        APPLIED = "applied", "Applied"
        CONFLICT = "conflict", "Not applied: the booking changed meanwhile"
        REFUSED = "refused", "Not applied"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    key = models.CharField(max_length=64)
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="offline_marks")
    marked_by = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    message = models.CharField(max_length=300, blank=True)
    marked_offline_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="offline_mark_once")
        ]

    def __str__(self) -> str:
        return f"offline mark {self.key} ({self.outcome})"
