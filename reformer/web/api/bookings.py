"""Bookings, waitlists and attendance. Writes go through the web's own actions."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Body, Query, Router

from reformer.accounts.models import Membership
from reformer.api import queries
from reformer.api.schemas import (
    AttendanceIn,
    BookIn,
    BookingOut,
    CancelIn,
    WaitlistEntryOut,
    WaitlistIn,
    page_of,
)
from reformer.bookings import actions
from reformer.bookings.models import Booking, WaitlistEntry
from reformer.bookings.queries import waitlist_position, waitlist_positions
from reformer.core.errors import NotFound
from reformer.scheduling.models import ClassSession
from reformer.studios.models import Spot
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

router = Router(tags=["Bookings"])
# The cancel body is optional: an empty one cancels with no reason and the studio's rule.
OPTIONAL_BODY = Body(None)
BOOKING_STATUS = "^(confirmed|cancelled|late_cancelled|attended|no_show)$"
WAITLIST_STATUS = "^(waiting|promoted|skipped|removed|expired)$"


def _by_id(model, pk: int | None, what: str):
    """A row by id for an action, which checks its organization (NotFound otherwise)."""
    if pk is None:
        return None
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise NotFound(what)
    return obj


@router.get("/bookings", response={200: page_of(BookingOut), **KEYED_ERRORS})
@strict
def list_bookings(
    request: HttpRequest,
    start: Moment | None = FROM_QUERY,
    end: Moment | None = TO_QUERY,
    studio: int | None = Query(None, ge=1, le=2**62),
    class_id: int | None = Query(None, alias="class", ge=1, le=2**62),
    client: int | None = Query(None, ge=1, le=2**62),
    status: str | None = Query(None, pattern=BOOKING_STATUS),
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(50, ge=1, le=200),
):
    """Bookings by class start. Clients see their own; staff the studios they reach;
    instructors the classes they teach."""
    actor = actor_with_scope(request, "bookings:read")
    bookings = queries.bookings_for(
        actor,
        start=aware(start, "from"),
        end=aware(end, "to"),
        studio_ids=None if studio is None else [studio],
        session_id=class_id,
        client_id=client,
        statuses=None if status is None else [status],
    )
    return page(bookings, BookingOut, order=("starts_at", "pk"), cursor=cursor, limit=limit)


@router.get("/bookings/{booking_id}", response={200: BookingOut, **KEYED_ERRORS})
@strict
def get_booking(request: HttpRequest, booking_id: int = ID):
    actor = actor_with_scope(request, "bookings:read")
    return json(one(queries.get_booking(actor, booking_id), BookingOut))


def _fresh_booking(actor: Membership, booking: Booking) -> tuple[int, dict]:
    return one(Booking.objects.select_related("spot").get(pk=booking.pk), BookingOut)


@router.post("/bookings", response={201: BookingOut, **WRITE_ERRORS}, summary="Book a class")
@strict
def book(request: HttpRequest, payload: BookIn, idempotency_key: str | None = IDEMPOTENCY):
    """Book a place, exactly as the class browser or the front desk does: same rules, same
    errors (e.g. `booking.class_full`, `booking.insufficient_credits`)."""
    actor = actor_with_scope(request, "bookings:write")

    def run():
        session = _by_id(ClassSession, payload.class_id, "class")
        client = _by_id(Membership, payload.client_id, "client")
        spot = _by_id(Spot, payload.spot_id, "spot")
        booking = actions.book_session(
            actor, session, client=client, spot=spot, source=Booking.Source.API
        )
        return 201, _fresh_booking(actor, booking)[1]

    return respond(request, idempotency_key, run)


@router.post(
    "/bookings/{booking_id}/cancel",
    response={200: BookingOut, **WRITE_ERRORS},
    summary="Cancel a booking",
)
@strict
def cancel(
    request: HttpRequest,
    booking_id: int = ID,
    idempotency_key: str | None = IDEMPOTENCY,
    payload: CancelIn | None = OPTIONAL_BODY,
):
    """Cancel a booking with the studio's rules (a late cancel may keep the credit).
    The body is optional."""
    actor = actor_with_scope(request, "bookings:write")
    payload = payload or CancelIn(reason="", return_credit=None)

    def run():
        booking = queries.get_booking(actor, booking_id)
        booking = actions.cancel_booking(
            actor, booking, reason=payload.reason, return_credit=payload.return_credit
        )
        return _fresh_booking(actor, booking)

    return respond(request, idempotency_key, run)


@router.post(
    "/bookings/{booking_id}/attendance",
    response={200: BookingOut, **WRITE_ERRORS},
    summary="Mark attendance or a no-show",
)
@strict
def attendance(
    request: HttpRequest,
    payload: AttendanceIn,
    booking_id: int = ID,
    idempotency_key: str | None = IDEMPOTENCY,
):
    """Mark a booking attended or a no-show, or undo the mark (staff of the class)."""
    actor = actor_with_scope(request, "attendance:write")

    def run():
        booking = queries.get_booking(actor, booking_id)
        if payload.status == "undo":
            booking = actions.undo_attendance(actor, booking)
        else:
            booking = actions.mark_attendance(actor, booking, payload.status, late=payload.late)
        return _fresh_booking(actor, booking)

    return respond(request, idempotency_key, run)


@router.get("/classes/{class_id}/attendance", response={200: page_of(BookingOut), **KEYED_ERRORS})
@strict
def class_attendance(
    request: HttpRequest,
    class_id: int = ID,
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(50, ge=1, le=200),
):
    """The class's roster with attendance: staff who see its roster."""
    actor = actor_with_scope(request, "bookings:read")
    roster = queries.attendance_for(actor, class_id)
    return page(roster, BookingOut, order=("pk",), cursor=cursor, limit=limit)


