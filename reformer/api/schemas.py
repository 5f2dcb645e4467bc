"""What the API returns and accepts. Output schemas are built from model rows."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import ModelSchema, Schema
from pydantic import Field, create_model

from reformer.billing.models import Payment


class StudioOut(Schema):
    id: int
    name: str
    address: str
    time_zone: str
    active: bool


class ClassTypeOut(Schema):
    id: int
    name: str
    duration_minutes: int
    default_capacity: int
    colour: str
    description: str


class ClassOut(Schema):
    id: int
    studio_id: int
    studio_name: str = Field(validation_alias="studio.name")
    room_id: int
    class_type_id: int
    class_type_name: str = Field(validation_alias="class_type.name")
    instructor_id: int | None
    instructor_name: str | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    booked_count: int
    spots_left: int
    waiting_count: int
    status: str

    @staticmethod
    def resolve_instructor_name(obj) -> str | None:
        return obj.instructor.user.display_name if obj.instructor_id else None


class ClientOut(Schema):
    id: int
    email: str = Field(validation_alias="user.email")
    name: str = Field(validation_alias="user.name")
    phone: str = Field(validation_alias="user.phone")
    active: bool
    joined_at: dt.datetime = Field(validation_alias="created_at")
    no_show_strikes: int
    suspended_until: dt.datetime | None

    @staticmethod
    def resolve_no_show_strikes(obj) -> int:
        profile = getattr(obj, "client_profile", None)
        return profile.no_show_strikes if profile else 0

    @staticmethod
    def resolve_suspended_until(obj) -> dt.datetime | None:
        profile = getattr(obj, "client_profile", None)
        return profile.suspended_until if profile else None


class PackageOut(Schema):
    id: int
    client_id: int
    product_id: int
    product_name: str = Field(validation_alias="product.name")
    kind: str = Field(validation_alias="product.kind")
    credits_total: int | None
    credits_remaining: int | None
    weekly_limit: int | None
    starts_at: dt.datetime
    expires_at: dt.datetime
    status: str
    source: str


class BookingOut(Schema):
    id: int
    reference: str
    class_id: int = Field(validation_alias="session_id")
    client_id: int
    package_id: int | None = Field(validation_alias="client_package_id")
    spot_id: int | None
    spot_label: str | None
    status: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    is_late: bool
    checked_in_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    cancel_reason: str
    credit_returned: bool
    source: str
    created_at: dt.datetime

    @staticmethod
    def resolve_spot_label(obj) -> str | None:
        return obj.spot.label if obj.spot_id else None


class WaitlistEntryOut(Schema):
    id: int
    class_id: int = Field(validation_alias="session_id")
    client_id: int
    status: str
    joined_at: dt.datetime
    position: int = Field(0, description="1 = next in line; 0 when no longer waiting.")
    skip_reason: str
    booking_id: int | None
    left_at: dt.datetime | None


class PaymentOut(ModelSchema):
    """Every field of the payment record (fields added by payment providers appear here)."""

    class Meta:
        model = Payment
        fields = "__all__"


# --- inputs ---------------------------------------------------------------------------------


class BookIn(Schema):
    class_id: int = Field(ge=1, le=2**62)
    client_id: int | None = Field(
        None, ge=1, le=2**62, description="Staff keys: the client to book. Client keys: omit."
    )
    spot_id: int | None = Field(None, ge=1, le=2**62)


class CancelIn(Schema):
    reason: str = Field("", max_length=200)
    return_credit: bool | None = Field(
        None, description="Staff only, with a reason: override the late-cancel rule."
    )


class WaitlistIn(Schema):
    class_id: int = Field(ge=1, le=2**62)
    client_id: int | None = Field(None, ge=1, le=2**62)


class AttendanceIn(Schema):
    status: Literal["attended", "no_show", "undo"]
    late: bool | None = None


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """A page of results with the cursor of the next one (null on the last page)."""
    name = f"{item_schema.__name__.removesuffix('Out')}Page"
    return create_model(
        name,
        __base__=Schema,
        data=(list[item_schema], ...),  # type: ignore[valid-type]  # a class made at runtime
        next_cursor=(
            str | None,
            Field(description="Pass as `cursor` to get the next page; null on the last page."),
        ),
    )
