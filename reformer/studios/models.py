"""The tenant (Organization) and its places: studios, rooms, spots, closures, policies."""

from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. America/New_York).")


hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #3b6e8f.")


class Organization(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
    logo = models.ImageField(upload_to="logos/", blank=True)
    brand_colour = models.CharField(max_length=7, default="#3b6e8f", validators=[hex_colour])
    # How dates and times are written (core/timeformat.py); blank: from the time zone's country.
    locale = models.CharField(max_length=10, blank=True, default="")
    public_description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


def default_opening_hours() -> dict[str, list[str]]:
    # Weekday (0 = Monday) -> [open, close] in the studio's local time; missing = closed.
    return {str(day): ["06:00", "21:00"] for day in range(7)}


class Studio(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="studios")
    name = models.CharField(max_length=120)
    address = models.CharField(max_length=255, blank=True)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    opening_hours = models.JSONField(default=default_opening_hours, blank=True)
    # Date (ISO) -> [open, close] or [] for closed: overrides opening_hours on that date.
    special_hours = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "organization", Lower("name"), name="studio_name_unique_per_organization"
            )
        ]

    def __str__(self) -> str:
        return self.name


class StudioPolicy(models.Model):
    """The studio's booking rules; defaults are the spec's (PHX-10, 11, 16, 19)."""

    class WaitlistMode(models.TextChoices):
        AUTO_PROMOTE = "auto", "Promote automatically"
        OFF = "off", "No waitlist"

    class LateCancelRule(models.TextChoices):
        KEEP_CREDIT = "keep_credit", "Credit is kept by the studio"
        REFUND = "refund", "Credit is returned anyway"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    studio = models.OneToOneField(Studio, on_delete=models.CASCADE, related_name="policy")
    booking_window_days = models.PositiveIntegerField(
        default=14, help_text="How many days ahead clients may book."
    )
    cancellation_window_hours = models.PositiveIntegerField(
        default=12, help_text="Cancelling later than this before class is a late cancel."
    )
    late_cancel_rule = models.CharField(
        max_length=20, choices=LateCancelRule.choices, default=LateCancelRule.KEEP_CREDIT
    )
    check_in_window_minutes = models.PositiveIntegerField(
        default=60, help_text="Check-in opens this many minutes before class."
    )
    no_show_grace_minutes = models.PositiveIntegerField(
        default=10, help_text="Arrivals within this many minutes after start are late, not absent."
    )
    strike_count = models.PositiveIntegerField(
        default=3, validators=[MinValueValidator(1)], help_text="No-shows that suspend booking."
    )
    strike_period_days = models.PositiveIntegerField(default=30)
    suspension_days = models.PositiveIntegerField(default=7)
    waitlist_mode = models.CharField(
        max_length=10, choices=WaitlistMode.choices, default=WaitlistMode.AUTO_PROMOTE
    )
    waitlist_cutoff_minutes = models.PositiveIntegerField(
        default=60, help_text="No waitlist promotions closer than this to class start."
    )
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    max_upcoming_bookings = models.PositiveIntegerField(
        default=0, help_text="Upper limit of upcoming bookings per client; 0 = no limit."
    )

    class Meta:
        verbose_name_plural = "studio policies"

    def __str__(self) -> str:
        return f"Policy of {self.studio}"


class Room(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(max_length=80)
    capacity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    # Size of the spot-layout grid shown on the room map.
    grid_columns = models.PositiveSmallIntegerField(default=4)
    grid_rows = models.PositiveSmallIntegerField(default=3)

    class Meta:
        constraints = [
            models.UniqueConstraint("studio", Lower("name"), name="room_name_unique_per_studio"),
            models.CheckConstraint(
                condition=models.Q(capacity__gt=0), name="room_capacity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.studio} / {self.name}"


class Spot(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="spots")
    label = models.CharField(max_length=40)
    equipment_type = models.CharField(max_length=40, default="reformer")
    column = models.PositiveSmallIntegerField(default=0)
    row = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["row", "column", "label"]
        constraints = [
            models.UniqueConstraint("room", Lower("label"), name="spot_label_unique_per_room"),
            models.UniqueConstraint(
                fields=["room", "row", "column"],
                condition=models.Q(active=True),
                name="spot_grid_cell_unique_per_room",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class Closure(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["studio", "date"], name="closure_unique_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.studio} closed {self.date}"
