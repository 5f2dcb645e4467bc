"""Tenancy matrix rows for the booking engine (see tests/tenancy.py)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from reformer.accounts.models import ClientProfile
from reformer.bookings import actions
from reformer.bookings.models import Booking
from reformer.core.errors import NOT_FOUND, NotFound, PermissionDenied
from reformer.core.permissions import MARK_ATTENDANCE
from reformer.scheduling.models import ClassSession
from tests.bookings.helpers import give_package, make_client
from tests.factories import make_session
from tests.tenancy import MANAGERS, QUERY, register

DESK = {"owner", "manager", "front_desk"}
BOOKERS = DESK | {"client"}
ATTENDANCE = DESK | {"instructor"}


def for_client(actor, ctx) -> dict:
    """Clients act for themselves; staff name tenant a's client."""
    return {} if actor.role == "client" else {"client": ctx.a.client}


def a_class(world) -> dict:
    give_package(world.a.client)
    return {"session": make_session(world.a, starts_at=timezone.now() + dt.timedelta(days=2))}


def a_full_class(world) -> dict:
    made = a_class(world)
    session = made["session"]
    for _ in range(session.capacity):
        filler = make_client(world.a, "Filler")
        give_package(filler)
        actions.book_session(filler, session)
    return made


def a_booking(world) -> dict:
    made = a_class(world)
    made["booking"] = actions.book_session(world.a.client, made["session"])
    return made


def a_waitlist_entry(world) -> dict:
    made = a_full_class(world)
    made["entry"] = actions.join_waitlist(world.a.client, made["session"])
    return made


def _booking_in_class_starting(world, minutes_from_now: int, status: str = "confirmed") -> dict:
    """A booking in a class taught by a's instructor, written directly so the class may
    already have started."""
    starts_at = timezone.now() + dt.timedelta(minutes=minutes_from_now)
    session = make_session(world.a, starts_at=starts_at)
    package = give_package(world.a.client)
    booking = Booking.objects.create(
        organization=world.a.organization,
        session=session,
        client=world.a.client,
        client_package=package,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        status=status,
    )
    ClassSession.objects.filter(pk=session.pk).update(booked_count=1)
    return {"session": session, "booking": booking}


@register(allowed=BOOKERS, setup=a_class)
def book_session(actor, ctx):
    return actions.book_session(actor, ctx.session, **for_client(actor, ctx))


@register(allowed=BOOKERS, kind=QUERY, setup=a_class)
def booking_quote(actor, ctx):
    return actions.booking_quote(actor, ctx.session, **for_client(actor, ctx))


@register(allowed=BOOKERS, setup=a_booking)
def cancel_booking(actor, ctx):
    return actions.cancel_booking(actor, ctx.booking)


@register(allowed={"owner", "manager", "front_desk"}, setup=a_booking)
def cancel_booking_overriding_policy(actor, ctx):
    return actions.cancel_booking(actor, ctx.booking, return_credit=False, reason="Goodwill")


def an_overlapping_class(world) -> dict:
    made = a_booking(world)
    starts_at = made["session"].starts_at + dt.timedelta(minutes=20)
    other_room = world.a.room.__class__.objects.create(
        organization=world.a.organization, studio=world.a.studio, name="Tower Room", capacity=4
    )
    made["other"] = make_session(world.a, starts_at=starts_at, room=other_room, instructor=None)
    return made


@register(allowed={"client"}, setup=an_overlapping_class)
def switch_booking(actor, ctx):
    return actions.switch_booking(actor, ctx.booking, ctx.other)


@register(allowed=BOOKERS, setup=a_full_class)
def join_waitlist(actor, ctx):
    return actions.join_waitlist(actor, ctx.session, **for_client(actor, ctx))


@register(allowed=BOOKERS, setup=a_waitlist_entry)
def leave_waitlist(actor, ctx):
    return actions.leave_waitlist(actor, ctx.entry)


@register(allowed=ATTENDANCE, setup=lambda world: _booking_in_class_starting(world, 30))
def check_in(actor, ctx):
    return actions.check_in(actor, ctx.booking)


@register(allowed=ATTENDANCE, setup=lambda world: _booking_in_class_starting(world, -5))
def mark_attendance(actor, ctx):
    return actions.mark_attendance(actor, ctx.booking, "attended")


@register(allowed=ATTENDANCE, setup=lambda world: _booking_in_class_starting(world, -5))
def apply_offline_marks(actor, ctx):
    mark = actions.MarkRequest(key="tenancy", booking_id=ctx.booking.pk, status="attended")
    (result,) = actions.apply_offline_marks(actor, [mark])
    # A refused mark is reported in the results (the device shows it), not raised.
    if result.code == NOT_FOUND:
        raise NotFound("booking")
    if result.outcome == "refused":
        raise PermissionDenied(MARK_ATTENDANCE)
    assert result.outcome == "applied", result
    return result


@register(allowed=ATTENDANCE, setup=lambda world: _booking_in_class_starting(world, -30))
def mark_no_show(actor, ctx):
    return actions.mark_no_show(actor, ctx.booking)


@register(
    allowed=ATTENDANCE,
    setup=lambda world: _booking_in_class_starting(world, -30, status="attended"),
)
def undo_attendance(actor, ctx):
    return actions.undo_attendance(actor, ctx.booking)


def a_suspended_client(world) -> dict:
    ClientProfile.objects.filter(membership=world.a.client).update(
        suspended_until=timezone.now() + dt.timedelta(days=3)
    )
    return {}


@register(allowed=DESK, setup=a_suspended_client)
def lift_suspension(actor, ctx):
    return actions.lift_suspension(actor, ctx.a.client)


@register(allowed=MANAGERS, setup=a_booking)
def cancel_session(actor, ctx):
    return actions.cancel_session(actor, ctx.session, reason="Instructor ill")
