"""Booking appointments: a client for themself, staff for a client, a second client
invited into a duet; cancelling a place or the whole appointment.

The database decides every race: the appointment insert makes an occupancy row (trigger)
that the instructor and equipment exclusion constraints check, the place insert one for the
client, and the guarded `booked_count` update refuses a fourth client in a trio. The
constraint names are translated into messages here. Lock order, as for classes: the
appointment row, then the package.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from reformer.accounts.models import ClientProfile, Membership
from reformer.appointments import notify, slots
from reformer.appointments.audit_codes import (
    APPOINTMENTS_APPOINTMENT_CANCELLED,
    APPOINTMENTS_PLACE_BOOKED,
    APPOINTMENTS_PLACE_CANCELLED,
)
from reformer.appointments.errors import (
    APPOINTMENT_ALREADY_BOOKED,
    APPOINTMENT_CANCELLED,
    APPOINTMENT_CLIENT_BUSY,
    APPOINTMENT_CLOSED,
    APPOINTMENT_EQUIPMENT_TAKEN,
    APPOINTMENT_FULL,
    APPOINTMENT_NOT_CANCELLABLE,
    APPOINTMENT_OUTSIDE_HOURS,
    APPOINTMENT_SLOT_TAKEN,
    APPOINTMENT_STARTED,
    APPOINTMENT_UNAVAILABLE,
)
from reformer.appointments.models import (
    CLIENT_TAKEN,
    EQUIPMENT_TAKEN,
    INSTRUCTOR_TAKEN,
    Appointment,
    AppointmentType,
    Attendee,
)
from reformer.billing.models import ClientPackage, CreditLedger
from reformer.bookings.actions._db import busy_as_domain_error, constraint_name
from reformer.bookings.context import format_deadline, format_local
from reformer.bookings.errors import (
    BOOKING_INSUFFICIENT_CREDITS,
    BOOKING_NOT_OPEN,
    BOOKING_SUSPENDED,
)
from reformer.core import audit
from reformer.core.errors import VALIDATION, DomainError, PermissionDenied
from reformer.core.permissions import (
    BOOK_FOR_CLIENT,
    BOOK_SELF,
    has_capability,
    require,
    require_same_organization,
)
from reformer.studios.models import Studio

_SPEND_SQL = """
WITH spent AS (
    UPDATE billing_clientpackage
       SET credits_remaining = credits_remaining - %(credits)s
     WHERE id = %(package_id)s AND credits_remaining >= %(credits)s
       AND status = 'active' AND expires_at > %(now)s
 RETURNING id, organization_id
)
INSERT INTO billing_creditledger
       (organization_id, client_package_id, booking_id, delta, reason, actor_id, note, at)
SELECT organization_id, id, NULL, -%(credits)s, %(reason)s, %(actor_id)s, %(note)s, %(now)s
  FROM spent RETURNING id
"""
_RETURN_SQL = """
WITH returned AS (
    UPDATE billing_clientpackage SET credits_remaining = credits_remaining + %(credits)s
     WHERE id = %(package_id)s RETURNING id, organization_id
)
INSERT INTO billing_creditledger
       (organization_id, client_package_id, booking_id, delta, reason, actor_id, note, at)
SELECT organization_id, id, NULL, %(credits)s, %(reason)s, %(actor_id)s, %(note)s, %(now)s
  FROM returned RETURNING id
"""
_TAKE_PLACE_SQL = """
UPDATE appointments_appointment SET booked_count = booked_count + 1
 WHERE id = %s AND booked_count < capacity AND status = 'scheduled' AND starts_at > %s
