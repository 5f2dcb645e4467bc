"""Tenancy matrix rows for API keys and the API's reads (see tests/tenancy.py)."""

from __future__ import annotations

from reformer.api import keys, queries
from tests.tenancy import ALL_ROLES, QUERY, register

OWNER = {"owner"}
DESK = {"owner", "manager", "front_desk"}


@register(allowed=OWNER, other_tenant="own")
def create_api_key(actor, ctx):
    return keys.create_api_key(actor, name="Website", scopes=["schedule:read"])


@register(
    allowed=OWNER,
    setup=lambda world: {
        "key": keys.create_api_key(world.a.owner, name="Old", scopes=["schedule:read"]).key
    },
)
def revoke_api_key(actor, ctx):
    return keys.revoke_api_key(actor, ctx.key)


@register(allowed=OWNER, kind=QUERY, other_tenant="own")
def api_keys_for(actor, ctx):
    return keys.api_keys_for(actor)


@register(allowed=DESK, kind=QUERY, other_tenant="own")
def api_clients_for(actor, ctx):
    return queries.clients_for(actor)


@register(allowed=ALL_ROLES, kind=QUERY, other_tenant="own")
def api_bookings_for(actor, ctx):
    return queries.bookings_for(actor)


@register(allowed=DESK | {"client"}, kind=QUERY, other_tenant="own")
def api_packages_for(actor, ctx):
    return queries.packages_for(actor)


@register(allowed={"owner", "client"}, kind=QUERY, other_tenant="own")
def api_payments_for(actor, ctx):
    return queries.payments_for(actor)


@register(allowed=ALL_ROLES, kind=QUERY, other_tenant="own")
def api_waitlist_for(actor, ctx):
    return queries.waitlist_for(actor)


@register(allowed=ALL_ROLES, kind=QUERY, other_tenant="own")
def api_appointments_for(actor, ctx):
    from reformer.api import appointment_queries

    return appointment_queries.appointments_for(actor)


@register(allowed=ALL_ROLES, kind=QUERY, other_tenant="own")
def api_appointment_types_for(actor, ctx):
    from reformer.api import appointment_queries

    return appointment_queries.appointment_types_for(actor)


def _an_appointment(world) -> dict:
    from tests.appointments.tenancy_cases import a_place

    return a_place(world)


@register(
    # staff of the studio and the client whose place it is; the instructor teaches it
    allowed={"owner", "manager", "front_desk", "instructor", "client"},
    kind=QUERY,
    setup=_an_appointment,
)
def api_get_appointment(actor, ctx):
    from reformer.api import appointment_queries

    return appointment_queries.get_appointment(actor, ctx.place.appointment_id)
