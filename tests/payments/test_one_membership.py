"""One recurring membership at a time: a client with Unlimited Monthly was sold "8 per
Month" too, and billed for both every month. Any ongoing membership (active, past due,
paused, or cancelled but not yet ended) now refuses a second one with what they have and
how to change; the shop shows that instead of Subscribe; an earlier membership checkout
left open is closed at Stripe before a new one opens."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from reformer.billing.models import Payment, Subscription
from reformer.core.errors import DomainError
from tests import factories
from tests.payments import helpers
from tests.payments.conftest import deliver_all, process_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def eight(shop):
    return factories.PackageProductFactory(
        organization=shop.tenant.organization,
        name="8 per Month",
        kind="membership",
        credits=8,
        price=Decimal("140.00"),
        validity_days=30,
    )


def _active_unlimited(shop):
    client = shop.tenant.client
    _, url = helpers.start(shop, client, product=shop.membership_product)
    assert helpers.pay(shop, url)[1] is None
    deliver_all(shop)
    process_events()
    subscription = Subscription.objects.get(client=client, status="active")
    return client, subscription


def test_a_second_membership_is_refused_and_the_shop_says_why(client, shop, eight):
    member, subscription = _active_unlimited(shop)
    sessions = len(shop.events_of("checkout.session.completed"))
    with pytest.raises(DomainError) as refused:
        helpers.start(shop, member, product=eight)
    assert refused.value.code == "payments.already_subscribed"
    message = refused.value.message
    assert "You already have Unlimited Monthly, renewing on" in message
    assert "cancel it at period end" in message and "ask the studio" in message
    assert not Payment.objects.filter(product=eight).exists()
    assert len(shop.events_of("checkout.session.completed")) == sessions

    client.force_login(member.user)
    page = client.get(reverse("payments:shop")).content.decode()
    assert "You already have Unlimited Monthly, renewing on" in page.split("8 per Month")[0]
    after_eight = page.split("8 per Month")[1][:1200]
    assert "Not while you have Unlimited Monthly" in after_eight
    assert "Subscribe<span" not in after_eight
    mine = page.split('<h2 class="shop-item__name">Unlimited Monthly')[1][:1200]
    assert "Your current membership" in mine and "Subscribe<span" not in mine
    assert "Buy<span" in page.split("10-Class Package")[1][:1200]  # class packs still sell

    # Cancelled at period end: still refused until it ends, saying when.
    Subscription.objects.filter(pk=subscription.pk).update(cancel_at_period_end=True)
    with pytest.raises(DomainError) as refused:
        helpers.start(shop, member, product=eight)
    assert "until" in refused.value.message and "once it has ended" in refused.value.message
    # Past due: refused too (the card needs updating first).
    Subscription.objects.filter(pk=subscription.pk).update(
        status="past_due", grace_until=timezone.now() + dt.timedelta(days=7)
    )
    with pytest.raises(DomainError, match="last payment failed"):
        helpers.start(shop, member, product=eight)
    # Ended: a new membership may start.
    Subscription.objects.filter(pk=subscription.pk).update(status="cancelled")
    payment, _ = helpers.start(shop, member, product=eight)
    assert payment.status == "pending"


def test_a_membership_checkout_left_open_is_closed_before_another_opens(shop, eight):
    member = shop.tenant.client
    first, _ = helpers.start(shop, member, product=shop.membership_product)
    _second, url = helpers.start(shop, member, product=eight)
    first.refresh_from_db()
    assert first.status == "cancelled"
    assert Subscription.objects.get(pk=first.subscription_id).status == "cancelled"
    assert shop.fake.find(first.provider_id)[1]["status"] == "expired"  # cannot be paid
    assert helpers.pay(shop, url)[1] is None
    deliver_all(shop)
    process_events()
    assert list(
        Subscription.objects.filter(client=member, status="active").values_list(
            "product__name", flat=True
        )
    ) == ["8 per Month"]
