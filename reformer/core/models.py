"""Cross-cutting records: the audit log and alerts for the people who run the studio."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """Who did what, written in the same transaction as the change it describes."""

    organization = models.ForeignKey(
        "studios.Organization", on_delete=models.CASCADE, null=True, blank=True
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    code = models.CharField(max_length=100, help_text='e.g. "bookings.booking.cancelled"')
    subject_type = models.CharField(max_length=100, blank=True)
    subject_id = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["organization", "at"]),
            models.Index(fields=["subject_type", "subject_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.code} #{self.subject_id}"


class AdminAlert(models.Model):
    """Something staff must look at: a permanent delivery failure, a suspension, a failed job."""

    organization = models.ForeignKey(
        "studios.Organization", on_delete=models.CASCADE, null=True, blank=True
    )
    code = models.CharField(max_length=100)
    message = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.code
