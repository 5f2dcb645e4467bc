from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from reformer.billing.actions import grant_package, return_credit, spend_credit
from reformer.billing.models import ClientPackage, CreditLedger
from reformer.core.errors import DomainError, NotFound, PermissionDenied
from reformer.core.models import AuditEvent
from reformer.notifications.models import Message
from tests import factories
from tests.bookings import helpers
from tests.bookings.helpers import text


@pytest.fixture
def tenant(world):
    return world.a


@pytest.fixture
def product(tenant):
    return factories.PackageProductFactory(
        organization=tenant.organization, name="Intro 5", credits=5, validity_days=30
    )


def test_it_grants_a_package_from_the_product(tenant, product):
    package = grant_package(tenant.manager, client=tenant.client, product=product, note="Welcome")
    assert package.source == ClientPackage.Source.STAFF_GRANT
    assert (package.credits_total, package.credits_remaining) == (5, 5)
    assert package.expires_at - package.starts_at == dt.timedelta(days=30)
    assert AuditEvent.objects.filter(code="billing.package.granted", subject_id=package.pk).exists()
    message = Message.objects.get(idempotency_key=f"package-granted:{package.pk}")
    assert "Intro 5" in text(message) and "Welcome" in text(message)
    assert not CreditLedger.objects.exists()  # the ledger records spends and returns
    helpers.assert_consistent()


def test_it_grants_custom_credits_and_expiry(tenant, product):
    expires = timezone.now() + dt.timedelta(days=3)
    package = grant_package(
        tenant.owner, client=tenant.client, product=product, credits=2, expires_at=expires
    )
    assert (package.credits_total, package.expires_at) == (2, expires)


def test_it_grants_an_unlimited_package_without_credits(tenant):
    unlimited = factories.PackageProductFactory(
        organization=tenant.organization, kind="unlimited", credits=None
    )
    package = grant_package(tenant.owner, client=tenant.client, product=unlimited)
    assert package.is_unlimited
    with pytest.raises(DomainError) as caught:
        grant_package(tenant.owner, client=tenant.client, product=unlimited, credits=3)
    assert caught.value.data["field"] == "credits"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"credits": 0}, "credits"),
        ({"expires_at": timezone.now() - dt.timedelta(days=1)}, "expires_at"),
    ],
)
def test_it_validates_the_grant(tenant, product, kwargs, field):
    with pytest.raises(DomainError) as caught:
        grant_package(tenant.owner, client=tenant.client, product=product, **kwargs)
    assert (caught.value.code, caught.value.data["field"]) == ("validation", field)


def test_it_grants_only_to_clients(tenant, product):
    with pytest.raises(DomainError):
        grant_package(tenant.owner, client=tenant.instructor, product=product)


def test_it_refuses_the_front_desk_and_outsiders(world, tenant, product):
    with pytest.raises(PermissionDenied):
        grant_package(tenant.front_desk, client=tenant.client, product=product)
    with pytest.raises(NotFound):
        grant_package(world.b.owner, client=tenant.client, product=product)
    with pytest.raises(NotFound):
        grant_package(tenant.owner, client=world.b.client, product=product)
    assert not ClientPackage.objects.exists()


def test_spending_is_guarded_and_ledgered(tenant):
    package = helpers.give_package(tenant.client, credits=1)
    now = timezone.now()
    assert spend_credit(package, booking_id=None, reason="booking", actor_user_id=None, now=now)
    assert package.credits_remaining == 0
    assert not spend_credit(package, booking_id=None, reason="booking", actor_user_id=None, now=now)
    assert return_credit(
        package, booking_id=None, reason="staff_adjustment", actor_user_id=None, now=now
    )
    assert list(CreditLedger.objects.values_list("delta", flat=True)) == [-1, 1]
    package.refresh_from_db()
    assert package.credits_remaining == 1


def test_an_expired_package_cannot_pay(tenant):
    package = helpers.give_package(
        tenant.client,
        starts_at=timezone.now() - dt.timedelta(days=10),
        expires_at=timezone.now() - dt.timedelta(days=1),
    )
    assert not spend_credit(
        package, booking_id=None, reason="booking", actor_user_id=None, now=timezone.now()
    )
