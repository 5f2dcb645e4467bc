"""Memberships as Stripe subscriptions: subscribe, renewals (one package per paid
invoice), failed renewal -> grace -> suspension, cancel at period end, portal, pause."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from reformer.billing.models import ClientPackage, Payment, Subscription
from reformer.bookings.integrity import check_integrity
from reformer.core.errors import DomainError
from reformer.core.models import AdminAlert
from reformer.notifications.models import Message
from reformer.payments.actions import subscriptions
from tests.payments import helpers
from tests.payments.conftest import SECRET_KEYS, deliver_all, process_events

pytestmark = pytest.mark.django_db

ORDERS = {
    "as sent": None,
    "invoice before subscription": (
        "invoice.paid",
        "checkout.session.completed",
        "customer.subscription.created",
    ),
    "checkout first": (
        "checkout.session.completed",
        "invoice.paid",
        "customer.subscription.created",
    ),
}


def subscribe(shop, client=None):
    client = client or shop.tenant.client
    payment, url = helpers.start(shop, client, product=shop.membership_product)
    assert helpers.pay(shop, url)[1] is None
    return client, payment


def deliver_in_order(shop, order):
    if order is None:
        deliver_all(shop)
    else:
        for kind in order:
            deliver_all(shop, (kind,))
    process_events()


@pytest.mark.scenario("PHX-21", "Subscribe to monthly membership")
@pytest.mark.parametrize("order", ORDERS.values(), ids=ORDERS.keys())
def test_subscribing_activates_and_grants_the_month_in_any_event_order(shop, order):
    client, payment = subscribe(shop)
    deliver_in_order(shop, order)
    subscription = Subscription.objects.get(client=client)
    assert subscription.status == "active" and subscription.provider_id.startswith("sub_")
    payment.refresh_from_db()
    assert payment.status == "succeeded" and payment.kind == "membership"
    assert payment.provider_id.startswith("in_") and payment.subscription == subscription
    package = payment.client_package
    assert package.is_unlimited and package.source == "subscription"
    assert package.expires_at == subscription.current_period_end
    assert ClientPackage.objects.filter(client=client).count() == 1
    # Each webhook replayed ten times changes nothing.
    for _ in range(10):
        deliver_all(shop)
    process_events()
    assert ClientPackage.objects.filter(client=client).count() == 1
    assert check_integrity().ok


def test_each_paid_renewal_starts_a_new_period_package_once(shop):
    client, _ = subscribe(shop)
    deliver_all(shop)
    process_events()
    subscription = Subscription.objects.get(client=client)
    first_end = subscription.current_period_end
    invoice = shop.fake.renew(subscription.provider_id)
    for _ in range(10):
        deliver_all(shop)
    process_events()
    packages = ClientPackage.objects.filter(client=client).order_by("starts_at")
    assert packages.count() == 2
    assert packages[1].starts_at == first_end
    renewal = Payment.objects.get(provider_id=invoice["id"])
    assert renewal.status == "succeeded" and renewal.studio == shop.tenant.studio
    subscription.refresh_from_db()
    assert subscription.current_period_end == packages[1].expires_at


@pytest.mark.scenario("PHX-21", "Handle subscription renewal failure")
def test_a_failed_renewal_gives_grace_then_suspends_booking(shop, world):
    client, _ = subscribe(shop)
    deliver_all(shop)
    process_events()
    subscription = Subscription.objects.get(client=client)
    package = ClientPackage.objects.get(client=client)
    invoice = shop.fake.renew(subscription.provider_id, succeed=False)
    deliver_all(shop)
    process_events()
    subscription.refresh_from_db()
    assert subscription.status == "past_due"
    grace = subscription.grace_until
    assert grace - timezone.now() > dt.timedelta(days=6, hours=23)
    package.refresh_from_db()
    assert package.expires_at >= grace  # the current month's credits stay usable
    told = Message.objects.filter(kind__in=["renewal_failed", "renewal_failed_staff"])
    assert {m.recipient for m in told} == {client.user, world.a.owner.user, world.a.manager.user}
    alert = AdminAlert.objects.get(code="payments.renewal_failed")
    assert alert.organization_id == world.a.organization.pk
    from django.urls import reverse

    from reformer.web.staff.alerts import describe

    assert describe(alert).action_url == reverse("payments:client", args=[client.pk])
    # Replays of the failure tell no one twice.
    deliver_all(shop, ("invoice.payment_failed",))
    process_events()
    assert told.count() == 3
    assert subscriptions.end_overdue_grace(now=grace - dt.timedelta(minutes=1)) == 0
    assert subscriptions.end_overdue_grace(now=grace + dt.timedelta(seconds=1)) == 1
    subscription.refresh_from_db()
    package.refresh_from_db()
    assert subscription.status == "suspended"
    assert package.expires_at <= grace + dt.timedelta(seconds=1)
    remote = shop.fake.accounts[SECRET_KEYS["alpha"]].objects[subscription.provider_id]
    assert remote["status"] == "canceled"
    assert invoice["status"] == "open"
    assert check_integrity().ok


def test_paying_during_grace_restores_the_membership(shop):
    client, _ = subscribe(shop)
    deliver_all(shop)
    process_events()
    subscription = Subscription.objects.get(client=client)
    shop.fake.renew(subscription.provider_id, succeed=False)
    shop.fake.renew(subscription.provider_id, succeed=True)  # card updated, retried
    deliver_all(shop)
    process_events()
    subscription.refresh_from_db()
    assert subscription.status == "active" and subscription.grace_until is None


def test_the_client_cancels_at_period_end(shop):
    client, _ = subscribe(shop)
    deliver_all(shop)
    process_events()
    subscription = Subscription.objects.get(client=client)
    subscriptions.cancel_subscription(client, subscription)
    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end and subscription.status == "active"
    remote = shop.fake.accounts[SECRET_KEYS["alpha"]].objects[subscription.provider_id]
    assert remote["cancel_at_period_end"] is True
    assert ClientPackage.objects.get(client=client).expires_at == subscription.current_period_end


def test_the_customer_portal_cancels_through_stripe(shop):
    client, _ = subscribe(shop)
    deliver_all(shop)
    process_events()
    url = subscriptions.portal_url(client, return_url="http://testserver/payments/")
    assert url.startswith(shop.fake.base_url + "/portal/")
    shop.fake.portal_cancel(url.rsplit("/", 1)[1])
    deliver_all(shop, ("customer.subscription.updated",))
    process_events()
    assert Subscription.objects.get(client=client).cancel_at_period_end


def test_staff_pause_and_resume_but_front_desk_may_not(shop, world):
    client, _ = subscribe(shop)
    deliver_all(shop)
    process_events()
    subscription = Subscription.objects.get(client=client)
    with pytest.raises(DomainError) as refused:
        subscriptions.pause_subscription(world.a.front_desk, subscription, paused=True)
    assert refused.value.code == "permission_denied"
    with pytest.raises(DomainError) as refused:
        subscriptions.pause_subscription(world.b.owner, subscription, paused=True)
    assert refused.value.code == "not_found"
    subscriptions.pause_subscription(world.a.manager, subscription, paused=True)
    assert Subscription.objects.get(pk=subscription.pk).status == "paused"
    deliver_all(shop, ("customer.subscription.updated",))
    process_events()
    assert Subscription.objects.get(pk=subscription.pk).status == "paused"
    subscriptions.pause_subscription(world.a.owner, subscription, paused=False)
    assert Subscription.objects.get(pk=subscription.pk).status == "active"


def test_one_active_membership_of_a_kind_at_a_time(shop):
    client, _ = subscribe(shop)
    deliver_all(shop)
    process_events()
    with pytest.raises(DomainError) as refused:
        helpers.start(shop, client, product=shop.membership_product)
    assert refused.value.code == "payments.already_subscribed"
