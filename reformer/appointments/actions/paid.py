"""Appointments priced in money (the type's `price`), paid online or at the desk.

Online: `hold_for_payment` books the slot with the client's place `held` and a pending
Payment in one transaction (the exclusion constraints keep the slot from anyone else),
then `payments.actions.appointments` opens Stripe Checkout. Whichever news of payment comes
first confirms the place once (`confirm_paid_place`, called under the payment's row lock in
`payments.actions.grant.mark_paid`); a failed, abandoned or expired checkout frees it
(`release_held_place`, from `mark_unpaid`). Money that arrives for a place no longer held
is refunded automatically. At the desk, staff record the payment and the place is confirmed
at once. Cancelling in time refunds the payment (a job, through Stripe for card payments).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.appointments import notify
from reformer.appointments.actions.booking import (
    _add_place,
    _check_not_suspended,
    _check_slot,
    _create_appointment,
    tell_confirmed,
)
from reformer.appointments.audit_codes import (
    APPOINTMENTS_PLACE_CONFIRMED,
    APPOINTMENTS_PLACE_RELEASED,
)
from reformer.appointments.errors import APPOINTMENT_PAY_ONLINE, APPOINTMENT_UNAVAILABLE
from reformer.appointments.models import Appointment, AppointmentType, Attendee
from reformer.billing.models import Payment
from reformer.bookings.actions._db import busy_as_domain_error
from reformer.core import audit
from reformer.core.errors import VALIDATION, DomainError
from reformer.core.permissions import (
    BUY_ONLINE,
    SELL_AT_DESK,
    require,
    require_same_organization,
)
from reformer.studios.models import Studio

DESK_METHODS = (Payment.Method.CASH, Payment.Method.TERMINAL, Payment.Method.COMPLIMENTARY)
RELEASED_REASON = "Payment not completed"
# Stripe's shortest Checkout expiry: the slot is not held for longer. Until the session's
# own expiry is stored (right after Stripe answers), the hold ends a little later, so a
# hold whose checkout never opened (a crash in between) is still freed by the sweep.
HOLD_FOR = dt.timedelta(minutes=30)
HOLD_MARGIN = dt.timedelta(minutes=2)


def check_desk_method(actor: Membership, client: Membership, method: str | None) -> str:
    """A money-priced place booked by staff names how the client paid at the desk."""
    if client.pk == actor.pk:
        raise DomainError(
            APPOINTMENT_PAY_ONLINE,
            "This session is paid by card: pick a time and you will be taken to pay.",
        )
    if method not in DESK_METHODS:
        raise DomainError(
            VALIDATION,
            "Choose how the client pays: cash, card terminal or complimentary.",
            field="payment_method",
        )
    return method


def desk_payment(
    actor: Membership,
    kind: AppointmentType,
    studio: Studio,
    client: Membership,
    method: str,
    now: dt.datetime,
) -> Payment:
    """The desk's payment for the place, paid now (inside the booking's transaction)."""
    require(actor, SELL_AT_DESK, studio=studio)
    assert kind.price is not None  # only money-priced types come here
    payment = Payment.objects.create(
        organization_id=actor.organization_id,
        studio=studio,
        client=client,
        kind=Payment.Kind.APPOINTMENT,
        method=method,
        provider="desk",
        amount=0 if method == Payment.Method.COMPLIMENTARY else kind.price,
        currency=kind.currency,
        status=Payment.Status.SUCCEEDED,
        paid_at=now,
        recorded_by=actor.user,
        note=kind.name,
        created_at=now,
    )
    from reformer.payments import audit_codes, notices

    audit.record(
        actor,
        audit_codes.PAYMENTS_PAYMENT_SUCCEEDED,
        payment,
        amount=payment.amount,
        currency=payment.currency,
        method=method,
    )
    payment.client = client
    notices.queue_receipt(payment)
    return payment


def hold_for_payment(
    actor: Membership,
    kind: AppointmentType,
    *,
    studio: Studio,
    instructor: Membership,
    starts_at: dt.datetime,
) -> Attendee:
    """The client's place, held with a pending card payment, in one transaction."""
    for obj, what in ((kind, "appointment type"), (studio, "studio"), (instructor, "instructor")):
        require_same_organization(actor, obj, what)
    require(actor, BUY_ONLINE)
    if not kind.active:
        raise DomainError(APPOINTMENT_UNAVAILABLE, f"{kind.name} is not offered.")
    if kind.price is None:
        raise DomainError(VALIDATION, f"{kind.name} is paid with credits: book it directly.")
    from reformer.onboarding.readiness import check_ready_to_book

    check_ready_to_book(actor)
    now = timezone.now()
    _check_not_suspended(actor, studio, now)
    slot = _check_slot(kind, studio, instructor, starts_at, now)
    with busy_as_domain_error(), transaction.atomic(durable=True):
        appointment = _create_appointment(actor, kind, studio, instructor, slot)
        payment = Payment.objects.create(
            organization_id=actor.organization_id,
            studio=studio,
            client=actor,
            kind=Payment.Kind.APPOINTMENT,
            method=Payment.Method.CARD_ONLINE,
            amount=kind.price,
            currency=kind.currency,
            note=kind.name,
            created_at=now,
        )
        place = _add_place(
            actor,
            appointment,
            actor,
            [],
            Attendee.Source.WEB,
            now,
            payment=payment,
            status=Attendee.Status.HELD,
        )
        place.held_until = now + HOLD_FOR + HOLD_MARGIN
        Attendee.objects.filter(pk=place.pk).update(held_until=place.held_until)
        return place


