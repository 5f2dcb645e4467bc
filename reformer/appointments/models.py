"""Privates, duets and trios on the equipment: types, instructor hours, appointments.

Nothing is double-booked, whatever the path that writes: `Occupancy` holds one row per
scheduled class, appointment, held class place and held appointment place, written only
by database triggers (migration 0002), and three exclusion constraints on it refuse an
instructor, a piece of equipment or a client taken twice at once, across group classes
and appointments alike.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import (
    BigIntegerRangeField,
    DateTimeRangeField,
    RangeOperators,
)
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from reformer.accounts.models import Membership
from reformer.billing.models import ClientPackage, Payment
from reformer.studios.models import Organization, Room, Spot, Studio, hex_colour

MAX_CLIENTS = 3  # private 1, duet 2, trio 3
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference() -> str:
    return "P" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(7))


class AppointmentType(models.Model):
    class CreditKind(models.TextChoices):
        ANY = "", "Any class pack or membership"
        CLASS_PACK = "class_pack", "Class packs only"
        MEMBERSHIP = "membership", "Memberships only"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="appointment_types"
    )
    name = models.CharField(max_length=80)
    duration_minutes = models.PositiveIntegerField(
        default=55, validators=[MinValueValidator(15), MaxValueValidator(240)]
    )
    capacity = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_CLIENTS)]
    )
    # The price: this many credits from a package of this kind (unlimited packages do not
    # cover appointments). Money prices arrive with online payments (#11).
    credits = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    credit_kind = models.CharField(
        max_length=20, choices=CreditKind.choices, default=CreditKind.ANY, blank=True
    )
    # A price in money instead: paid online through Stripe Checkout (the place is held
    # while paying) or at the desk. Empty: the type costs `credits`.
    price = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.50")), MaxValueValidator(Decimal("10000"))],
    )
    currency = models.CharField(max_length=3, default="USD")
    # The equipment it needs: a spot of this equipment type (reformer, tower, chair...).
    equipment = models.CharField(max_length=40, default="reformer")
    cancellation_window_hours = models.PositiveIntegerField(
        default=24, validators=[MaxValueValidator(24 * 14)]
    )
    # For a type priced in money: charged to the client's saved card (off-session, as the
    # studio's class fees are) for a late cancellation or a no-show, on top of the session's
    # price, which is kept. 0 = no fee. A type paid in credits keeps the credits instead.
    late_cancel_fee = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("10000"))],
    )
    no_show_fee = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("10000"))],
    )
    colour = models.CharField(max_length=7, default="#7a5c8f", validators=[hex_colour])
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    instructors = models.ManyToManyField(
        Membership, blank=True, related_name="appointment_types_taught"
    )

    class Meta:
        ordering = ["capacity", "name"]
        constraints = [
            models.UniqueConstraint(
                "organization", Lower("name"), name="appointment_type_name_unique"
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=1, capacity__lte=MAX_CLIENTS),
                name="appointment_type_capacity_1_to_3",
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=15, duration_minutes__lte=240),
                name="appointment_type_duration_valid",
            ),
            models.CheckConstraint(condition=Q(credits__gte=1), name="appointment_type_costs"),
            models.CheckConstraint(
                condition=Q(price__isnull=True) | Q(price__gt=0),
                name="appointment_type_price_positive",
            ),
            # Fees only on a type priced in money, never negative.
            models.CheckConstraint(
                condition=Q(late_cancel_fee__gte=0, no_show_fee__gte=0)
                & (Q(price__isnull=False) | Q(late_cancel_fee=0, no_show_fee=0)),
                name="appointment_type_fees_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def priced_in_money(self) -> bool:
        return self.price is not None

    def fee_for(self, kind: str) -> Decimal:
        """The fee for a "late_cancel" or a "no_show" (0: none)."""
        return self.late_cancel_fee if kind == "late_cancel" else self.no_show_fee

    @property
    def size_label(self) -> str:
        return {1: "Private", 2: "Duet", 3: "Trio"}.get(self.capacity, f"{self.capacity} people")


class WeeklyHours(models.Model):
    """An instructor's regular hours for appointments at one studio (studio local time)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    instructor = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="weekly_hours"
    )
    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, related_name="weekly_hours")
    weekday = models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)])  # 0 = Monday
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["weekday", "starts"]
        verbose_name_plural = "weekly hours"
        constraints = [
            models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="weekly_hours_ordered"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="weekly_hours_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.instructor} day {self.weekday} {self.starts}-{self.ends}"


class HoursException(models.Model):
    """One date's change: extra hours at a studio, or hours blocked (partial time off).
    Whole days away are `scheduling.InstructorUnavailability` (time off)."""

    class Kind(models.TextChoices):
        EXTRA = "extra", "Extra hours"
        BLOCKED = "blocked", "Not available"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    instructor = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="hours_exceptions"
    )
    studio = models.ForeignKey(Studio, on_delete=models.CASCADE)
    date = models.DateField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    starts = models.TimeField()
    ends = models.TimeField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date", "starts"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends__gt=F("starts")), name="hours_exception_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instructor} {self.kind} {self.date} {self.starts}-{self.ends}"


