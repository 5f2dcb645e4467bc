"""What the API returns and accepts about appointments (privates, duets, trios)."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field


class AppointmentTypeOut(Schema):
    id: int
    name: str
    size_label: str = Field(description="Private, Duet or Trio.")
    capacity: int = Field(description="Clients per appointment (1 to 3).")
    duration_minutes: int
    credits: int = Field(description="Credits it takes from a package of `credit_kind`.")
    credit_kind: str = Field(description='"" any pack or membership, class_pack, membership.')
    equipment: str = Field(description="The equipment type it needs (reformer, tower, chair).")
    cancellation_window_hours: int
    description: str
    active: bool
    instructor_ids: list[int]

    @staticmethod
    def resolve_instructor_ids(obj) -> list[int]:
        return sorted(member.pk for member in obj.instructors.all())


class SlotOut(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime
    instructor_id: int
    instructor_name: str


class AppointmentPlaceOut(Schema):
    id: int
    client_id: int
    status: str = Field(description="confirmed, cancelled, late_cancelled, attended, no_show")
    source: str
    credits_spent: int
    package_id: int = Field(validation_alias="client_package_id")
    checked_in_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    credit_returned: bool
    created_at: dt.datetime


class AppointmentOut(Schema):
    id: int
    reference: str
    appointment_type_id: int
    appointment_type_name: str = Field(validation_alias="appointment_type.name")
    studio_id: int
    room_id: int
    spot_id: int
    spot_label: str = Field(validation_alias="spot.label")
    instructor_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    booked_count: int
    status: str = Field(description="scheduled or cancelled")
    cancelled_reason: str
    places: list[AppointmentPlaceOut] = Field(
        description="Clients' places; a client's key sees only its own."
    )

    @staticmethod
    def resolve_places(obj) -> list:
        return list(obj.visible_places)


class AppointmentBookIn(Schema):
    appointment_type_id: int = Field(ge=1, le=2**62)
    studio_id: int = Field(ge=1, le=2**62)
    instructor_id: int = Field(ge=1, le=2**62)
    starts_at: dt.datetime = Field(
        description="A start from the type's open slots (with a time zone or Z)."
    )
    client_id: int | None = Field(
        None, ge=1, le=2**62, description="Staff keys: the client to book. Client keys: omit."
    )


class AppointmentCancelIn(Schema):
    client_id: int | None = Field(
        None,
        ge=1,
        le=2**62,
        description="Staff keys: whose place to cancel. Client keys: omit (their own).",
    )
