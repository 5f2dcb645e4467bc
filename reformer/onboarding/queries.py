"""Reads for the onboarding pages and checks."""

from __future__ import annotations

from reformer.accounts.models import Membership
from reformer.appointments.models import Attendee
from reformer.bookings.models import Booking


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
