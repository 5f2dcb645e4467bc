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
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"

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
    # A daily or weekly report made for an owner's schedule.
    schedule = models.ForeignKey(
        "reports.ReportSchedule",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reports",
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
            models.UniqueConstraint(
                fields=["schedule", "period_start"],
                condition=Q(schedule__isnull=False),
                name="report_once_per_schedule_period",
            ),
        ]
        indexes = [models.Index(fields=["organization", "-period_start"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} report {self.period_start}..{self.period_end}"

    @property
    def is_available(self) -> bool:
        return self.status in (self.Status.READY, self.Status.FALLBACK)

    def file_name(self, fmt: str) -> str:
        where = f"studio-{self.studio_id}" if self.studio_id else "all-studios"
        return f"reformer-report-{where}-{self.period_start}-{self.period_end}.{fmt}"


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


class ReportSchedule(models.Model):
    """An owner's daily or weekly report: which sections, to which staff, when (studio or
    organization local time). Made and emailed by the job `reports.schedule_recurring`."""

    class Frequency(models.TextChoices):
        DAILY = "daily", "Daily (yesterday's figures)"
        WEEKLY = "weekly", "Weekly (last Monday to Sunday)"

    SECTIONS = {
        "summary": "Summary: revenue, bookings, attendance, utilisation",
        "attendance": "Attendance: attended, no-shows, cancellations",
        "revenue": "Revenue by payment kind and product",
        "clients": "Clients: active, new and lost",
        "classes": "Classes: fill by class type and the busiest slots",
        "instructors": "Instructors: classes, fill rate, no-show rate",
    }

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    # Empty: every studio of the organization together.
    studio = models.ForeignKey(Studio, on_delete=models.CASCADE, null=True, blank=True)
    name = models.CharField(max_length=80)
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    # Weekly: the local weekday it is sent on (0 = Monday).
    weekday = models.PositiveSmallIntegerField(default=0)
    # The local hour it is sent at (the period before that moment is reported).
    hour = models.PositiveSmallIntegerField(default=7)
    sections = models.JSONField(default=list)
    recipients = models.ManyToManyField(Membership, related_name="report_schedules")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="report_schedule_weekday"),
            models.CheckConstraint(condition=Q(hour__lte=23), name="report_schedule_hour"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.frequency})"