class Appointment(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    studio = models.ForeignKey(Studio, on_delete=models.PROTECT, related_name="appointments")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="appointments")
    spot = models.ForeignKey(Spot, on_delete=models.PROTECT, related_name="appointments")
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.PROTECT, related_name="appointments"
    )
    instructor = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="appointments_taught"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveSmallIntegerField()
    # Places held; changed only by guarded UPDATEs, the CHECK refuses overfilling.
    booked_count = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    cancelled_reason = models.CharField(max_length=200, blank=True)
    reference = models.CharField(max_length=12, unique=True, default=new_reference)
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    instructor_notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="appointment_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=1, capacity__lte=MAX_CLIENTS),
                name="appointment_capacity_1_to_3",
            ),
            models.CheckConstraint(
                condition=Q(booked_count__lte=F("capacity")), name="appointment_not_overfilled"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "starts_at"]),
            models.Index(fields=["instructor", "starts_at"]),
            models.Index(fields=["studio", "starts_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.appointment_type} at {self.starts_at:%Y-%m-%d %H:%M} UTC"

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.booked_count, 0)


class Attendee(models.Model):
    """A client's place in an appointment (a duet has two)."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        # Paying online: the place (and the slot) is held until Stripe says paid or not.
        HELD = "held", "Awaiting payment"
        CANCELLED = "cancelled", "Cancelled"
        LATE_CANCELLED = "late_cancelled", "Late cancelled"
        ATTENDED = "attended", "Attended"
        NO_SHOW = "no_show", "No-show"

    class Source(models.TextChoices):
        WEB = "web", "Booked online"
        STAFF = "staff", "Booked by staff"
        INVITED = "invited", "Invited"

    HOLDING = (Status.CONFIRMED, Status.ATTENDED, Status.NO_SHOW, Status.HELD)

    # Not stored: the staff client history sets the fees charged for the place.
    fee_payments: list[Payment]

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="attendees")
    client = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="appointment_places"
    )
    # What paid for the place: credits from a package, or a payment in money.
    client_package = models.ForeignKey(
        ClientPackage,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointment_places",
    )
    credits_spent = models.PositiveSmallIntegerField()
    payment = models.OneToOneField(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointment_place",
    )
    # Copies of the appointment's times: the client's occupancy row is made from them.
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CONFIRMED)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)
    # A held place is freed at this moment if still unpaid (the Checkout Session's expiry):
    # by Stripe's checkout.session.expired webhook or the sweep, whichever comes first.
    held_until = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    credit_returned = models.BooleanField(default=False)
    # Set on a no-show once it has counted towards a suspension (as Booking.strike_used_at).
    strike_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "client"],
                condition=Q(status__in=["confirmed", "attended", "no_show", "held"]),
                name="attendee_once_per_appointment",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="attendee_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(client_package__isnull=False) | Q(payment__isnull=False),
                name="attendee_paid_by_package_or_payment",
            ),
        ]
        indexes = [
            models.Index(fields=["client", "status", "starts_at"]),
            # The hold sweep's read (every minute): only held places are in it.
            models.Index(
                fields=["held_until"], condition=Q(status="held"), name="attendee_hold_expiry"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client} in {self.appointment}"

    @property
    def is_active(self) -> bool:
        return self.status in self.HOLDING


class Occupancy(models.Model):
    """Who and what is taken when. Written only by triggers (migration 0002) on
    scheduling_classsession, bookings_booking, appointments_appointment and
    appointments_attendee; never by Python. A class takes its instructor and its whole
    room (`spots` unbounded); an appointment its instructor and one spot; a held place
    its client."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    period = DateTimeRangeField()
    instructor_id = models.BigIntegerField(null=True)
    room_id = models.BigIntegerField(null=True)
    spots = BigIntegerRangeField(null=True)
    client_id = models.BigIntegerField(null=True)
    session_id = models.BigIntegerField(null=True)
    appointment_id = models.BigIntegerField(null=True)
    booking_id = models.BigIntegerField(null=True)
    attendee_id = models.BigIntegerField(null=True)

    class Meta:
        verbose_name_plural = "occupancy"
        constraints = [
            ExclusionConstraint(
                name="occupancy_instructor_once",
                expressions=[
                    (F("instructor_id"), RangeOperators.EQUAL),
                    (F("period"), RangeOperators.OVERLAPS),
                ],
                condition=Q(instructor_id__isnull=False),
            ),
            ExclusionConstraint(
                name="occupancy_equipment_once",
                expressions=[
                    (F("room_id"), RangeOperators.EQUAL),
                    (F("spots"), RangeOperators.OVERLAPS),
                    (F("period"), RangeOperators.OVERLAPS),
                ],
                condition=Q(room_id__isnull=False),
            ),
            ExclusionConstraint(
                name="occupancy_client_once",
                expressions=[
                    (F("client_id"), RangeOperators.EQUAL),
                    (F("period"), RangeOperators.OVERLAPS),
                ],
                condition=Q(client_id__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["session_id"], name="occupancy_session"),
            models.Index(fields=["appointment_id"], name="occupancy_appointment"),
            models.Index(fields=["booking_id"], name="occupancy_booking"),
            models.Index(fields=["attendee_id"], name="occupancy_attendee"),
        ]

    def __str__(self) -> str:
        return f"Occupied {self.period}"


# Constraint names the actions translate into messages.
INSTRUCTOR_TAKEN = "occupancy_instructor_once"
EQUIPMENT_TAKEN = "occupancy_equipment_once"
CLIENT_TAKEN = "occupancy_client_once"
