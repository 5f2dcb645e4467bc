"""Tenancy matrix rows for payment actions and queries (see tests/tenancy.py). Actions that
call Stripe are covered by their own tests against the fake (test_checkout, ...)."""

from __future__ import annotations

from decimal import Decimal

from reformer.payments import queries
from reformer.payments.actions import accounts, desk, refunds
from tests import factories
from tests.tenancy import ALL_ROLES, MANAGERS, OWN, QUERY, register

DESK = frozenset({"owner", "manager", "front_desk"})


def a_product(world) -> dict:
    return {
        "product": factories.PackageProductFactory(
            organization=world.a.organization, credits=5, price=Decimal("60.00")
        )
    }


def a_desk_sale(world) -> dict:
    made = a_product(world)
    made["payment"] = desk.sell_at_desk(
        world.a.owner,
        client=world.a.client,
        product=made["product"],
        studio=world.a.studio,
        method="cash",
    )
    return made


@register(allowed=DESK, setup=a_product)
def sell_at_desk(actor, ctx):
    return desk.sell_at_desk(
        actor, client=ctx.a.client, product=ctx.product, studio=ctx.a.studio, method="terminal"
    )


@register(allowed=MANAGERS, setup=a_desk_sale)
def refund_payment(actor, ctx):
    return refunds.refund_payment(actor, ctx.payment, amount="20.00", credits=1)


@register(allowed=frozenset({"owner"}))
def set_fee_policy(actor, ctx):
    return accounts.set_fee_policy(
        actor, ctx.a.studio, late_cancel_fee="12.00", no_show_fee="15.00"
    )


@register(allowed=DESK, setup=a_desk_sale, other_tenant=OWN, kind=QUERY)
def studio_payments(actor, ctx):
    return list(queries.studio_payments(actor))


@register(allowed=DESK, setup=a_desk_sale, kind=QUERY)
def client_payments(actor, ctx):
    return list(queries.client_payments(actor, ctx.a.client))


@register(allowed=DESK, setup=a_desk_sale, kind=QUERY)
def appointment_fees(actor, ctx):
    return queries.appointment_fees(actor, ctx.a.client)


@register(allowed=DESK | {"client"}, setup=a_desk_sale, kind=QUERY)
def payment_for(actor, ctx):
    # The client it belongs to may see it; so may the desk: everyone else is refused.
    return queries.payment_for(actor, ctx.payment.pk)


@register(allowed=frozenset({"client"}), setup=a_desk_sale, other_tenant=OWN, kind=QUERY)
def my_payments(actor, ctx):
    return list(queries.my_payments(actor))


assert ALL_ROLES
