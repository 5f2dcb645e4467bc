"""Rollups: history summarised so that panels over years read thousands of rows, not millions.

`ClientMonth` holds, per client, studio and local month (the studio's time zone), the
classes they booked (holding a place) and attended; `ClientFirsts` when each client first
booked and first attended at each studio. `RollupState` says up to which month an
organization's rows are complete: panels read the rollup for months before it and the
bookings themselves from it on, so a figure never depends on when the job last ran.
"""

from __future__ import annotations

from django.db import models

from reformer.accounts.models import Membership
from reformer.studios.models import Organization, Studio


class ClientMonth(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    studio = models.ForeignKey(Studio, on_delete=models.CASCADE)
    client = models.ForeignKey(Membership, on_delete=models.CASCADE)
    month = models.DateField(help_text="First day of the local month.")
    booked = models.PositiveIntegerField()
    attended = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "studio", "client", "month"], name="client_month_once"
            )
        ]
        indexes = [models.Index(fields=["organization", "month"])]

    def __str__(self) -> str:
        return f"{self.client_id} in {self.month:%Y-%m} at {self.studio_id}"


class ClientFirsts(models.Model):
    """When a client first booked (holding a place) and first attended, per studio: the
    "since when" questions (new clients, cohorts, churn) without scanning history."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    studio = models.ForeignKey(Studio, on_delete=models.CASCADE)
    client = models.ForeignKey(Membership, on_delete=models.CASCADE)
    first_booked_at = models.DateTimeField(null=True)
    first_attended_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "studio", "client"], name="client_firsts_once"
            )
        ]

    def __str__(self) -> str:
        return f"Firsts of {self.client_id} at {self.studio_id}"


class RollupState(models.Model):
    organization = models.OneToOneField(Organization, on_delete=models.CASCADE)
    # ClientMonth rows are complete for months before this one (first day of a month).
    complete_before = models.DateField()
    refreshed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Rollup of {self.organization_id} complete before {self.complete_before}"
