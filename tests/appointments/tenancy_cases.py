"""Tenancy matrix rows for appointments and the newcomer path (see tests/tenancy.py)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from reformer.appointments import actions
from reformer.appointments.models import Appointment, Attendee
from reformer.bookings import actions as booking_actions
from reformer.onboarding import actions as onboarding
from reformer.onboarding.models import ClientTag, IntakeQuestion
from tests import factories
from tests.appointments import helpers as ah
from tests.bookings.helpers import give_package, make_client
from tests.factories import make_session
from tests.tenancy import MANAGERS, OWN, QUERY, register

DESK = {"owner", "manager", "front_desk"}
BOOKERS = DESK | {"client"}
OWNER = {"owner"}


def privates(world) -> dict:
    kind, _room, spots = ah.setup_privates(world.a)
    give_package(world.a.client)
    return {"kind": kind, "spots": spots}


def a_place(world) -> dict:
    made = privates(world)
    made["place"] = actions.book_appointment(
        world.a.client,
        made["kind"],
        studio=world.a.studio,
        instructor=world.a.instructor,
        starts_at=ah.at(world.a, hour=10),
    )
    return made


def a_duet(world) -> dict:
    made = privates(world)
    made["kind"].capacity = 2
    made["kind"].save()
    made["place"] = actions.book_appointment(
        world.a.client,
        made["kind"],
        studio=world.a.studio,
        instructor=world.a.instructor,
        starts_at=ah.at(world.a, hour=10),
    )
    guest = make_client(world.a, "Guest")
    give_package(guest)
    made["guest"] = guest
    return made


def a_place_starting_now(world) -> dict:
    made = privates(world)
    starts = timezone.now() - dt.timedelta(minutes=5)
    package = give_package(world.a.client)
    appointment = Appointment.objects.create(
        organization=world.a.organization,
        studio=world.a.studio,
        room=made["spots"][0].room,
        spot=made["spots"][0],
        appointment_type=made["kind"],
        instructor=world.a.instructor,
        starts_at=starts,
        ends_at=starts + dt.timedelta(minutes=55),
        capacity=1,
        booked_count=1,
    )
    made["place"] = Attendee.objects.create(
        organization=world.a.organization,
        appointment=appointment,
        client=world.a.client,
        client_package=package,
        credits_spent=1,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
    )
    return made


def for_client(actor, ctx) -> dict:
    return {} if actor.role == "client" else {"client": ctx.a.client}


@register(
    allowed=MANAGERS, setup=lambda world: {"spots": ah.private_room(world.a)}, other_tenant=OWN
)
def create_appointment_type(actor, ctx):
    return actions.create_appointment_type(
        actor, {"name": "Duet 55", "capacity": 2, "equipment": "reformer"}
    )


@register(allowed=MANAGERS, setup=privates)
def set_appointment_type_active(actor, ctx):
    return actions.set_appointment_type_active(actor, ctx.kind, False)


@register(allowed={"owner", "manager", "instructor"})
def add_weekly_hours(actor, ctx):
    return actions.add_weekly_hours(
        actor, ctx.a.instructor, ctx.a.studio, weekday=2, starts="09:00", ends="12:00"
    )


@register(allowed={"owner", "manager", "instructor"})
def add_hours_exception(actor, ctx):
    return actions.add_hours_exception(
        actor,
        ctx.a.instructor,
        ctx.a.studio,
        date=ah.local_day(ctx.a),
        kind="blocked",
        starts="09:00",
        ends="10:00",
    )


@register(allowed=BOOKERS, setup=privates)
def book_appointment(actor, ctx):
    return actions.book_appointment(
        actor,
        ctx.kind,
        studio=ctx.a.studio,
        instructor=ctx.a.instructor,
        starts_at=ah.at(ctx.a, hour=10),
        **for_client(actor, ctx),
    )


@register(allowed=DESK, setup=a_duet)
def invite_to_appointment(actor, ctx):
    return actions.invite_to_appointment(actor, ctx.place.appointment, ctx.guest)


@register(allowed=BOOKERS, setup=a_place)
def cancel_appointment_place(actor, ctx):
    return actions.cancel_appointment_place(actor, ctx.place)


@register(allowed=DESK, setup=a_place)
def cancel_appointment(actor, ctx):
    return actions.cancel_appointment(actor, ctx.place.appointment, reason="Instructor ill")


@register(allowed=DESK | {"instructor"}, setup=a_place_starting_now)
def mark_attendee(actor, ctx):
    return actions.mark_attendee(actor, ctx.place, "attended")


@register(allowed=OWNER, other_tenant=OWN)
def create_document(actor, ctx):
    return onboarding.create_document(actor, title="Liability waiver", body="Take care.")


@register(
    allowed={"client"},
    setup=lambda world: {
        "version": onboarding.create_document(world.a.owner, title="Waiver", body="Text")
    },
)
def accept_document(actor, ctx):
    return onboarding.accept_document(actor, ctx.version, signature="Me", agreed=True)


@register(allowed=OWNER, other_tenant=OWN)
def add_intake_question(actor, ctx):
    return onboarding.add_question(actor, prompt="Injuries?", kind="short")


def a_question(world) -> dict:
    return {
        "question": IntakeQuestion.objects.create(
            organization=world.a.organization, prompt="Injuries?"
        )
    }


@register(allowed={"client"}, setup=a_question, other_tenant=OWN)
def submit_intake(actor, ctx):
    return onboarding.submit_intake(actor, {str(ctx.question.pk): "Knee"})


def intake_with_a_class(world) -> dict:
    made = a_question(world)
    onboarding.submit_intake(world.a.client, {str(made["question"].pk): "Knee"})
    give_package(world.a.client)
    booking_actions.book_session(world.a.front_desk, make_session(world.a), client=world.a.client)
    return made


@register(allowed=DESK | {"instructor", "client"}, setup=intake_with_a_class, kind=QUERY)
def intake_for(actor, ctx):
    return onboarding.intake_for(actor, ctx.a.client)


@register(
    allowed=OWNER,
    setup=lambda world: {
        "product": factories.PackageProductFactory(organization=world.a.organization)
    },
)
def set_intro_offer(actor, ctx):
    return onboarding.set_intro_offer(actor, ctx.product, True)


@register(allowed=OWNER)
def add_requirement(actor, ctx):
    return onboarding.add_requirement(actor, ctx.a.class_type, kind="private")


@register(
    allowed=DESK | {"instructor"},
    setup=lambda world: {
        "tag": ClientTag.objects.create(organization=world.a.organization, name="Jumpboard")
    },
)
def grant_tag(actor, ctx):
    return onboarding.grant_tag(actor, ctx.a.client, ctx.tag)


def _priced(world) -> dict:
    from decimal import Decimal

    made = privates(world)
    made["kind"].price = Decimal("85.00")
    made["kind"].save()
    made["guest"] = make_client(world.a, "Paying guest")
    return made


@register(allowed={"client"}, setup=_priced)
def hold_appointment_for_payment(actor, ctx):
    from reformer.appointments.actions import paid

    return paid.hold_for_payment(
        actor,
        ctx.kind,
        studio=ctx.a.studio,
        instructor=ctx.a.instructor,
        starts_at=ah.at(ctx.a, hour=10),
    )


@register(allowed=DESK, setup=_priced)
def book_priced_appointment_at_the_desk(actor, ctx):
    return actions.book_appointment(
        actor,
        ctx.kind,
        studio=ctx.a.studio,
        instructor=ctx.a.instructor,
        starts_at=ah.at(ctx.a, hour=10),
        client=ctx.guest,
        payment_method="cash",
    )
