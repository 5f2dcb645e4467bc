"""The API's scoped reads of appointments (privates, duets, trios).

Who sees what follows the bookings' rule (api.queries): staff with VIEW_CLIENTS see the
appointments of the studios in their scope (owners all), instructors the appointments they
teach, clients the appointments they hold or held a place in, and of those only their own
place. Another organization's row is never in a queryset, so fetching it is NotFound.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Prefetch, Q, QuerySet

from reformer.accounts.models import Membership
from reformer.appointments.models import Appointment, AppointmentType, Attendee
from reformer.core.errors import NotFound, PermissionDenied
from reformer.core.permissions import (
    BOOK_SELF,
    VIEW_CLIENTS,
    VIEW_ROSTER,
    VIEW_SCHEDULE,
    has_capability,
    is_staff,
    reaches_every_studio,
    require,
    studio_ids_in_scope,
)


def _scope(actor: Membership) -> tuple[Q, Q]:
    """(which appointments, which places of them) the actor may read."""
    if has_capability(actor, VIEW_CLIENTS):
        if reaches_every_studio(actor):
            return Q(), Q()
        return Q(studio_id__in=studio_ids_in_scope(actor)), Q()
    if has_capability(actor, VIEW_ROSTER):
        return Q(instructor_id=actor.pk), Q()
    if has_capability(actor, BOOK_SELF):
        return Q(attendees__client_id=actor.pk), Q(client_id=actor.pk)
    raise PermissionDenied(VIEW_CLIENTS)


def appointments_for(
    actor: Membership,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    studio_ids: Iterable[int] | None = None,
    instructor_id: int | None = None,
    client_id: int | None = None,
    statuses: Iterable[str] | None = None,
) -> QuerySet[Appointment]:
    """Appointments the actor may read by start, with the places they may see
    (`visible_places`), filtered by studio, instructor, client and status."""
    appointments_q, places_q = _scope(actor)
    ids = Appointment.objects.filter(organization_id=actor.organization_id).filter(appointments_q)
    if client_id is not None:
        ids = ids.filter(attendees__client_id=client_id)
    appointments = Appointment.objects.filter(pk__in=ids.values("pk"))
    if start is not None:
        appointments = appointments.filter(starts_at__gte=start)
    if end is not None:
        appointments = appointments.filter(starts_at__lt=end)
    if studio_ids is not None:
        appointments = appointments.filter(studio_id__in=list(studio_ids))
    if instructor_id is not None:
        appointments = appointments.filter(instructor_id=instructor_id)
    if statuses is not None:
        appointments = appointments.filter(status__in=list(statuses))
    return appointments.select_related("appointment_type", "spot").prefetch_related(
        Prefetch(
            "attendees",
            queryset=Attendee.objects.filter(places_q).order_by("created_at", "pk"),
            to_attr="visible_places",
        )
    )


def get_appointment(actor: Membership, pk: int) -> Appointment:
    if not Appointment.objects.filter(pk=pk, organization_id=actor.organization_id).exists():
        raise NotFound("appointment")
    appointment = appointments_for(actor).filter(pk=pk).first()
    if appointment is None:
        raise NotFound("appointment")
    return appointment


def appointment_types_for(actor: Membership) -> QuerySet[AppointmentType]:
    """The types a client can book (active), or every type for staff."""
    require(actor, VIEW_SCHEDULE)
    types = AppointmentType.objects.filter(organization_id=actor.organization_id)
    if not is_staff(actor):
        types = types.filter(active=True)
    return types.prefetch_related("instructors")


def get_appointment_type(actor: Membership, pk: int) -> AppointmentType:
    kind = appointment_types_for(actor).filter(pk=pk).first()
    if kind is None:
        raise NotFound("appointment type")
    return kind


def place_to_cancel(actor: Membership, appointment: Appointment, client_id: int | None) -> Attendee:
    """The active place of `client_id` (or the actor's own) in the appointment."""
    client_id = client_id or actor.pk
    place = (
        Attendee.objects.filter(
            organization_id=actor.organization_id,
            appointment_id=appointment.pk,
            client_id=client_id,
        )
        .select_related("appointment__appointment_type", "appointment__studio", "client__user")
        .order_by("-created_at")
        .first()
    )
    if place is None:
        raise NotFound("appointment place")
    return place