def _entry(entry: WaitlistEntry, status: int = 200) -> tuple[int, dict]:
    entry = WaitlistEntry.objects.get(pk=entry.pk)
    return one(entry, WaitlistEntryOut, status, position=waitlist_position(entry))


@router.get("/waitlist", response={200: page_of(WaitlistEntryOut), **KEYED_ERRORS})
@strict
def list_waitlist(
    request: HttpRequest,
    start: Moment | None = FROM_QUERY,
    end: Moment | None = TO_QUERY,
    studio: int | None = Query(None, ge=1, le=2**62),
    class_id: int | None = Query(None, alias="class", ge=1, le=2**62),
    client: int | None = Query(None, ge=1, le=2**62),
    status: str | None = Query(None, pattern=WAITLIST_STATUS),
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(50, ge=1, le=200),
):
    actor = actor_with_scope(request, "bookings:read")
    entries = queries.waitlist_for(
        actor,
        start=aware(start, "from"),
        end=aware(end, "to"),
        studio_ids=None if studio is None else [studio],
        session_id=class_id,
        client_id=client,
        statuses=None if status is None else [status],
    )
    return page(
        entries,
        WaitlistEntryOut,
        order=("joined_at", "pk"),
        cursor=cursor,
        limit=limit,
        extra=lambda rows: {
            pk: {"position": position} for pk, position in waitlist_positions(rows).items()
        },
    )


@router.post(
    "/waitlist", response={201: WaitlistEntryOut, **WRITE_ERRORS}, summary="Join a waitlist"
)
@strict
def join_waitlist(
    request: HttpRequest, payload: WaitlistIn, idempotency_key: str | None = IDEMPOTENCY
):
    actor = actor_with_scope(request, "bookings:write")

    def run():
        session = _by_id(ClassSession, payload.class_id, "class")
        client = _by_id(Membership, payload.client_id, "client")
        return _entry(actions.join_waitlist(actor, session, client=client), 201)

    return respond(request, idempotency_key, run)


@router.post(
    "/waitlist/{entry_id}/leave",
    response={200: WaitlistEntryOut, **WRITE_ERRORS},
    summary="Leave a waitlist",
)
@strict
def leave_waitlist(
    request: HttpRequest, entry_id: int = ID, idempotency_key: str | None = IDEMPOTENCY
):
    actor = actor_with_scope(request, "bookings:write")

    def run():
        entry = queries.get_waitlist_entry(actor, entry_id)
        return _entry(actions.leave_waitlist(actor, entry))

    return respond(request, idempotency_key, run)
