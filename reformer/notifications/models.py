"""The outbox: every message to a person is a row first, then sent by a job.

Alongside it: each message's status history (`MessageEvent`, also the record that makes
provider webhooks count once), what we know about a person's addresses (`RecipientSettings`:
suppressed email, invalid or stopped phone, SMS opt-in), the organization's and each
studio's messaging settings, and the provider circuit breaker.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from reformer.accounts.models import User
from reformer.studios.models import Organization, Studio

# 24 h email and 2 h SMS by default (PHX-15); each studio may change them.
DEFAULT_REMINDER_PLAN = [{"hours": 24, "channel": "email"}, {"hours": 2, "channel": "sms"}]


def default_reminder_plan() -> list[dict]:
    return [dict(step) for step in DEFAULT_REMINDER_PLAN]


class Message(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"
        PUSH = "push", "Push"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        OPENED = "opened", "Opened"
        CLICKED = "clicked", "Clicked"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Complained"
        UNDELIVERED = "undelivered", "Undelivered"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, null=True, blank=True)
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="messages")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    kind = models.CharField(max_length=50, help_text='e.g. "booking_confirmed"')
    idempotency_key = models.CharField(max_length=200, unique=True)
    to_address = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    # A templated message stores its template context (a snapshot taken when it was queued)
    # and is rendered from notifications/<kind>.txt/.html (or .sms) by the sending job,
    # which then stores the text sent in body/html_body. Otherwise body is given when queued.
    context = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    # Which sender took it: "resend", "twilio", "file", "console", "smtp", ...
    provider = models.CharField(max_length=30, blank=True)
    provider_id = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    segments = models.PositiveSmallIntegerField(default=0)
    cost = models.DecimalField(max_digits=8, decimal_places=4, default=Decimal("0"))
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Not before (quiet hours, a provider's Retry-After, backoff) and not after (a reminder
    # is worthless once its class has started).
    send_after = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # When the current sending attempt began: a row left "sending" by a killed worker is
    # found by this and resolved (notifications.recovery).
    sending_started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # An email sent because this SMS could not be delivered, or vice versa.
    fallback_for = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="fallbacks"
    )

    class Meta:
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["recipient", "created_at"]),
            models.Index(fields=["organization", "created_at"]),
            models.Index(fields=["provider_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_address} ({self.status})"


class MessageEvent(models.Model):
    """One step of a message's history. A provider event carries its own id (unique), so a
    webhook replayed any number of times is recorded, and acted on, once."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=12, choices=Message.Status.choices)
    occurred_at = models.DateTimeField()
    detail = models.TextField(blank=True)
    provider_event_id = models.CharField(max_length=255, null=True, blank=True, unique=True)

    class Meta:
        indexes = [models.Index(fields=["message", "occurred_at"])]
        ordering = ["occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.status} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"


class RecipientSettings(models.Model):
    """What a person chose beyond the User's own switches, and what we learnt about their
    addresses. Created on first need; a missing row means the defaults."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="messaging")
    notify_waitlist_changes = models.BooleanField(default=True)
    notify_package_warnings = models.BooleanField(default=True)
    # A hard bounce or a spam complaint stops email to that address until it changes.
    email_suppressed_address = models.CharField(max_length=254, blank=True)
    email_suppressed_reason = models.CharField(max_length=255, blank=True)
    email_suppressed_at = models.DateTimeField(null=True, blank=True)
    # SMS: the number confirmed by code (E.164), a STOP reply, a carrier "invalid number".
    sms_phone = models.CharField(max_length=20, blank=True)
    sms_confirmed_at = models.DateTimeField(null=True, blank=True)
    sms_stopped_at = models.DateTimeField(null=True, blank=True)
    phone_invalid_number = models.CharField(max_length=20, blank=True)
    phone_invalid_reason = models.CharField(max_length=255, blank=True)
    # The pending opt-in: number, code digest, expiry and wrong guesses.
    pending_phone = models.CharField(max_length=20, blank=True)
    pending_code_digest = models.CharField(max_length=128, blank=True)
    pending_code_expires_at = models.DateTimeField(null=True, blank=True)
    pending_code_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name_plural = "recipient settings"

    def __str__(self) -> str:
        return f"Messaging settings of {self.user}"

    def email_suppressed_for(self, address: str) -> bool:
        return bool(self.email_suppressed_at) and (
            self.email_suppressed_address.lower() == (address or "").lower()
        )

    def sms_number(self) -> str:
        """The number SMS may go to now, or "" (not confirmed, stopped or invalid)."""
        if not self.sms_confirmed_at or self.sms_stopped_at or not self.sms_phone:
            return ""
        if self.phone_invalid_number and self.phone_invalid_number == self.sms_phone:
            return ""
        return self.sms_phone


class OrganizationMessaging(models.Model):
    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="messaging"
    )
    sender_name = models.CharField(
        max_length=80, blank=True, help_text="Shown as the sender of emails. Empty: your name."
    )
    reply_to = models.EmailField(blank=True, help_text="Where replies to your emails go.")
    contact_phone = models.CharField(
        max_length=20, blank=True, help_text="Given to clients who text HELP."
    )

    def __str__(self) -> str:
        return f"Messaging of {self.organization}"


class StudioMessaging(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    studio = models.OneToOneField(Studio, on_delete=models.CASCADE, related_name="messaging")
    # [{"hours": 24, "channel": "email"}, ...]; an empty list sends no reminders.
    reminder_plan = models.JSONField(default=default_reminder_plan, blank=True)

    def __str__(self) -> str:
        return f"Reminders of {self.studio}"


class PushSubscription(models.Model):
    """One browser on one device that agreed to receive our push notifications (PHX-26):
    where its push service accepts messages for it, and the keys that encrypt them. An
    endpoint belongs to whoever subscribed on that browser last."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=120)
    auth = models.CharField(max_length=40)
    device = models.CharField(max_length=120, blank=True, help_text='e.g. "Chrome on Android"')
    created_at = models.DateTimeField(auto_now_add=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.device or 'A device'} of {self.user}"


class ProviderCircuit(models.Model):
    """Consecutive transient failures per channel; past a threshold the circuit opens and
    messages wait (queued) until `retry_at`, when one is let through to probe."""

    channel = models.CharField(max_length=10, unique=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.channel} circuit ({'open' if self.opened_at else 'closed'})"


class InboundSms(models.Model):
    """A text a person sent us (STOP, START, HELP, anything else), stored once per sid."""

    provider_id = models.CharField(max_length=64, unique=True)
    from_number = models.CharField(max_length=20)
    body = models.TextField(blank=True)
    keyword = models.CharField(max_length=20, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.keyword or 'text'} from {self.from_number}"


class EarlyProviderEvent(models.Model):
    """A provider event that arrived before we recorded the provider's id for the message
    (a webhook can beat our commit); applied when the message is recorded as sent."""

    provider_message_id = models.CharField(max_length=255, db_index=True)
    provider_event_id = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=12, blank=True)
    occurred_at = models.DateTimeField()
    detail = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.status} for {self.provider_message_id}"
