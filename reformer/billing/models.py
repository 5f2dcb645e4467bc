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
        REFUND = "refund", "Taken back by a refund"

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
    """Money a client paid (or owes, while pending): online through Stripe or at the desk.

    `provider_id` is the provider's id of what was paid (a Checkout Session, an invoice, a
    PaymentIntent), unique per organization: a second event about it finds this row.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Paid"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        REFUNDED = "refunded", "Refunded"

    class Kind(models.TextChoices):
        PACKAGE = "package", "Package"
        MEMBERSHIP = "membership", "Membership"
        FEE = "fee", "Fee"
        APPOINTMENT = "appointment", "Appointment"

    class Method(models.TextChoices):
        CARD_ONLINE = "card_online", "Card (online)"
        CARD_SAVED = "card_saved", "Saved card"
        CASH = "cash", "Cash"
        TERMINAL = "terminal", "Card terminal"
        COMPLIMENTARY = "complimentary", "Complimentary"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    # Where the money was taken: revenue per studio (empty only for rows from before).
    studio = models.ForeignKey(
        "studios.Studio", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    client = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="payments")
    product = models.ForeignKey(PackageProduct, on_delete=models.PROTECT, null=True, blank=True)
    client_package = models.OneToOneField(
        ClientPackage, on_delete=models.SET_NULL, null=True, blank=True, related_name="payment"
    )
    subscription = models.ForeignKey(
        "billing.Subscription",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payments",
    )
    # The booking (or appointment place) a late-cancel or no-show fee was charged for.
    booking = models.ForeignKey(
        "bookings.Booking", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    fee_for_place = models.ForeignKey(
        "appointments.Attendee",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="fees",
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.PACKAGE)
    method = models.CharField(max_length=16, choices=Method.choices, default=Method.CARD_ONLINE)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    amount_refunded = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="USD")
    provider = models.CharField(max_length=20, default="stripe")
    provider_id = models.CharField(max_length=255, null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    payment_intent_id = models.CharField(max_length=255, blank=True)
    receipt_url = models.URLField(max_length=500, blank=True)
    # Why it failed or was cancelled, in words for the client.
    failure_reason = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "status", "created_at"]),
            models.Index(fields=["client", "created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "provider", "provider_id"], name="payment_provider_id_once"
            ),
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0) & Q(amount_refunded__lte=F("amount")),
                name="payment_refund_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.status})"

    @property
    def refundable_amount(self):
        return self.amount - self.amount_refunded


class Subscription(models.Model):
    """A membership billed every period (Stripe Billing); each paid invoice grants the
    period's package. Past due: booking still works until `grace_until`, then stops."""

    class Status(models.TextChoices):
        INCOMPLETE = "incomplete", "Awaiting first payment"
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due"
        PAUSED = "paused", "Paused"
        SUSPENDED = "suspended", "Suspended (unpaid)"
        CANCELLED = "cancelled", "Cancelled"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    studio = models.ForeignKey(
        "studios.Studio", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    client = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="subscriptions")
    product = models.ForeignKey(PackageProduct, on_delete=models.PROTECT)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    provider = models.CharField(max_length=20, default="stripe")
    provider_id = models.CharField(max_length=255, null=True, blank=True)
    customer_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    # Past due since a failed renewal: booking is allowed until then.
    grace_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "provider", "provider_id"],
                name="subscription_provider_id_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.product} subscription ({self.status})"


class WebhookEvent(models.Model):
    """A provider's event stored once (idempotency), then processed by a job."""

    # The organization whose endpoint received it: one tenant's events never meet another's.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=255)
    kind = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Set when processing raised; the job retries and clears it on success.
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "organization", "event_id"],
                name="webhook_event_once",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.kind} {self.event_id}"
