"""Reads for the onboarding pages and checks."""

from __future__ import annotations

from reformer.accounts.models import Membership
from reformer.appointments.models import Attendee
from reformer.bookings.models import Booking
from reformer.onboarding.models import Document, DocumentVersion, IntakeForm


def client_studio_ids(client: Membership) -> set[int]:
    """Studios the client books at (any class or appointment place, ever)."""
    from_classes = Booking.objects.filter(client=client).values_list(
        "session__studio_id", flat=True
    )
    from_appointments = Attendee.objects.filter(client=client).values_list(
        "appointment__studio_id", flat=True
    )
    return set(from_classes.distinct()) | set(from_appointments.distinct())


def teaches_client(instructor: Membership, client: Membership) -> bool:
    """The instructor teaches (taught) a class or appointment the client holds a place in."""
    return (
        Booking.objects.filter(
            client=client, session__instructor=instructor, status__in=Booking.HOLDING
        ).exists()
        or Attendee.objects.filter(
            client=client,
            appointment__instructor=instructor,
            status__in=Attendee.HOLDING,
        ).exists()
    )


def client_ids_with_intake(client_ids: list[int]) -> set[int]:
    return set(
        IntakeForm.objects.filter(client_id__in=client_ids).values_list("client_id", flat=True)
    )


def current_versions(organization_id: int) -> list[DocumentVersion]:
    """The latest version of every active document."""
    versions = []
    for document in Document.objects.filter(organization_id=organization_id, active=True):
        latest = document.versions.order_by("-number").first()
        if latest is not None:
            versions.append(latest)
    return versions
