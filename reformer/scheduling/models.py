"""What is taught, when and where: class types, sessions, recurring templates."""

from __future__ import annotations

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q
from django.db.models.functions import Lower

from reformer.accounts.models import Membership
from reformer.studios.models import Organization, Room, Studio, hex_colour


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class ClassType(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="class_types"
    )
    name = models.CharField(max_length=80)
    duration_minutes = models.PositiveIntegerField(
        default=50, validators=[MinValueValidator(5), MaxValueValidator(600)]
    )
    default_capacity = models.PositiveIntegerField(default=10, validators=[MinValueValidator(1)])
    colour = models.CharField(max_length=7, default="#3b6e8f", validators=[hex_colour])
    description = models.TextField(blank=True)
    # Shown to clients on the class page and their booking confirmation.
    what_to_bring = models.CharField(max_length=300, blank=True)
    # A 300x300 JPEG checked by content (accounts.profile.make_thumbnail), shown on cards.
    photo = models.ImageField(upload_to="class-types/", blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "organization", Lower("name"), name="class_type_name_unique_per_organization"
            ),
            models.CheckConstraint(
                condition=Q(default_capacity__gt=0), name="class_type_capacity_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RecurringTemplate(models.Model):
    """A weekly class: 07:00 local on Mondays stays 07:00 local across daylight saving."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="templates")
    room = models.ForeignKey(Room, on_delete=models.CASCADE)
    class_type = models.ForeignKey(ClassType, on_delete=models.CASCADE)
    weekday = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(6)], help_text="0 = Monday"
    )
    local_start_time = models.TimeField()
    capacity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    # Instructors taking turns, in order; next_rotation_index says whose turn is next.
    instructors: models.ManyToManyField[Membership, RotationSlot] = models.ManyToManyField(
        Membership, through="RotationSlot", blank=True
    )
    next_rotation_index = models.PositiveIntegerField(default=0)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gt=0), name="template_capacity_positive"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="template_weekday_valid"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="template_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.class_type} weekly on day {self.weekday} at {self.local_start_time}"


class RotationSlot(models.Model):
    template = models.ForeignKey(
        RecurringTemplate, on_delete=models.CASCADE, related_name="rotation"
    )
    instructor = models.ForeignKey(Membership, on_delete=models.CASCADE)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "position"], name="rotation_position_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Turn {self.position + 1} of {self.template}"


class ClassSession(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="sessions")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="sessions")
    class_type = models.ForeignKey(ClassType, on_delete=models.PROTECT, related_name="sessions")
    # Empty means the class needs an instructor (e.g. the rotation's one was unavailable).
    instructor = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions"
    )
    # Staff chose (or took off) this class's instructor by hand: a change of its weekly
    # class's rotation leaves it as it is (templates.update_template).
    instructor_by_hand = models.BooleanField(default=False)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    # Places held (confirmed, attended, no-show). Changed only by guarded UPDATEs in the
    # booking actions; the check constraint makes overbooking impossible under concurrency.
    booked_count = models.PositiveIntegerField(default=0)
    waiting_count = models.PositiveIntegerField(default=0)
    # Free places kept for the waitlist (PHX-16): a cancellation while people wait holds the
    # place until the promotion job gives it to the first eligible waiter or, finding none,
    # releases it. Direct bookings count these as taken. Never more than waiting_count.
    held_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    template = models.ForeignKey(
        RecurringTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions"
    )
    private_notes = models.TextField(blank=True)
    cancelled_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Not stored: no client ever booked or waited, set by the template actions.
    untouched: bool

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "starts_at", "class_type"], name="session_unique_slot"
            ),
            models.CheckConstraint(condition=Q(capacity__gt=0), name="session_capacity_positive"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(booked_count__lte=F("capacity") - F("held_count")),
                name="session_not_overbooked",
            ),
            ExclusionConstraint(
                name="session_no_room_double_booking",
                expressions=[
                    (F("room"), RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
                condition=Q(status="scheduled"),
            ),
            ExclusionConstraint(
                name="session_no_instructor_double_booking",
                expressions=[
                    (F("instructor"), RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
                condition=Q(status="scheduled") & Q(instructor__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "starts_at"]),
            models.Index(fields=["studio", "starts_at"]),
            models.Index(fields=["instructor", "starts_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.class_type} at {self.starts_at:%Y-%m-%d %H:%M} UTC"

    @property
    def spots_left(self) -> int:
        return max(self.capacity - self.booked_count - self.held_count, 0)

    @property
    def is_full(self) -> bool:
        return self.booked_count + self.held_count >= self.capacity


class InstructorUnavailability(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    instructor = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="unavailability"
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    # Set by add_unavailability: the classes it took the instructor off (for its page).
    unassigned: list[int]

    class Meta:
        verbose_name_plural = "instructor unavailability"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="unavailability_dates_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instructor} away {self.starts_on}..{self.ends_on}"
