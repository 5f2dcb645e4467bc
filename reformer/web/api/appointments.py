"""Appointments: types and their open slots, the appointments (with the places the key may
see), booking and cancelling a place. Writes go through the web's own actions."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, JsonResponse
from ninja import Query, Router

from reformer.accounts.models import Membership
from reformer.api import appointment_queries as queries
from reformer.api.appointment_schemas import (
    AppointmentBookIn,
    AppointmentCancelIn,
    AppointmentOut,
    AppointmentTypeOut,
    SlotOut,
)
from reformer.api.schemas import page_of
from reformer.appointments import actions, slots
from reformer.core.errors import VALIDATION, DomainError, NotFound
from reformer.core.timezones import local_today
from reformer.studios import queries as studios
from reformer.studios.models import Studio
from reformer.web.api.common import (
    FROM_QUERY,
    ID,
    IDEMPOTENCY,
    TO_QUERY,
    Moment,
    aware,
    json,
    one,
    page,
)
from reformer.web.api.idempotency import respond
from reformer.web.api.problems import KEYED_ERRORS, WRITE_ERRORS
from reformer.web.api.security import actor_with_scope
from reformer.web.api.strict import strict

router = Router(tags=["Appointments"])
APPOINTMENT_STATUS = "^(scheduled|cancelled)$"
MAX_SLOT_DAYS = 14
DAY_QUERY = Query(None, description="First day (studio local). Default: today.")


@router.get("/appointment-types", response={200: page_of(AppointmentTypeOut), **KEYED_ERRORS})
@strict
def list_appointment_types(
    request: HttpRequest,
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(50, ge=1, le=200),
):
    """Privates, duets and trios offered (staff keys also see inactive ones)."""
    actor = actor_with_scope(request, "schedule:read")
    types = queries.appointment_types_for(actor)
    return page(types, AppointmentTypeOut, order=("pk",), cursor=cursor, limit=limit)


@router.get(
    "/appointment-types/{type_id}/slots",
    response={200: page_of(SlotOut), **KEYED_ERRORS},
    summary="Open slots of an appointment type",
)
@strict
def list_slots(
    request: HttpRequest,
    type_id: int = ID,
    studio: int = Query(..., ge=1, le=2**62),
    day: dt.date | None = DAY_QUERY,
    days: int = Query(7, ge=1, le=MAX_SLOT_DAYS),
    instructor: int | None = Query(None, ge=1, le=2**62),
):
    """Open starts, across the instructors who teach it at the studio (or one of them),
    exactly as the booking page shows them. One page holds every slot of the days asked."""
    actor = actor_with_scope(request, "schedule:read")
    kind = queries.get_appointment_type(actor, type_id)
    place = studios.get_studio(actor, studio)
    first = day or local_today(place.time_zone)
    if not dt.date(2000, 1, 1) <= first <= dt.date(2999, 1, 1):
        raise DomainError(VALIDATION, "day is out of range.", field="day")
    found = slots.search(kind, place, first_day=first, days=days, instructor_id=instructor)
    data = [
        SlotOut(
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            instructor_id=slot.instructor_id,
            instructor_name=found.instructors[slot.instructor_id].name,
        ).model_dump(mode="json")
        for slot in found.slots
    ]
    return JsonResponse({"data": data, "next_cursor": None})


@router.get("/appointments", response={200: page_of(AppointmentOut), **KEYED_ERRORS})
@strict
def list_appointments(
    request: HttpRequest,
    start: Moment | None = FROM_QUERY,
    end: Moment | None = TO_QUERY,
    studio: int | None = Query(None, ge=1, le=2**62),
    instructor: int | None = Query(None, ge=1, le=2**62),
    client: int | None = Query(None, ge=1, le=2**62),
    status: str | None = Query(None, pattern=APPOINTMENT_STATUS),
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(50, ge=1, le=200),
):
    """Appointments by start. Clients see the ones they have a place in (and only their own
    place); instructors the ones they teach; staff the studios they reach."""
    actor = actor_with_scope(request, "bookings:read")
    appointments = queries.appointments_for(
        actor,
        start=aware(start, "from"),
        end=aware(end, "to"),
        studio_ids=None if studio is None else [studio],
        instructor_id=instructor,
        client_id=client,
        statuses=None if status is None else [status],
    )
    return page(appointments, AppointmentOut, order=("starts_at", "pk"), cursor=cursor, limit=limit)


@router.get("/appointments/{appointment_id}", response={200: AppointmentOut, **KEYED_ERRORS})
@strict
def get_appointment(request: HttpRequest, appointment_id: int = ID):
    actor = actor_with_scope(request, "bookings:read")
    return json(one(queries.get_appointment(actor, appointment_id), AppointmentOut))


def _by_id(model, pk: int | None, what: str):
    """A row by id for an action, which checks its organization (NotFound otherwise)."""
    if pk is None:
        return None
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise NotFound(what)
    return obj


@router.post(
    "/appointments",
    response={201: AppointmentOut, **WRITE_ERRORS},
    summary="Book an appointment",
)
@strict
def book_appointment(
    request: HttpRequest, payload: AppointmentBookIn, idempotency_key: str | None = IDEMPOTENCY
):
    """Book an open slot, exactly as the booking page or the front desk does: same rules,
    same errors (e.g. `appointment.slot_taken`, `booking.insufficient_credits`)."""
    actor = actor_with_scope(request, "bookings:write")

    def run():
        from reformer.appointments.models import AppointmentType

        kind = _by_id(AppointmentType, payload.appointment_type_id, "appointment type")
        studio = _by_id(Studio, payload.studio_id, "studio")
        instructor = _by_id(Membership, payload.instructor_id, "instructor")
        client = _by_id(Membership, payload.client_id, "client")
        starts_at = aware(payload.starts_at, "starts_at")
        assert starts_at is not None  # a required field
        place = actions.book_appointment(
            actor, kind, studio=studio, instructor=instructor, starts_at=starts_at, client=client
        )
        return one(queries.get_appointment(actor, place.appointment_id), AppointmentOut, 201)

    return respond(request, idempotency_key, run)


@router.post(
    "/appointments/{appointment_id}/cancel",
    response={200: AppointmentOut, **WRITE_ERRORS},
    summary="Cancel a place in an appointment",
)
@strict
def cancel_place(
    request: HttpRequest,
    payload: AppointmentCancelIn,
    appointment_id: int = ID,
    idempotency_key: str | None = IDEMPOTENCY,
):
    """Give up a place with the type's cancellation window (a late cancel keeps the
    credits). The last place cancelled cancels the appointment."""
    actor = actor_with_scope(request, "bookings:write")

    def run():
        appointment = queries.get_appointment(actor, appointment_id)
        place = queries.place_to_cancel(actor, appointment, payload.client_id)
        actions.cancel_appointment_place(actor, place)
        return one(queries.get_appointment(actor, appointment_id), AppointmentOut)

    return respond(request, idempotency_key, run)
