"""Setting appointments up: the types the owner offers, who teaches them, and the hours
instructors publish (weekly, per studio; dated extra or blocked hours). Time off (whole
days away) is scheduling.InstructorUnavailability, which slots already respect."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction

from reformer.accounts.models import Membership
from reformer.appointments.audit_codes import (
    APPOINTMENTS_HOURS_ADDED,
    APPOINTMENTS_HOURS_EXCEPTION,
    APPOINTMENTS_HOURS_EXCEPTION_REMOVED,
    APPOINTMENTS_HOURS_REMOVED,
    APPOINTMENTS_TYPE_ACTIVE,
    APPOINTMENTS_TYPE_CREATED,
    APPOINTMENTS_TYPE_TEACHES,
    APPOINTMENTS_TYPE_UPDATED,
)
from reformer.appointments.models import MAX_CLIENTS, AppointmentType, HoursException, WeeklyHours
from reformer.core import audit
from reformer.core.errors import NotFound, PermissionDenied
from reformer.core.permissions import (
    MANAGE_APPOINTMENT_TYPES,
    MANAGE_AVAILABILITY,
    is_staff,
    may_manage_hours_of,
    require,
    require_same_organization,
)
from reformer.studios.models import Spot, Studio
from reformer.studios.validation import WEEKDAYS, clean_int, clean_text, invalid


def _type_fields(actor: Membership, data: dict, exclude_pk: int | None = None) -> dict:
    name = clean_text(data.get("name"), field="name", label="Name", max_length=80)
    clash = AppointmentType.objects.filter(organization_id=actor.organization_id, name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise invalid(f"An appointment type called “{name}” already exists.", "name")
    capacity = clean_int(
        data.get("capacity", 1), field="capacity", label="Clients", minimum=1, maximum=MAX_CLIENTS
    )
    equipment = clean_text(
        data.get("equipment"), field="equipment", label="Equipment", max_length=40
    ).lower()
    if not Spot.objects.filter(
        organization_id=actor.organization_id, equipment_type__iexact=equipment, active=True
    ).exists():
        raise invalid(
            f"No room has “{equipment}” equipment yet. Add it to a room's layout first.",
            "equipment",
        )
    credit_kind = str(data.get("credit_kind") or "")
    if credit_kind not in AppointmentType.CreditKind.values:
        raise invalid("Choose which packages pay for it.", "credit_kind")
    price = _clean_price(data.get("price"))
    fees = {
        name: _clean_fee(data.get(name), name, label, priced=price is not None)
        for name, label in (("late_cancel_fee", "late cancellation"), ("no_show_fee", "no-show"))
    }
    return {
        "price": price,
        **fees,
        "name": name,
        "duration_minutes": clean_int(
            data.get("duration_minutes", 55),
            field="duration_minutes",
            label="Length",
            minimum=15,
            maximum=240,
        ),
        "capacity": capacity,
        "credits": clean_int(
            data.get("credits", 1), field="credits", label="Credits", minimum=1, maximum=20
        ),
        "credit_kind": credit_kind,
        "equipment": equipment,
        "cancellation_window_hours": clean_int(
            data.get("cancellation_window_hours", 24),
            field="cancellation_window_hours",
            label="Cancellation window",
            minimum=0,
            maximum=24 * 14,
        ),
        "description": clean_text(
            data.get("description"),
            field="description",
            label="Description",
            max_length=2000,
            required=False,
        ),
    }


def _clean_price(value) -> Decimal | None:
    """Empty: paid with credits. Otherwise a money price, paid online or at the desk."""
    text = str(value or "").strip()
    if not text:
        return None
    try:
        price = Decimal(text).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise invalid(
            "Enter a price like 85.00, or leave it empty to charge credits.", "price"
        ) from None
    if not price.is_finite() or not Decimal("0.50") <= price <= Decimal("10000"):
        raise invalid("A price is between 0.50 and 10,000.", "price")
    return price


def _clean_fee(value, field: str, label: str, *, priced: bool) -> Decimal:
    """Empty or 0: no fee. Only a type priced in money charges fees (a type paid in
    credits keeps the credits instead)."""
    text = str(value or "").strip()
    if not text:
        return Decimal("0")
    try:
        fee = Decimal(text).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise invalid(f"Enter the {label} fee like 20.00, or 0 for none.", field) from None
    if not fee.is_finite() or not Decimal("0") <= fee <= Decimal("10000"):
        raise invalid(f"The {label} fee is between 0 and 10,000.", field)
    if fee and not priced:
        raise invalid(
            f"A {label} fee needs a price: a session paid in credits keeps the credits "
            "instead. Set a price, or leave the fee at 0.",
            field,
        )
    return fee


def _teachers(actor: Membership, ids) -> list[Membership]:
    if ids is None:
        return []
    members = list(
        Membership.objects.filter(organization_id=actor.organization_id, pk__in=list(ids))
    )
    if len(members) != len(set(ids)):
        raise NotFound("instructor")
    for member in members:
        if not is_staff(member):
            raise invalid(f"{member.name} is not an active member of staff.", "instructors")
    return members


def create_appointment_type(actor: Membership, data: dict, instructor_ids=None) -> AppointmentType:
    require(actor, MANAGE_APPOINTMENT_TYPES)
    fields = _type_fields(actor, data)
    teachers = _teachers(actor, instructor_ids)
    with transaction.atomic(durable=True):
        kind = AppointmentType.objects.create(organization_id=actor.organization_id, **fields)
        kind.instructors.set(teachers)
        audit.record(actor, APPOINTMENTS_TYPE_CREATED, kind, name=kind.name)
    return kind


def update_appointment_type(
    actor: Membership, appointment_type: AppointmentType, data: dict, instructor_ids=None
) -> AppointmentType:
    require_same_organization(actor, appointment_type, "appointment type")
    require(actor, MANAGE_APPOINTMENT_TYPES)
    fields = _type_fields(actor, data, exclude_pk=appointment_type.pk)
    teachers = _teachers(actor, instructor_ids) if instructor_ids is not None else None
    with transaction.atomic(durable=True):
        for name, value in fields.items():
            setattr(appointment_type, name, value)
        appointment_type.save()
        if teachers is not None:
            appointment_type.instructors.set(teachers)
        audit.record(actor, APPOINTMENTS_TYPE_UPDATED, appointment_type)
    return appointment_type


def set_appointment_type_active(
    actor: Membership, appointment_type: AppointmentType, active: bool
) -> AppointmentType:
    require_same_organization(actor, appointment_type, "appointment type")
    require(actor, MANAGE_APPOINTMENT_TYPES)
    with transaction.atomic(durable=True):
        appointment_type.active = bool(active)
        appointment_type.save(update_fields=["active"])
        audit.record(actor, APPOINTMENTS_TYPE_ACTIVE, appointment_type, active=bool(active))
    return appointment_type


def set_teaches(
    actor: Membership, instructor: Membership, appointment_type: AppointmentType, teaches: bool
) -> None:
    """An instructor says which types they teach (managers may set it for anyone)."""
    require_same_organization(actor, instructor, "instructor")
    require_same_organization(actor, appointment_type, "appointment type")
    if not (actor.pk == instructor.pk and is_staff(actor) and _has(actor, MANAGE_AVAILABILITY)):
        require(actor, MANAGE_APPOINTMENT_TYPES)
    if not is_staff(instructor):
        raise invalid(f"{instructor.name} is not an active member of staff.", "instructor")
    with transaction.atomic(durable=True):
        if teaches:
            appointment_type.instructors.add(instructor)
        else:
            appointment_type.instructors.remove(instructor)
        audit.record(
            actor,
            APPOINTMENTS_TYPE_TEACHES,
            appointment_type,
            instructor=instructor.pk,
            teaches=teaches,
        )


def _has(actor: Membership, capability: str) -> bool:
    from reformer.core.permissions import has_capability

    return has_capability(actor, capability)


def _require_hours_access(actor: Membership, instructor: Membership, studio: Studio) -> None:
    require_same_organization(actor, instructor, "instructor")
    require_same_organization(actor, studio, "studio")
    if not may_manage_hours_of(actor, instructor, studio):
        raise PermissionDenied(MANAGE_AVAILABILITY)
    if not is_staff(instructor):
        raise invalid(f"{instructor.name} is not an active member of staff.", "instructor")


def _clock(value: object, field: str, label: str) -> dt.time:
    if isinstance(value, dt.time):
        return value
    text = str(value or "").strip()
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise invalid(f"{label}: use a time like 09:00.", field) from None


def _ordered(starts: dt.time, ends: dt.time) -> None:
    if ends <= starts:
        raise invalid("The end must be after the start.", "ends")


def _lock_instructor(instructor: Membership) -> None:
    """Serialise hour changes of one instructor, so two overlapping windows saved at once
    cannot both pass the overlap check."""
    Membership.objects.select_for_update().filter(pk=instructor.pk).first()


def add_weekly_hours(
    actor: Membership,
    instructor: Membership,
    studio: Studio,
    *,
    weekday: object,
    starts: object,
    ends: object,
) -> WeeklyHours:
    """Regular hours; refused when they overlap the instructor's hours on that weekday at
    any studio (one person, one place)."""
    _require_hours_access(actor, instructor, studio)
    day = clean_int(weekday, field="weekday", label="Day", minimum=0, maximum=6)
    start, end = _clock(starts, "starts", "Start"), _clock(ends, "ends", "End")
    _ordered(start, end)
    with transaction.atomic(durable=True):
        _lock_instructor(instructor)
        clash = (
            WeeklyHours.objects.filter(
                instructor=instructor, weekday=day, starts__lt=end, ends__gt=start
            )
            .select_related("studio")
            .first()
        )
        if clash is not None:
            raise invalid(
                f"{instructor.name} already has hours on {WEEKDAYS[day]} "
                f"{clash.starts:%H:%M} to {clash.ends:%H:%M} at {clash.studio.name}. "
                "Change those instead.",
                "starts",
            )
        hours = WeeklyHours.objects.create(
            organization_id=actor.organization_id,
            instructor=instructor,
            studio=studio,
            weekday=day,
            starts=start,
            ends=end,
        )
        audit.record(actor, APPOINTMENTS_HOURS_ADDED, hours, instructor=instructor.pk)
    return hours


def remove_weekly_hours(actor: Membership, hours: WeeklyHours) -> None:
    require_same_organization(actor, hours, "hours")
    _require_hours_access(actor, hours.instructor, hours.studio)
    with transaction.atomic(durable=True):
        audit.record(actor, APPOINTMENTS_HOURS_REMOVED, hours, instructor=hours.instructor_id)
        hours.delete()


def add_hours_exception(
    actor: Membership,
    instructor: Membership,
    studio: Studio,
    *,
    date: object,
    kind: str,
    starts: object,
    ends: object,
    note: str = "",
) -> HoursException:
    _require_hours_access(actor, instructor, studio)
    if kind not in HoursException.Kind.values:
        raise invalid("Choose extra hours or not available.", "kind")
    try:
        day = date if isinstance(date, dt.date) else dt.date.fromisoformat(str(date or ""))
    except ValueError:
        raise invalid("Date: use a date like 2026-03-02.", "date") from None
    start, end = _clock(starts, "starts", "Start"), _clock(ends, "ends", "End")
    _ordered(start, end)
    note = clean_text(note, field="note", label="Note", max_length=200, required=False)
    with transaction.atomic(durable=True):
        _lock_instructor(instructor)
        if kind == HoursException.Kind.EXTRA and (
            HoursException.objects.filter(
                instructor=instructor,
                date=day,
                kind=kind,
                starts__lt=end,
                ends__gt=start,
            ).exists()
        ):
            raise invalid("Those extra hours overlap extra hours already set that day.", "starts")
        exception = HoursException.objects.create(
            organization_id=actor.organization_id,
            instructor=instructor,
            studio=studio,
            date=day,
            kind=kind,
            starts=start,
            ends=end,
            note=note,
        )
        audit.record(actor, APPOINTMENTS_HOURS_EXCEPTION, exception, kind=kind)
    return exception


def remove_hours_exception(actor: Membership, exception: HoursException) -> None:
    require_same_organization(actor, exception, "exception")
    _require_hours_access(actor, exception.instructor, exception.studio)
    with transaction.atomic(durable=True):
        audit.record(actor, APPOINTMENTS_HOURS_EXCEPTION_REMOVED, exception)
        exception.delete()
