"""Taking money: each organization's Stripe account, saved cards, refunds, studio fees.

Payments and subscriptions themselves are `billing.Payment` / `billing.Subscription` (the
owner dashboard's revenue reads them); this app holds what only online payments need.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from reformer.accounts.models import Membership, User
from reformer.billing.models import Payment
from reformer.studios.models import Organization, Studio


def new_webhook_token() -> str:
    return secrets.token_urlsafe(24)


class StripeAccount(models.Model):
    """An organization's own Stripe account. Keys are stored encrypted (payments/secrets.py)
    and only their last four characters are ever shown again."""

    class Mode(models.TextChoices):
        TEST = "test", "Test mode"
        LIVE = "live", "Live mode"

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="stripe_account"
    )
    secret_key_encrypted = models.TextField()
    webhook_secret_encrypted = models.TextField()
    secret_key_last4 = models.CharField(max_length=4)
    webhook_secret_last4 = models.CharField(max_length=4)
    mode = models.CharField(max_length=4, choices=Mode.choices)
    # The account's name as Stripe reports it, shown so the owner knows which account it is.
    account_name = models.CharField(max_length=200, blank=True)
    # The per-organization webhook URL is /webhooks/stripe/<token>/.
    webhook_token = models.CharField(max_length=64, unique=True, default=new_webhook_token)
    connected_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Stripe ({self.mode}) for {self.organization}"

    @property
    def webhooks_ready(self) -> bool:
        """The signing secret is saved, so Stripe's events can be verified. Until then the
        account is half set up (keys saved first, then the endpoint is added in Stripe for
        the URL the settings page shows): nothing is sold online, since a membership's
        payments and a checkout's late outcome are only ever learned from webhooks."""
        return bool(self.webhook_secret_encrypted)


class StripeCustomer(models.Model):
    """The Stripe customer of a client, created once (cached: no repeated API calls), and
    the card saved at checkout that fees are charged to."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    client = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="stripe_customer"
    )
    customer_id = models.CharField(max_length=255)
    default_payment_method = models.CharField(max_length=255, blank=True)
    card_label = models.CharField(max_length=60, blank=True)  # "Visa •••• 4242"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "customer_id"], name="stripe_customer_once"
            )
        ]

    def __str__(self) -> str:
        return self.customer_id


class Refund(models.Model):
    """Money given back on a payment, with the credits it took back from the package."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    credits_removed = models.PositiveIntegerField(default=0)
    reason = models.CharField(max_length=200, blank=True)
    provider_id = models.CharField(max_length=255, blank=True)  # Stripe's re_...; desk: empty
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"refund {self.amount} of payment {self.payment_id}"


class StudioFeePolicy(models.Model):
    """Opt-in fees for a studio: charged to the card saved at checkout, shown in the policy
    text before booking. Empty amount = no fee of that kind."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    studio = models.OneToOneField(Studio, on_delete=models.CASCADE, related_name="fee_policy")
    late_cancel_fee = models.DecimalField(
        max_digits=8, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    no_show_fee = models.DecimalField(
        max_digits=8, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(max_length=3, default="USD")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(late_cancel_fee__isnull=True) | Q(late_cancel_fee__gt=0))
                & (Q(no_show_fee__isnull=True) | Q(no_show_fee__gt=0)),
                name="fee_amounts_positive",
            )
        ]

    def __str__(self) -> str:
        return f"fees at {self.studio}"
