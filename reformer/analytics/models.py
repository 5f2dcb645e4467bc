"""Rollups: history summarised so that panels over years read thousands of rows, not millions.

`ClientMonth` holds, per client, studio and local month (the studio's time zone), the
classes they booked (holding a place) and attended; `ClientFirsts` when each client first
booked and first attended at each studio. `RollupState` says up to which month an
organization's rows are complete: panels read the rollup for months before it and the
bookings themselves from it on, so a figure never depends on when the job last ran.

`ClientVisits` answers "how many in any window of days" (segments, instructor
performance): the sorted start times of each client's classes per studio, class type and
instructor, so a window's count is two binary searches (`width_bucket`) whatever its
length. It is complete for classes starting before `RollupState.visits_before`, except
for the clients in `VisitsChanged`: a database trigger lists a client there whenever one
of their bookings of a class that has started is added, changed or removed (attendance
marked, a late cancellation, a correction), whoever does it; readers take those clients
and everything from `visits_before` on from the bookings, so an action shows at once.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from reformer.accounts.models import Membership
from reformer.scheduling.models import ClassType
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


class ClientVisits(models.Model):
    """The starts of one client's classes with one instructor, class type and studio,
    sorted, by what became of the booking: holding a place (confirmed, attended, no-show),
    attended, no-show."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    studio = models.ForeignKey(Studio, on_delete=models.CASCADE)
    class_type = models.ForeignKey(ClassType, on_delete=models.CASCADE)
    instructor = models.ForeignKey(
        Membership, on_delete=models.CASCADE, null=True, related_name="+"
    )
    client = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    booked_at = ArrayField(models.DateTimeField(), default=list)
    attended_at = ArrayField(models.DateTimeField(), default=list)
    no_show_at = ArrayField(models.DateTimeField(), default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "studio", "class_type", "instructor", "client"],
                name="client_visits_once",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["organization", "client"])]

    def __str__(self) -> str:
        return f"Visits of {self.client_id} with {self.instructor_id} at {self.studio_id}"


class VisitsChanged(models.Model):
    """A client whose ClientVisits rows may be out of date. Written only by the trigger
    (migration 0002), emptied by the refresh; a row per change, no uniqueness, so
    concurrent writers never wait on each other here."""

    organization_id = models.BigIntegerField()
    client_id = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["organization_id", "client_id"])]

    def __str__(self) -> str:
        return f"Visits of {self.client_id} changed"


class RollupState(models.Model):
    organization = models.OneToOneField(Organization, on_delete=models.CASCADE)
    # ClientMonth rows are complete for months before this one (first day of a month).
    complete_before = models.DateField()
    refreshed_at = models.DateTimeField()
    # ClientVisits rows hold the classes starting before this instant (None: none yet).
    visits_before = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"Rollup of {self.organization_id} complete before {self.complete_before}"
