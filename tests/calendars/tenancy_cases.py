"""Calendar feed rows of the tenancy matrix (tests/tenancy.py)."""

from __future__ import annotations

from reformer.calendars import actions, queries
from tests import tenancy


@tenancy.register(
    allowed=tenancy.MANAGERS,
    setup=lambda world: {"feed": actions.create_feed(world.a.client)},
)
def revoke_member_feed(actor, ctx):
    return actions.revoke_member_feed(actor, ctx.feed.pk)


@tenancy.register(
    allowed=tenancy.MANAGERS,
    other_tenant=tenancy.OWN,
    kind=tenancy.QUERY,
    setup=lambda world: {"feed": actions.create_feed(world.a.client)},
)
def live_calendar_feeds(actor, ctx):
    return list(queries.live_feeds(actor))


@tenancy.register(allowed=tenancy.ALL_ROLES, other_tenant=tenancy.OWN)
def create_own_feed(actor, ctx):
    return actions.create_feed(actor)


@tenancy.register(allowed=tenancy.ALL_ROLES, other_tenant=tenancy.OWN)
def reset_own_feed(actor, ctx):
    return actions.reset_feed(actor)


@tenancy.register(allowed=tenancy.ALL_ROLES, other_tenant=tenancy.OWN)
def set_feed_reminders(actor, ctx):
    return actions.set_reminders(actor, "30m")
