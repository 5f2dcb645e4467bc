"""check_ledger's money checks: each paid package granted once, refunds' credits removed
once, payments reconcile with packages; each kind of corruption is caught."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from reformer.billing.models import ClientPackage, CreditLedger, Payment
from reformer.bookings.integrity import check_integrity
from reformer.payments.actions import desk, refunds
from reformer.payments.models import Refund
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def sale(world):
    product = factories.PackageProductFactory(
        organization=world.a.organization, credits=10, price=Decimal("100.00")
    )
    payment = desk.sell_at_desk(
        world.a.owner,
        client=world.a.client,
        product=product,
        studio=world.a.studio,
        method="cash",
    )
    refunds.refund_payment(world.a.owner, payment, amount="30.00", credits=3)
    payment.refresh_from_db()
    return payment


def problems() -> list[str]:
    return check_integrity().problems


def test_clean_data_passes(sale, capsys):
    report = check_integrity()
    assert report.ok and report.payments_checked == 1
    call_command("check_ledger")
    assert "1 payments: no discrepancies" in capsys.readouterr().out


def test_a_paid_payment_without_its_package_is_caught(sale):
    Payment.objects.filter(pk=sale.pk).update(client_package=None)
    found = problems()
    assert any("no package was granted" in p for p in found)
    assert any("package without a payment" in p for p in found)


def test_an_unpaid_payment_holding_a_package_is_caught(sale):
    Payment.objects.filter(pk=sale.pk).update(status="failed")
    assert any("failed but holds package" in p for p in problems())


def test_refunds_that_do_not_add_up_are_caught(sale):
    Payment.objects.filter(pk=sale.pk).update(amount_refunded=Decimal("20.00"))
    assert any("refunds add up to 30.00 but 20.00" in p for p in problems())


def test_refund_credits_removed_twice_or_not_at_all_are_caught(sale):
    package = ClientPackage.objects.get(pk=sale.client_package_id)
    CreditLedger.objects.create(
        organization_id=package.organization_id,
        client_package=package,
        delta=-1,
        reason="refund",
    )
    ClientPackage.objects.filter(pk=package.pk).update(credits_remaining=6)
    found = problems()
    assert any("refunds took back 3 credits, the ledger 4" in p for p in found)
    Refund.objects.filter(payment=sale).update(credits_removed=4)
    assert problems() == []
