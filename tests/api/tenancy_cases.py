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