def confirm_paid_place(payment: Payment) -> bool:
    """Inside mark_paid (payment row locked): the held place becomes confirmed. False when
    the place is no longer held (released after a failed or expired checkout)."""
    place = (
        Attendee.objects.select_for_update()
        .select_related(
            "client__user",
            "appointment__appointment_type",
            "appointment__studio",
            "appointment__room",
            "appointment__spot",
            "appointment__instructor__user",
        )
        .filter(payment_id=payment.pk)
        .first()
    )
    if place is None or place.status != Attendee.Status.HELD:
        return False
    place.status = Attendee.Status.CONFIRMED
    place.save(update_fields=["status"])
    audit.record(None, APPOINTMENTS_PLACE_CONFIRMED, place, payment=payment.pk)
    tell_confirmed(place)
    notify.publish(place.appointment, "booked", [place.client.user_id])
    return True


def release_held_place(payment_id: int, reason: str) -> bool:
    """Inside mark_unpaid: the place held for this payment is freed (and the appointment
    with it when nobody else holds a place), so the slot is open again."""
    place = (
        Attendee.objects.select_for_update()
        .filter(payment_id=payment_id, status=Attendee.Status.HELD)
        .select_related("appointment__studio", "appointment__instructor", "client")
        .first()
    )
    if place is None:
        return False
    appointment = Appointment.objects.select_for_update().get(pk=place.appointment_id)
    place.status = Attendee.Status.CANCELLED
    place.cancelled_at = timezone.now()
    place.save(update_fields=["status", "cancelled_at"])
    Appointment.objects.filter(pk=appointment.pk).update(booked_count=F("booked_count") - 1)
    if not Attendee.objects.filter(appointment=appointment, status__in=Attendee.HOLDING).exists():
        Appointment.objects.filter(pk=appointment.pk).update(
            status=Appointment.Status.CANCELLED, cancelled_reason=RELEASED_REASON
        )
    audit.record(None, APPOINTMENTS_PLACE_RELEASED, place, payment=payment_id, reason=reason)
    notify.publish(place.appointment, "cancelled", [place.client.user_id])
    return True


def refund_after_commit(payment_id: int, reason: str) -> None:
    from reformer.payments.actions.auto_refunds import refund_after_commit as refund

    refund(payment_id, reason)
