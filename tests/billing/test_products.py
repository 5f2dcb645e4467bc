"""Package product actions (billing/products.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reformer.billing.models import PackageProduct
from reformer.billing.products import (
    create_package_product,
    set_package_product_active,
    update_package_product,
)
from reformer.core.errors import DomainError, NotFound, PermissionDenied
from tests import factories

pytestmark = pytest.mark.django_db

PACK = {
    "name": "10-Class Pack",
    "kind": "class_pack",
    "credits": 10,
    "validity_days": 90,
    "price": "250",
}


def test_it_creates_a_class_pack(world):
    product = create_package_product(world.a.owner, **PACK, currency="eur")
    assert (product.price, product.currency, product.organization) == (
        Decimal("250.00"),
        "EUR",
        world.a.organization,
    )


def test_it_drops_credits_of_an_unlimited_product(world):
    product = create_package_product(world.a.owner, **{**PACK, "kind": "unlimited"})
    assert product.credits is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": " "}, "name"),
        ({"kind": "gift"}, "kind"),
        ({"credits": 0}, "credits"),
        ({"validity_days": 0}, "validity_days"),
        ({"price": "-1"}, "price"),
        ({"price": "abc"}, "price"),
        ({"currency": "dollars"}, "currency"),
        ({"weekly_limit": 0}, "weekly_limit"),
    ],
)
def test_it_refuses_invalid_input(world, change, field):
    with pytest.raises(DomainError) as error:
        create_package_product(world.a.owner, **{**PACK, **change})
    assert error.value.data["field"] == field
    assert not PackageProduct.objects.exists()


def test_it_refuses_a_second_product_of_the_same_name(world):
    create_package_product(world.a.owner, **PACK)
    with pytest.raises(DomainError):
        create_package_product(world.a.owner, **{**PACK, "name": "10-class pack"})
    create_package_product(world.b.owner, **PACK)  # another organization may


def test_it_is_for_owners_only(world):
    with pytest.raises(PermissionDenied):
        create_package_product(world.a.manager, **PACK)


def test_it_updates_and_withdraws_only_its_own_products(world):
    product = factories.PackageProductFactory(organization=world.a.organization)
    update_package_product(world.a.owner, product, **{**PACK, "price": "199.5"})
    product.refresh_from_db()
    assert product.price == Decimal("199.50")
    set_package_product_active(world.a.owner, product, active=False)
    product.refresh_from_db()
    assert not product.active
    with pytest.raises(NotFound):
        set_package_product_active(world.b.owner, product, active=True)


def test_a_membership_with_empty_credits_is_unlimited_and_books_without_spending(world):
    """The form says "leave empty for unlimited": an unlimited membership is stored as the
    Unlimited kind (no credits), which booking spends nothing from; a class pack still
    needs credits."""
    from reformer.billing.actions import grant_package
    from reformer.bookings import actions
    from tests.bookings.helpers import make_client

    product = create_package_product(
        world.a.owner, **{**PACK, "kind": "membership", "credits": None}
    )
    assert (product.kind, product.credits) == ("unlimited", None)
    with pytest.raises(DomainError) as refused:
        create_package_product(world.a.owner, **{**PACK, "name": "Pack", "credits": None})
    assert refused.value.message == "A class pack needs at least 1 credit."
    client = make_client(world.a, "Una")
    package = grant_package(world.a.owner, client=client, product=product)
    assert package.is_unlimited
    booking = actions.book_session(
        world.a.front_desk, factories.make_session(world.a), client=client
    )
    package.refresh_from_db()
    assert booking.client_package_id == package.pk and package.credits_remaining is None
