"""Refunds (full and partial, credits back through the ledger, never below what was used)
and the front desk's point of sale (cash, terminal, complimentary) with a receipt."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reformer.billing.models import ClientPackage, CreditLedger, Payment
from reformer.bookings.actions import book_session
from reformer.bookings.integrity import check_integrity
from reformer.core.errors import DomainError
from reformer.notifications.models import Message
from reformer.payments.actions import checkout, desk, refunds
from reformer.payments.models import Refund
from tests import factories
from tests.payments import helpers
from tests.payments.conftest import SECRET_KEYS

pytestmark = pytest.mark.django_db


def bought_online(shop):
    client = shop.tenant.client
    payment, url = helpers.start(shop, client)
    helpers.pay(shop, url)
    checkout.confirm_return(client, payment)
    payment.refresh_from_db()
    return payment


def use_credits(tenant, client, count):
    for _ in range(count):
        book_session(client, session=factories.make_session(tenant))


def test_a_full_refund_goes_through_stripe_and_takes_every_unused_credit(shop, world):
    payment = bought_online(shop)
    refund = refunds.refund_payment(world.a.owner, payment, reason="Moving away")
    payment.refresh_from_db()
    assert payment.status == "refunded" and payment.amount_refunded == Decimal("150.00")
    assert refund.provider_id.startswith("re_") and refund.credits_removed == 10
    intent = shop.fake.accounts[SECRET_KEYS["alpha"]].objects[payment.payment_intent_id]
    assert intent["amount_refunded"] == 15000
    package = payment.client_package
    package.refresh_from_db()
    assert package.credits_remaining == 0
    entry = CreditLedger.objects.get(client_package=package, reason="refund")
    assert entry.delta == -10
    assert Message.objects.filter(kind="payment_refunded").count() == 1
    with pytest.raises(DomainError, match="already fully refunded"):
        refunds.refund_payment(world.a.owner, payment)
    assert check_integrity().ok


def test_a_refund_never_takes_back_credits_already_used(shop, world):
    payment = bought_online(shop)
    use_credits(world.a, world.a.client, 3)
    with pytest.raises(DomainError) as refused:
        refunds.refund_payment(world.a.manager, payment, credits=10)
    assert refused.value.code == "payments.credits_used"
    assert "already used 3 of 10" in refused.value.message
    assert not Refund.objects.exists()
    refund = refunds.refund_payment(world.a.manager, payment)  # full: the 7 unused
    assert refund.credits_removed == 7
    package = ClientPackage.objects.get(pk=payment.client_package_id)
    assert package.credits_remaining == 0 and package.credits_used == 10
    assert check_integrity().ok


def test_partial_refunds_add_up_and_never_exceed_the_payment(shop, world):
    payment = bought_online(shop)
    refunds.refund_payment(world.a.owner, payment, amount="45.00", credits=3)
    payment.refresh_from_db()
    assert payment.status == "succeeded" and payment.amount_refunded == Decimal("45.00")
    assert payment.client_package.credits_remaining == 7
    with pytest.raises(DomainError) as refused:
        refunds.refund_payment(world.a.owner, payment, amount="105.01")
    assert "At most $105.00" in refused.value.message
    refunds.refund_payment(world.a.owner, payment, amount="105.00")
    payment.refresh_from_db()
    assert payment.status == "refunded"
    assert check_integrity().ok


def test_only_owners_and_managers_refund_and_only_their_organization(shop, world):
    payment = bought_online(shop)
    for actor, code in (
        (world.a.front_desk, "permission_denied"),
        (world.a.instructor, "permission_denied"),
        (world.a.client, "permission_denied"),
        (world.b.owner, "not_found"),
    ):
        with pytest.raises(DomainError) as refused:
            refunds.refund_payment(actor, payment)
        assert refused.value.code == code
    payment.refresh_from_db()
    assert payment.amount_refunded == 0


@pytest.mark.parametrize(
    ("method", "amount"),
    [("cash", Decimal("150.00")), ("terminal", Decimal("150.00")), ("complimentary", Decimal("0"))],
)
def test_the_desk_sells_a_package_with_a_receipt(world, method, amount):
    from tests import factories

    product = factories.PackageProductFactory(
        organization=world.a.organization, credits=10, price=Decimal("150.00")
    )
    payment = desk.sell_at_desk(
        world.a.front_desk,
        client=world.a.client,
        product=product,
        studio=world.a.studio,
        method=method,
    )
    assert payment.status == "succeeded" and payment.amount == amount
    assert payment.method == method and payment.provider == "desk"
    assert payment.recorded_by == world.a.front_desk.user
    assert payment.client_package.credits_remaining == 10
    assert Message.objects.filter(kind="payment_receipt", recipient=world.a.client.user).exists()
    assert check_integrity().ok


def test_the_desk_sells_without_stripe_and_refunds_are_recorded(world):
    from tests import factories

    product = factories.PackageProductFactory(
        organization=world.a.organization, credits=5, price=Decimal("80.00")
    )
    payment = desk.sell_at_desk(
        world.a.manager,
        client=world.a.client,
        product=product,
        studio=world.a.studio,
        method="cash",
        amount="70.00",
        note="Loyalty discount",
    )
    refund = refunds.refund_payment(world.a.owner, payment, amount="70.00")
    assert refund.provider_id == "" and refund.credits_removed == 5
    assert Payment.objects.get(pk=payment.pk).status == "refunded"


def test_the_desk_refuses_bad_sales(world):
    from tests import factories

    product = factories.PackageProductFactory(organization=world.a.organization, credits=5)
    other_product = factories.PackageProductFactory(organization=world.b.organization, credits=5)
    cases = [
        ({"method": "bitcoin"}, "validation"),
        ({"amount": "99999"}, "validation"),
        ({"client": world.a.instructor}, "validation"),
        ({"client": world.b.client}, "not_found"),
        ({"product": other_product}, "not_found"),
        ({"studio": world.b.studio}, "not_found"),
        ({"actor": world.a.instructor}, "permission_denied"),
        ({"actor": world.a.client}, "permission_denied"),
        # Front desk of the main studio only: not the annex.
        ({"studio": world.a.other_studio}, "permission_denied"),
    ]
    for changes, code in cases:
        kwargs = {
            "client": world.a.client,
            "product": product,
            "studio": world.a.studio,
            "method": "cash",
            **changes,
        }
        actor = kwargs.pop("actor", world.a.front_desk)
        with pytest.raises(DomainError) as refused:
            desk.sell_at_desk(actor, **kwargs)
        assert refused.value.code == code, changes
    assert not Payment.objects.exists()


def test_a_receipt_queued_outside_a_request_dates_as_the_studio_does(world):
    """Receipts are often queued by the Stripe event job, where no organization is active:
    a US studio's receipt still says "Sat, Dec 5, 2026", not the neutral "Sat 5 Dec 2026"."""
    from reformer.core import timeformat
    from reformer.core.timezones import to_local

    world.a.organization.locale = "en-US"
    world.a.organization.save(update_fields=["locale"])
    product = factories.PackageProductFactory(
        organization=world.a.organization, credits=10, price=Decimal("150.00")
    )
    assert timeformat.current() is timeformat.DEFAULT
    payment = desk.sell_at_desk(
        world.a.front_desk,
        client=world.a.client,
        product=product,
        studio=world.a.studio,
        method="cash",
    )
    receipt = Message.objects.get(kind="payment_receipt", recipient=world.a.client.user)
    us = timeformat.LOCALES["en-US"]
    paid = to_local(payment.paid_at or payment.created_at, world.a.organization.time_zone)
    expected = timeformat.when(paid, "day_year", us)
    assert receipt.context["paid_on"] == expected and ", 20" in expected
