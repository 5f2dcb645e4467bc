"""What clients pay with: products, their packages, the credit ledger, payments."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from reformer.accounts.models import Membership, User
from reformer.studios.models import Organization


class PackageProduct(models.Model):
    class Kind(models.TextChoices):
        CLASS_PACK = "class_pack", "Class pack"
        UNLIMITED = "unlimited", "Unlimited"
        MEMBERSHIP = "membership", "Membership"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="products"
    )
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Class packs and memberships carry credits; unlimited leaves this empty.
    credits = models.PositiveIntegerField(null=True, blank=True)
    validity_days = models.PositiveIntegerField(default=30, validators=[MinValueValidator(1)])
    price = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(max_length=3, default="USD")
    # Most classes bookable per calendar week (memberships); empty = no weekly limit.
    weekly_limit = models.PositiveIntegerField(null=True, blank=True)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["price"]
        constraints = [
            models.CheckConstraint(
                # isnull is spelled out: a CHECK passes when it evaluates to NULL.
                condition=Q(kind="unlimited") | Q(credits__isnull=False, credits__gt=0),
                name="product_credits_unless_unlimited",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class ClientPackage(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CANCELLED = "cancelled", "Cancelled"

    class Source(models.TextChoices):
        PURCHASE = "purchase", "Purchase"
        SUBSCRIPTION = "subscription", "Subscription"
        STAFF_GRANT = "staff_grant", "Granted by staff"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    client = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="packages")
    product = models.ForeignKey(PackageProduct, on_delete=models.PROTECT)
    # Empty for unlimited packages.
    credits_total = models.PositiveIntegerField(null=True, blank=True)
    credits_remaining = models.IntegerField(null=True, blank=True)
    weekly_limit = models.PositiveIntegerField(null=True, blank=True)
    starts_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    source = models.CharField(max_length=20, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    # Not stored: classes booked this week, set by bookings.eligibility for its checks.
    week_used: int

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(credits_remaining__gte=0) | Q(credits_remaining__isnull=True),
                name="package_credits_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(credits_remaining__lte=F("credits_total"))
                | Q(credits_remaining__isnull=True),
                name="package_credits_within_total",
            ),
            models.CheckConstraint(
                condition=Q(credits_total__isnull=True, credits_remaining__isnull=True)
                | Q(credits_total__isnull=False, credits_remaining__isnull=False),
                name="package_credits_both_or_neither",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("starts_at")), name="package_expires_after_start"
            ),
        ]
        indexes = [models.Index(fields=["client", "status", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.product} for {self.client.user}"

    @property
    def is_unlimited(self) -> bool:
        return self.credits_total is None

    @property
    def credits_used(self) -> int:
        if self.credits_total is None or self.credits_remaining is None:  # unlimited
            return 0
        return self.credits_total - self.credits_remaining


class CreditLedger(models.Model):
    """Append-only: every spend (-1) and return (+1). Sum of deltas = -(credits used)."""

    class Reason(models.TextChoices):
        BOOKING = "booking", "Booked a class"
        WAITLIST_PROMOTION = "waitlist_promotion", "Promoted from the waitlist"
        CANCELLATION_REFUND = "cancellation_refund", "Cancelled in time"
        SESSION_CANCELLED = "session_cancelled", "Class cancelled by the studio"
        STAFF_ADJUSTMENT = "staff_adjustment", "Adjusted by staff"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    client_package = models.ForeignKey(
        ClientPackage, on_delete=models.PROTECT, related_name="ledger"
    )
    booking = models.ForeignKey(
        "bookings.Booking", on_delete=models.PROTECT, null=True, blank=True, related_name="ledger"
    )
    delta = models.IntegerField()
    reason = models.CharField(max_length=30, choices=Reason.choices)
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["client_package", "at"])]

    def __str__(self) -> str:
        return f"{self.delta:+d} {self.reason} (package {self.client_package_id})"


class Payment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        REFUNDED = "refunded", "Refunded"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    client = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="payments")
    product = models.ForeignKey(PackageProduct, on_delete=models.PROTECT, null=True, blank=True)
    client_package = models.OneToOneField(
        ClientPackage, on_delete=models.SET_NULL, null=True, blank=True, related_name="payment"
    )
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    provider = models.CharField(max_length=20, default="stripe")
    provider_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["organization", "status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.status})"


class Subscription(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due"
        CANCELLED = "cancelled", "Cancelled"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    client = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="subscriptions")
    product = models.ForeignKey(PackageProduct, on_delete=models.PROTECT)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    provider = models.CharField(max_length=20, default="stripe")
    provider_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    current_period_end = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.product} subscription ({self.status})"


class WebhookEvent(models.Model):
    """A provider's event stored once (idempotency), then processed by a job."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=255)
    kind = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.kind} {self.event_id}"
