"""Business reports (PHX-20): monthly ones made by a job, custom ones on request, and each
owner's choice of what to receive."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from reformer.accounts.models import Membership
from reformer.studios.models import Organization, Studio


class Report(models.Model):
    class Kind(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        CUSTOM = "custom", "Custom range"

    class Status(models.TextChoices):
        PENDING = "pending", "Being prepared"
        READY = "ready", "Ready"
        FALLBACK = "fallback", "Ready as CSV (the PDF failed)"
        FAILED = "failed", "Failed"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    # Empty: the consolidated report of every studio.
    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, null=True, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The figures (JSON), kept so the report can be re-rendered or exported later.
    data = models.JSONField(default=dict, blank=True)
    pdf = models.BinaryField(null=True, blank=True)
    csv = models.BinaryField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    generated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "studio_id", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "period_start", "period_end"],
                condition=Q(kind="monthly", studio__isnull=True),
                name="report_monthly_once_per_organization",
            ),
            models.UniqueConstraint(
                fields=["organization", "studio", "period_start", "period_end"],
                condition=Q(kind="monthly", studio__isnull=False),
                name="report_monthly_once_per_studio",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="report_period_ordered",
            ),
        ]
        indexes = [models.Index(fields=["organization", "-period_start"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} report {self.period_start}..{self.period_end}"

    @property
    def is_available(self) -> bool:
        return self.status in (self.Status.READY, self.Status.FALLBACK)


class ReportPreference(models.Model):
    """An owner's choice; without a row, the monthly email is on and per-studio reports off."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="report_preference"
    )
    monthly_email = models.BooleanField(default=True)
    studio_reports = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"Report preference of {self.membership_id}"
