"""Tenancy matrix rows for the studios app (see tests/tenancy.py)."""

from __future__ import annotations

import datetime as dt

from reformer.studios import actions, queries
from reformer.studios.models import Closure, Room
from tests.tenancy import ALL_ROLES, MANAGERS, OUTSIDER, OWN, QUERY, USER, register

NEXT_MONDAY = dt.date(2026, 3, 2)
OWNER = {"owner"}
CLIENT_AND_OWNER = {"owner", "client"}


def a_closure(world):
    return {
        "closure": Closure.objects.create(
            organization=world.a.organization, studio=world.a.studio, date=NEXT_MONDAY
        )
    }


def an_empty_room(world):
    return {
        "room": Room.objects.create(
            organization=world.a.organization, studio=world.a.studio, name="Tower", capacity=4
        )
    }


# ---------------------------------------------------------------------------------- actions


@register(allowed=ALL_ROLES | {OUTSIDER}, other_tenant=OWN, actor=USER)
def create_organization(user, ctx):
    return actions.create_organization(user, name="Gamma Pilates", time_zone="UTC")


@register(allowed=OWNER)
def update_organization(actor, ctx):
    return actions.update_organization(
        actor,
        ctx.a.organization,
        name="Alpha Pilates",
        time_zone="UTC",
        brand_colour="#112233",
        public_description="Hello",
    )


@register(allowed=OWNER, other_tenant=OWN)
def create_studio(actor, ctx):
    return actions.create_studio(actor, name="Loft", address="", time_zone="UTC")


@register(allowed=MANAGERS)
def update_studio(actor, ctx):
    return actions.update_studio(actor, ctx.a.studio, name="Alpha Central")


@register(allowed=OWNER)
def update_studio_outside_staff_scope(actor, ctx):
    return actions.update_studio(actor, ctx.a.other_studio, name="Alpha Loft")


@register(allowed=MANAGERS)
def set_opening_hours(actor, ctx):
    return actions.set_opening_hours(actor, ctx.a.studio, hours={0: ["07:00", "20:00"]})


@register(allowed=MANAGERS)
def set_special_hours(actor, ctx):
    return actions.set_special_hours(actor, ctx.a.studio, date=NEXT_MONDAY, hours=[])


@register(allowed=MANAGERS)
def add_closure(actor, ctx):
    return actions.add_closure(actor, ctx.a.studio, date=NEXT_MONDAY, reason="Works")


@register(allowed=MANAGERS, setup=a_closure)
def remove_closure(actor, ctx):
    return actions.remove_closure(actor, ctx.closure)


@register(allowed=MANAGERS)
def update_policy(actor, ctx):
    return actions.update_policy(actor, ctx.a.studio, booking_window_days=30)


@register(allowed=MANAGERS)
def create_room(actor, ctx):
    return actions.create_room(actor, ctx.a.studio, name="Tower Room", capacity=4)


@register(allowed=MANAGERS)
def update_room(actor, ctx):
    return actions.update_room(actor, ctx.a.room, name="Big Room")


@register(allowed=MANAGERS, setup=an_empty_room)
def add_spot(actor, ctx):
    return actions.add_spot(actor, ctx.room, label="Chair", column=0, row=0)


@register(allowed=MANAGERS)
def update_spot(actor, ctx):
    return actions.update_spot(actor, ctx.a.spots[0], label="Reformer A")


@register(allowed=MANAGERS)
def deactivate_spot(actor, ctx):
    return actions.deactivate_spot(actor, ctx.a.spots[0])


@register(allowed=MANAGERS)
def set_spot_layout(actor, ctx):
    return actions.set_spot_layout(
        actor, ctx.a.room, spots=[{"label": "Reformer 1", "column": 0, "row": 0}]
    )


# ---------------------------------------------------------------------------------- queries


@register(allowed=ALL_ROLES, other_tenant=OWN, kind=QUERY)
def studios_for(actor, ctx):
    return list(queries.studios_for(actor))


@register(allowed=ALL_ROLES, kind=QUERY)
def get_studio(actor, ctx):
    return queries.get_studio(actor, ctx.a.studio.pk)


@register(allowed=CLIENT_AND_OWNER, kind=QUERY)
def get_studio_outside_staff_scope(actor, ctx):
    return queries.get_studio(actor, ctx.a.other_studio.pk)
