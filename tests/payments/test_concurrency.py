"""Races with real threads on PostgreSQL: 50 concurrent deliveries of one event; the
client's return racing the webhook job; the real procrastinate worker applies events."""

from __future__ import annotations

import pytest
from django.test import Client

from reformer.billing.models import ClientPackage, Payment, WebhookEvent
from reformer.bookings.integrity import check_integrity
from reformer.payments.actions import checkout, events
from tests.concurrency.conftest import race, run_worker_once
from tests.payments import helpers

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _jobs(clean_job_tables):
    yield


def test_fifty_concurrent_deliveries_of_one_event_grant_one_package(shop):
    client = shop.tenant.client
    payment, url = helpers.start(shop, client)
    helpers.pay(shop, url)
    (event,) = shop.events_of("checkout.session.completed")
    outcomes = race([lambda: shop.post_event(event, client=Client()) for _ in range(50)])
    assert [o.error for o in outcomes if o.error] == []
    assert {o.value.status_code for o in outcomes} == {200}
    assert sum(not o.value.json()["duplicate"] for o in outcomes) == 1
    assert WebhookEvent.objects.filter(event_id=event["id"]).count() == 1
    run_worker_once()  # the real procrastinate worker runs the one job
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert ClientPackage.objects.filter(client=client).count() == 1
    assert WebhookEvent.objects.get(event_id=event["id"]).processed_at is not None
    assert check_integrity().ok


def test_the_return_racing_the_webhook_grants_once(shop):
    client = shop.tenant.client
    payment, url = helpers.start(shop, client)
    helpers.pay(shop, url)
    (event,) = shop.events_of("checkout.session.completed")
    shop.post_event(event)
    stored = WebhookEvent.objects.get(event_id=event["id"])
    calls = [lambda: checkout.confirm_return(client, Payment.objects.get(pk=payment.pk))] * 10
    calls += [lambda: events.process_event(stored.pk)] * 10
    outcomes = race(calls)
    assert [o.error for o in outcomes if o.error] == []
    assert ClientPackage.objects.filter(client=client).count() == 1
    assert Payment.objects.get(pk=payment.pk).status == "succeeded"
    assert check_integrity().ok


def test_concurrent_deliveries_of_a_renewal_create_one_payment(shop):
    from tests.payments.conftest import deliver_all, process_events

    client = shop.tenant.client
    _, url = helpers.start(shop, client, product=shop.membership_product)
    helpers.pay(shop, url)
    deliver_all(shop)
    process_events()
    subscription_id = Payment.objects.get(client=client).subscription.provider_id
    invoice = shop.fake.renew(subscription_id)
    (paid,) = [
        e for e in shop.events_of("invoice.paid") if e["data"]["object"]["id"] == invoice["id"]
    ]
    # The same invoice told twice under two event ids (Stripe retries may do this too).
    twin = {**paid, "id": paid["id"] + "b"}
    shop.post_event(paid)
    shop.post_event(twin)
    pks = list(WebhookEvent.objects.filter(processed_at__isnull=True).values_list("pk", flat=True))
    outcomes = race([lambda pk=pk: events.process_event(pk) for pk in pks for _ in range(5)])
    assert [o.error for o in outcomes if o.error] == []
    assert Payment.objects.filter(provider_id=invoice["id"]).count() == 1
    assert ClientPackage.objects.filter(client=client).count() == 2
    assert check_integrity().ok


def test_concurrent_refunds_never_give_back_more_than_was_paid(world):
    from decimal import Decimal

    from reformer.core.errors import DomainError
    from reformer.payments.actions import desk, refunds
    from tests import factories

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
    outcomes = race(
        [
            lambda: refunds.refund_payment(
                world.a.owner, Payment.objects.get(pk=payment.pk), amount="60.00", credits=6
            )
            for _ in range(8)
        ]
    )
    done = [o for o in outcomes if o.error is None]
    refused = [o for o in outcomes if o.error is not None]
    assert len(done) == 1
    assert all(isinstance(o.error, DomainError) for o in refused), refused
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("60.00")
    assert ClientPackage.objects.get(pk=payment.client_package_id).credits_remaining == 4
    assert check_integrity().ok