RETURNING id
"""


def slot_taken() -> DomainError:
    return DomainError(
        APPOINTMENT_SLOT_TAKEN,
        "That time was just taken. Please pick another slot.",
    )


def client_busy() -> DomainError:
    return DomainError(
        APPOINTMENT_CLIENT_BUSY,
        "You already have a class or appointment at that time. Pick another time.",
    )


def _client_for(actor: Membership, client: Membership | None, studio: Studio) -> Membership:
    if client is None or client.pk == actor.pk:
        if has_capability(actor, BOOK_SELF):
            return actor
        require(actor, BOOK_FOR_CLIENT, studio=studio)
        raise DomainError(VALIDATION, "Choose the client to book for.", field="client")
    require_same_organization(actor, client, "client")
    require(actor, BOOK_FOR_CLIENT, studio=studio)
    if not has_capability(client, BOOK_SELF):
        raise DomainError(
            VALIDATION, "Only active clients can be booked into appointments.", field="client"
        )
    return client


def _check_not_suspended(client: Membership, studio: Studio, now: dt.datetime) -> None:
    until = (
        ClientProfile.objects.filter(membership_id=client.pk)
        .values_list("suspended_until", flat=True)
        .first()
    )
    if until is not None and until > now:
        when = format_local(until, studio.time_zone, organization_id=studio.organization_id)
        raise DomainError(
            BOOKING_SUSPENDED,
            f"Booking is suspended until {when} after "
            "repeated no-shows. Please contact the studio.",
        )


def paying_packages(
    client: Membership, appointment_type: AppointmentType, starts_at: dt.datetime, now
) -> list[ClientPackage]:
    """Packages that can pay this type at that time, soonest expiry first."""
    packages = ClientPackage.objects.filter(
        client=client,
        status=ClientPackage.Status.ACTIVE,
        credits_remaining__gte=appointment_type.credits,
        starts_at__lte=starts_at,
        expires_at__gt=starts_at,
    ).filter(expires_at__gt=now)
    if appointment_type.credit_kind:
        packages = packages.filter(product__kind=appointment_type.credit_kind)
    return list(packages.select_related("product").order_by("expires_at", "id"))


def _no_package(appointment_type: AppointmentType) -> DomainError:
    kind = {"class_pack": "class pack", "membership": "membership"}.get(
        appointment_type.credit_kind, "class pack or membership"
    )
    credits = appointment_type.credits
    return DomainError(
        BOOKING_INSUFFICIENT_CREDITS,
        f"Insufficient credits: a {appointment_type.name} takes {credits} credit"
        f"{'s' if credits != 1 else ''} from a {kind}. Buy one to book.",
        reason="no_package",
        purchase_available=True,
    )


def _spend(attendee: Attendee, packages: list[ClientPackage], actor, now, credits: int):
    note = f"Appointment {attendee.appointment.reference}"
    with connection.cursor() as cursor:
        for package in packages:
            cursor.execute(
                _SPEND_SQL,
                {
                    "credits": credits,
                    "package_id": package.pk,
                    "now": now,
                    "reason": CreditLedger.Reason.BOOKING,
                    "actor_id": actor.user_id if actor else None,
                    "note": note,
                },
            )
            if cursor.fetchone() is not None:
                return package
    return None


def _check_slot(
    appointment_type: AppointmentType,
    studio: Studio,
    instructor: Membership,
    starts_at: dt.datetime,
    now: dt.datetime,
) -> slots.Slot:
    if starts_at <= now:
        raise DomainError(
            VALIDATION,
            "That time has passed. Pick a time from the open slots.",
            field="starts_at",
        )
    local_day = timezone.localtime(starts_at, slots_zone(studio)).date()
    found = slots.search(
        appointment_type,
        studio,
        first_day=local_day,
        days=1,
        instructor_id=instructor.pk,
        now=now,
    )
    if instructor.pk not in found.instructors:
        raise DomainError(
            VALIDATION,
            f"{instructor.name} does not teach {appointment_type.name} at {studio.name}.",
            field="instructor",
        )
    for slot in found.slots:
        if slot.starts_at == starts_at:
            return slot
    ends_at = starts_at + dt.timedelta(minutes=appointment_type.duration_minutes)
    if starts_at < now + slots.MIN_NOTICE:
        raise DomainError(
            VALIDATION,
            "That is too soon: appointments need at least an hour's notice.",
            field="starts_at",
        )
    if local_day > timezone.localtime(now, slots_zone(studio)).date() + dt.timedelta(
        days=slots.booking_horizon_days(studio)
    ):
        raise DomainError(
            BOOKING_NOT_OPEN, "That day is beyond the booking window.", field="starts_at"
        )
    local = timezone.localtime(starts_at, slots_zone(studio))
    if local.minute % slots.SLOT_STEP_MINUTES or local.second or local.microsecond:
        raise DomainError(
            VALIDATION,
            "Sessions start on the hour or half hour. Pick a time from the open slots.",
            field="starts_at",
        )
    if not slots.within_hours(found, instructor.pk, starts_at, ends_at):
        raise DomainError(
            APPOINTMENT_OUTSIDE_HOURS,
            f"{instructor.name} is not available for appointments then. "
            "Pick a time from the open slots.",
            field="starts_at",
        )
    raise slot_taken()


def slots_zone(studio: Studio):
    from reformer.core.timezones import zone

    return zone(studio.time_zone)


def book_appointment(
    actor: Membership,
    appointment_type: AppointmentType,
    *,
    studio: Studio,
    instructor: Membership,
    starts_at: dt.datetime,
    client: Membership | None = None,
    payment_method: str | None = None,
) -> Attendee:
    """Book an open slot: creates the appointment and the client's place, pays credits.
    A type priced in money is paid online by the client (`payments.actions.appointments`
    holds the place while paying) or at the desk: staff give `payment_method`."""
    for obj, what in (
        (appointment_type, "appointment type"),
        (studio, "studio"),
        (instructor, "instructor"),
    ):
        require_same_organization(actor, obj, what)
    client = _client_for(actor, client, studio)
    if not appointment_type.active:
        raise DomainError(APPOINTMENT_UNAVAILABLE, f"{appointment_type.name} is not offered.")
    now = timezone.now()
    if client.pk == actor.pk:
        from reformer.onboarding.readiness import check_ready_to_book

        check_ready_to_book(client)
    _check_not_suspended(client, studio, now)
    if appointment_type.priced_in_money:
        from reformer.appointments.actions import paid

        method = paid.check_desk_method(actor, client, payment_method)
    slot = _check_slot(appointment_type, studio, instructor, starts_at, now)
    source = Attendee.Source.WEB if client.pk == actor.pk else Attendee.Source.STAFF
    if appointment_type.priced_in_money:
        with busy_as_domain_error(), transaction.atomic(durable=True):
            appointment = _create_appointment(actor, appointment_type, studio, instructor, slot)
            payment = paid.desk_payment(actor, appointment_type, studio, client, method, now)
            return _add_place(actor, appointment, client, [], source, now, payment=payment)
    packages = paying_packages(client, appointment_type, starts_at, now)
    if not packages:
        raise _no_package(appointment_type)
    with busy_as_domain_error(), transaction.atomic(durable=True):
        appointment = _create_appointment(actor, appointment_type, studio, instructor, slot)
        attendee = _add_place(actor, appointment, client, packages, source, now)
    return attendee


def _create_appointment(actor, appointment_type, studio, instructor, slot) -> Appointment:
    """Try the free equipment in turn: another booking may take a reformer meanwhile."""
    from reformer.studios.models import Spot

    spots = Spot.objects.in_bulk(list(slot.spot_ids))
    for spot_id in slot.spot_ids:
        spot = spots[spot_id]
        try:
            with transaction.atomic():
                return Appointment.objects.create(
                    organization_id=actor.organization_id,
                    studio=studio,
                    room_id=spot.room_id,
                    spot=spot,
                    appointment_type=appointment_type,
                    instructor=instructor,
                    starts_at=slot.starts_at,
                    ends_at=slot.ends_at,
                    capacity=appointment_type.capacity,
                    created_by=actor,
                )
        except IntegrityError as exc:
            name = constraint_name(exc)
            if name == EQUIPMENT_TAKEN:
                continue
            if name == INSTRUCTOR_TAKEN:
                raise slot_taken() from None
            raise
    raise DomainError(
        APPOINTMENT_EQUIPMENT_TAKEN,
        f"Every {appointment_type.equipment} is taken at that time. Please pick another slot.",
    )


def _add_place(
    actor,
    appointment,
    client,
    packages,
    source,
    now,
    *,
    payment=None,
    status: str = Attendee.Status.CONFIRMED,
) -> Attendee:
    """The client's place: guarded count, insert (client occupancy), credits or the
    payment, notices. A place `held` while its payment is under way is told nothing yet."""
    appointment_type = appointment.appointment_type
    with connection.cursor() as cursor:
        cursor.execute(_TAKE_PLACE_SQL, [appointment.pk, now])
        if cursor.fetchone() is None:
            raise DomainError(
                APPOINTMENT_FULL,
                f"This {appointment_type.size_label.lower()} already has "
                f"{appointment.capacity} client{'s' if appointment.capacity != 1 else ''}.",
            )
    try:
        with transaction.atomic():
            attendee = Attendee.objects.create(
                organization_id=appointment.organization_id,
                appointment=appointment,
                client=client,
                client_package=None if payment is not None else packages[0],
                payment=payment,
                credits_spent=0 if payment is not None else appointment_type.credits,
                starts_at=appointment.starts_at,
                ends_at=appointment.ends_at,
                source=source,
                status=status,
            )
    except IntegrityError as exc:
        name = constraint_name(exc)
        if name == CLIENT_TAKEN:
            raise client_busy() from None
        if name == "attendee_once_per_appointment":
            raise DomainError(
                APPOINTMENT_ALREADY_BOOKED, f"{client.name} is already in this appointment."
            ) from None
        raise
    attendee.appointment = appointment
    attendee.client = client
    if payment is None:
        package = _spend(attendee, packages, actor, now, appointment_type.credits)
        if package is None:
            raise _no_package(appointment_type)
        if package.pk != packages[0].pk:
            Attendee.objects.filter(pk=attendee.pk).update(client_package=package)
            attendee.client_package = package
    audit.record(
        actor,
        APPOINTMENTS_PLACE_BOOKED,
        attendee,
        appointment=appointment.pk,
        client=client.pk,
        source=source,
        status=status,
    )
    if status == Attendee.Status.CONFIRMED:
        tell_confirmed(attendee)
    notify.publish(appointment, "booked", [client.user_id])
    return attendee


def tell_confirmed(attendee: Attendee) -> None:
    """The confirmation email, with what cancelling in time gives back."""
    appointment = attendee.appointment
    appointment_type = appointment.appointment_type
    hours = appointment_type.cancellation_window_hours
    deadline = format_deadline(
        appointment.starts_at - dt.timedelta(hours=hours), appointment.studio
    )
    if attendee.payment_id is not None:
        text = f"Cancel before {deadline} for a full refund; later, the payment is kept."
        from reformer.appointments.terms import fee_text

        text += fee_text(appointment_type)
    else:
        credits = appointment_type.credits
        text = (
            f"Cancel before {deadline} to get your {credits} credit{'s' if credits != 1 else ''}"
            " back; later, the credit is kept."
        )
    notify.queue_email("appointment_confirmed", attendee, cancellation_text=text)


def invite_to_appointment(
    actor: Membership,
    appointment: Appointment,
    client: Membership,
    *,
    payment_method: str | None = None,
) -> Attendee:
    """Staff add a second (or third) client to a duet or trio; the guest pays from their
    own package of the right kind."""
    require_same_organization(actor, appointment, "appointment")
    require_same_organization(actor, client, "client")
    require(actor, BOOK_FOR_CLIENT, studio=appointment.studio)
    if not has_capability(client, BOOK_SELF):
        raise DomainError(
            VALIDATION, "Only active clients can join an appointment.", field="client"
        )
    now = timezone.now()
    appointment = Appointment.objects.select_related(
        "appointment_type", "studio", "room", "spot", "instructor__user"
    ).get(pk=appointment.pk)
    if appointment.status != Appointment.Status.SCHEDULED or appointment.starts_at <= now:
        raise DomainError(APPOINTMENT_CLOSED, "This appointment can no longer take guests.")
    if appointment.booked_count >= appointment.capacity:
        raise DomainError(
            APPOINTMENT_FULL,
            f"This {appointment.appointment_type.size_label.lower()} already has "
            f"{appointment.capacity} clients.",
        )
    _check_not_suspended(client, appointment.studio, now)
    kind = appointment.appointment_type
    if kind.priced_in_money:
        from reformer.appointments.actions import paid

        method = paid.check_desk_method(actor, client, payment_method)
        with busy_as_domain_error(), transaction.atomic(durable=True):
            payment = paid.desk_payment(actor, kind, appointment.studio, client, method, now)
            return _add_place(
                actor, appointment, client, [], Attendee.Source.INVITED, now, payment=payment
            )
    packages = paying_packages(client, kind, appointment.starts_at, now)
    if not packages:
        raise _no_package(kind)
    with busy_as_domain_error(), transaction.atomic(durable=True):
        return _add_place(actor, appointment, client, packages, Attendee.Source.INVITED, now)


def cancel_appointment_place(actor: Membership, attendee: Attendee) -> Attendee:
    """The client (or staff for them) gives up a place. Before the type's window the credits
    come back; later it is a late cancel and they are kept. The last place cancelled frees
    the instructor and the equipment."""
    require_same_organization(actor, attendee, "appointment")
    appointment = attendee.appointment
    own = attendee.client_id == actor.pk and has_capability(actor, BOOK_SELF)
    if not own and not has_capability(actor, BOOK_FOR_CLIENT, studio=appointment.studio):
        raise PermissionDenied(BOOK_FOR_CLIENT)
    now = timezone.now()
    with busy_as_domain_error(), transaction.atomic(durable=True):
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        attendee = Attendee.objects.select_for_update().get(pk=attendee.pk)
        if attendee.status != Attendee.Status.CONFIRMED:
            raise DomainError(APPOINTMENT_NOT_CANCELLABLE, "This place is not active any more.")
        if locked.starts_at <= now:
            raise DomainError(
                APPOINTMENT_STARTED, "This appointment has started and can't be cancelled."
            )
        hours = appointment.appointment_type.cancellation_window_hours
        in_time = now <= locked.starts_at - dt.timedelta(hours=hours)
        _release(actor, locked, attendee, now, refund=in_time, late=not in_time)
        if not Attendee.objects.filter(appointment=locked, status__in=Attendee.HOLDING).exists():
            locked.status = Appointment.Status.CANCELLED
            locked.cancelled_reason = "All clients cancelled"
            locked.save(update_fields=["status", "cancelled_reason"])
        audit.record(actor, APPOINTMENTS_PLACE_CANCELLED, attendee, late=not in_time)
        notify.publish(locked, "cancelled", [attendee.client.user_id])
    return attendee


def _release(actor, appointment, attendee, now, *, refund: bool, late: bool) -> None:
    attendee.status = Attendee.Status.LATE_CANCELLED if late else Attendee.Status.CANCELLED
    attendee.cancelled_at = now
    attendee.credit_returned = refund
    attendee.save(update_fields=["status", "cancelled_at", "credit_returned"])
    Appointment.objects.filter(pk=appointment.pk).update(booked_count=F("booked_count") - 1)
    if attendee.payment_id is not None:
        if refund:
            from reformer.appointments.actions import paid

            paid.refund_after_commit(attendee.payment_id, "Cancelled in time")
        fee = late and _queue_fee(attendee, appointment.appointment_type, "late_cancel")
        _tell_cancelled_paid(attendee, refund, fee=appointment.appointment_type if fee else None)
        return
    if refund:
        with connection.cursor() as cursor:
            cursor.execute(
                _RETURN_SQL,
                {
                    "credits": attendee.credits_spent,
                    "package_id": attendee.client_package_id,
                    "reason": CreditLedger.Reason.CANCELLATION_REFUND,
                    "actor_id": actor.user_id if actor else None,
                    "note": f"Appointment {appointment.reference}",
                    "now": now,
                },
            )
    credits = attendee.credits_spent
    notify.queue_email(
        "appointment_cancelled",
        attendee,
        credit_text=(
            f"Your {credits} credit{'s are' if credits != 1 else ' is'} back in your package."
            if refund
            else "It was cancelled inside the cancellation window, so the credit is kept."
        ),
    )


def cancel_appointment(actor: Membership, appointment: Appointment, *, reason: str) -> None:
    """Staff cancel the whole appointment (instructor ill): everyone gets credits back."""
    require_same_organization(actor, appointment, "appointment")
    require(actor, BOOK_FOR_CLIENT, studio=appointment.studio)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(VALIDATION, "Say why, so the clients know.", field="reason")
    now = timezone.now()
    with busy_as_domain_error(), transaction.atomic(durable=True):
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.status != Appointment.Status.SCHEDULED:
            raise DomainError(APPOINTMENT_CANCELLED, "This appointment is already cancelled.")
        users = []
        for attendee in Attendee.objects.filter(
            appointment=locked, status=Attendee.Status.CONFIRMED
        ).select_related("client__user"):
            _release(actor, locked, attendee, now, refund=True, late=False)
            users.append(attendee.client.user_id)
        locked.status = Appointment.Status.CANCELLED
        locked.cancelled_reason = reason[:200]
        locked.save(update_fields=["status", "cancelled_reason"])
        audit.record(actor, APPOINTMENTS_APPOINTMENT_CANCELLED, locked, reason=reason[:200])
        notify.publish(locked, "cancelled", users)


def _queue_fee(attendee: Attendee, appointment_type: AppointmentType, kind: str) -> bool:
    """The type's late-cancel or no-show fee, charged by a job after this commits."""
    from reformer.payments.actions.fees import queue_appointment_fee

    return queue_appointment_fee(attendee, appointment_type, kind)


def _tell_cancelled_paid(
    attendee: Attendee, refund: bool, *, fee: AppointmentType | None = None
) -> None:
    text = (
        "Your payment is being refunded to your card (or at the desk, if you paid there)."
        if refund
        else "It was cancelled inside the cancellation window, so the payment is kept."
    )
    if fee is not None:
        from reformer.core.money import format_money

        text += (
            f" The late cancellation fee of {format_money(fee.late_cancel_fee, fee.currency)} "
            "is charged to the card you paid with."
        )
    notify.queue_email("appointment_cancelled", attendee, credit_text=text)
