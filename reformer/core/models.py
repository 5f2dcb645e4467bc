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
    """Something staff must look at and act on: a class that needs an instructor, a client
    suspended, a failed job or delivery. Raised through `core.alerts.raise_alert`, shown on
    the staff home and the owner dashboard, resolved by staff. An alert without an
    organization concerns the whole installation (e.g. the job worker) and shows to owners."""

    organization = models.ForeignKey(
        "studios.Organization", on_delete=models.CASCADE, null=True, blank=True
    )
    # Set when the alert concerns one studio: studio-scoped staff see only their studios'.
    studio = models.ForeignKey("studios.Studio", on_delete=models.CASCADE, null=True, blank=True)
    code = models.CharField(max_length=100)
    message = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["organization", "created_at"],
                condition=models.Q(resolved_at__isnull=True),
                name="adminalert_open_by_org",
            )
        ]

    def __str__(self) -> str:
        return self.code
