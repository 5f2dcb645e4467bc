"""Tenancy matrix rows for webhook endpoints (see tests/tenancy.py)."""

from __future__ import annotations

from reformer.webhooks import actions
from tests.tenancy import OWN, QUERY, register

OWNER = {"owner"}
URL = "https://hooks.example.com/reformer"


def an_endpoint(world) -> dict:
    return {"endpoint": actions.create_endpoint(world.a.owner, url=URL, events=["booking.created"])}


@register(allowed=OWNER, other_tenant=OWN)
def create_webhook_endpoint(actor, ctx):
    return actions.create_endpoint(actor, url=URL, events=["booking.created"])


@register(allowed=OWNER, setup=an_endpoint)
def update_webhook_endpoint(actor, ctx):
    return actions.update_endpoint(actor, ctx.endpoint, url=URL, events=["booking.cancelled"])


@register(allowed=OWNER, setup=an_endpoint)
def delete_webhook_endpoint(actor, ctx):
    return actions.delete_endpoint(actor, ctx.endpoint)


@register(allowed=OWNER, setup=an_endpoint)
def rotate_webhook_secret(actor, ctx):
    return actions.rotate_secret(actor, ctx.endpoint)


@register(allowed=OWNER, setup=an_endpoint)
def send_webhook_test_event(actor, ctx):
    return actions.send_test_event(actor, ctx.endpoint)


@register(allowed=OWNER, kind=QUERY, other_tenant=OWN)
def webhook_endpoints_for(actor, ctx):
    return actions.endpoints_for(actor)
