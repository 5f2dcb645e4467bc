"""Tenancy matrix rows for billing actions (see tests/tenancy.py)."""

from __future__ import annotations

from reformer.billing.actions import grant_package as grant
from tests import factories
from tests.tenancy import MANAGERS, register


def a_product(world) -> dict:
    return {"product": factories.PackageProductFactory(organization=world.a.organization)}


@register(allowed=MANAGERS, setup=a_product)
def grant_package(actor, ctx):
    return grant(actor, client=ctx.a.client, product=ctx.product, note="Welcome gift")
