"""Tenancy matrix rows for staff alerts (see tests/tenancy.py)."""

from __future__ import annotations

from reformer.core import alerts
from reformer.core.queries import open_alerts
from tests.tenancy import OWN, QUERY, register

DESK_AND_MANAGERS = frozenset({"owner", "manager", "front_desk"})


def an_alert(world) -> dict:
    alert = alerts.raise_alert(
        alerts.CLIENT_SUSPENDED,
        "A client missed 3 classes.",
        organization_id=world.a.organization.pk,
        studio_id=world.a.studio.pk,
        data={"client": world.a.client.pk},
    )
    return {"alert": alert}


@register(allowed=DESK_AND_MANAGERS, setup=an_alert)
def resolve_alert(actor, ctx):
    return alerts.resolve_alert(actor, ctx.alert.pk)


@register(allowed=DESK_AND_MANAGERS, setup=an_alert, kind=QUERY, other_tenant=OWN)
def list_open_alerts(actor, ctx):
    return list(open_alerts(actor))
