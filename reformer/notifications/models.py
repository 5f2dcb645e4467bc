"""The outbox: every message to a person is a row first, then sent by a job."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from reformer.accounts.models import User
from reformer.studios.models import Organization


class Message(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"
        PUSH = "push", "Push"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        BOUNCED = "bounced", "Bounced"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (preferences)"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, null=True, blank=True)
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="messages")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    kind = models.CharField(max_length=50, help_text='e.g. "booking_confirmed"')
    idempotency_key = models.CharField(max_length=200, unique=True)
    to_address = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    # A templated message stores its template context (a snapshot taken when it was queued)
    # and is rendered from notifications/<kind>.txt/.html by the sending job, which then
    # stores the text sent in body/html_body. Otherwise body is given when queued.
    context = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    provider_id = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=8, decimal_places=4, default=Decimal("0"))
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["recipient", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_address} ({self.status})"
