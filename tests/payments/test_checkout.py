"""PHX-21 checkout scenarios: buy a pack, declines, abandonment, webhook delay and order,
replays; the real stripe client against the fake Stripe."""

from __future__ import annotations

import json

import pytest

from reformer.billing.models import ClientPackage, Payment, WebhookEvent
from reformer.bookings.integrity import check_integrity
from reformer.core.errors import DomainError
from reformer.notifications.models import Message
from reformer.payments.actions import checkout
from reformer.payments.models import StripeCustomer
from tests.payments import helpers
from tests.payments.conftest import deliver_all, process_events

pytestmark = pytest.mark.django_db


@pytest.mark.scenario("PHX-21", "Purchase a class package")
def test_it_sells_a_pack_granted_by_the_webhook(shop):
    client = shop.tenant.client
    payment, url = helpers.start(shop, client)
    assert url.startswith(shop.fake.base_url)
    assert payment.status == "pending" and payment.provider_id.startswith("cs_test")
    redirect, error = helpers.pay(shop, url)
    assert error is None and redirect.endswith(
        f"/shop/return/{payment.pk}/?session_id={payment.provider_id}"
    )
    deliver_all(shop)
    assert process_events() == ["applied"]
    payment.refresh_from_db()
    assert payment.status == "succeeded" and payment.studio == shop.tenant.studio
    package = payment.client_package
    assert package.credits_total == 10 and package.credits_remaining == 10
    assert package.client == client and package.source == "purchase"
    assert payment.receipt_url.startswith(shop.fake.base_url)
    assert payment.payment_intent_id.startswith("pi_")
    assert Message.objects.filter(kind="payment_receipt", recipient=client.user).count() == 1
    customer = StripeCustomer.objects.get(client=client)
    assert customer.default_payment_method.startswith("pm_") and "4242" in customer.card_label
    assert check_integrity().ok


def test_the_return_grants_first_and_the_webhook_then_changes_nothing(shop):
    client = shop.tenant.client
    payment, url = helpers.start(shop, client)
    helpers.pay(shop, url)
    checkout.confirm_return(client, payment)
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    deliver_all(shop)
    process_events()
    assert ClientPackage.objects.filter(client=client).count() == 1
    assert Message.objects.filter(kind="payment_receipt").count() == 1


def test_the_return_before_payment_is_confirmed_waits(shop):
    client = shop.tenant.client
    payment, _ = helpers.start(shop, client)
    checkout.confirm_return(client, payment)
    payment.refresh_from_db()
    assert payment.status == "pending"
    assert not ClientPackage.objects.filter(client=client).exists()


def test_each_event_replayed_ten_times_has_one_effect(shop):
    client = shop.tenant.client
    _payment, url = helpers.start(shop, client)
    helpers.pay(shop, url)
    (event,) = shop.events_of("checkout.session.completed")
    statuses = [shop.post_event(event).status_code for _ in range(10)]
    assert statuses == [200] * 10
    assert WebhookEvent.objects.filter(event_id=event["id"]).count() == 1
    process_events()
    assert ClientPackage.objects.filter(client=client).count() == 1
    # An async-payment success about the same session later changes nothing either.
    late = {**event, "id": event["id"] + "x", "type": "checkout.session.async_payment_succeeded"}
    shop.post_event(late)
    process_events()
    assert ClientPackage.objects.filter(client=client).count() == 1


@pytest.mark.scenario("PHX-21", "Handle failed payment")
def test_a_declined_card_grants_nothing_and_says_what_to_do(shop):
    client = shop.tenant.client
    payment, url = helpers.start(shop, client)
    redirect, error = helpers.pay(shop, url, card="4000 0000 0000 0002")
    assert redirect is None and error == "Your card was declined."
    checkout.abandon_checkout(client, payment)  # the client pressed "Back"
    payment.refresh_from_db()
    assert payment.status == "failed"
    assert payment.failure_reason.startswith("Your card was declined.")
    assert "different card" in payment.failure_reason
    assert not ClientPackage.objects.filter(client=client).exists()
    # The session is closed at Stripe: it can no longer be paid.
    assert helpers.pay(shop, url)[1] == "This checkout session is no longer open."
    deliver_all(shop)
    process_events()
    payment.refresh_from_db()
    assert payment.status == "failed"


def test_an_abandoned_checkout_says_nothing_was_charged(shop):
    client = shop.tenant.client
    payment, _ = helpers.start(shop, client)
    checkout.abandon_checkout(client, payment)
    payment.refresh_from_db()
    assert payment.status == "cancelled" and payment.failure_reason == checkout.ABANDONED


def test_an_expired_session_event_cancels_the_pending_payment(shop):
    client = shop.tenant.client
    payment, _ = helpers.start(shop, client)
    session = shop.fake.find(payment.provider_id)[1]
    shop.post_event(
        {
            "id": "evt_expired_1",
            "type": "checkout.session.expired",
            "data": {"object": {**session, "status": "expired"}},
        }
    )
    process_events()
    payment.refresh_from_db()
    assert payment.status == "cancelled"


def test_async_payment_failure_grants_nothing(shop):
    client = shop.tenant.client
    payment, _ = helpers.start(shop, client)
    session = shop.fake.find(payment.provider_id)[1]
    shop.post_event(
        {
            "id": "evt_async_fail",
            "type": "checkout.session.async_payment_failed",
            "data": {"object": session},
        }
    )
    process_events()
    payment.refresh_from_db()
    assert payment.status == "failed" and "bank did not confirm" in payment.failure_reason


def test_a_bad_signature_gets_400_and_changes_nothing(shop, other_shop):
    event = {
        "id": "evt_forged",
        "type": "checkout.session.completed",
        "data": {"object": {"id": "cs_x", "mode": "payment"}},
    }
    assert shop.post_event(event, secret="whsec_wrongwrongwrong").status_code == 400
    # The other organization's secret is just as wrong here.
    assert shop.post_event(event, secret="whsec_betaSecretBBBB").status_code == 400
    response = shop.post_event(event)
    assert response.status_code == 200
    from django.test import Client

    unsigned = Client().post(
        shop.webhook_url(), data=json.dumps(event), content_type="application/json"
    )
    assert unsigned.status_code == 400
    assert (
        Client()
        .post("/webhooks/stripe/nope/", data="{}", content_type="application/json")
        .status_code
        == 404
    )
    assert WebhookEvent.objects.count() == 1


def test_garbage_with_a_good_signature_is_refused(shop):
    from django.test import Client

    from reformer.integrations.stripe.signing import sign

    payload = "not json"
    response = Client().post(
        shop.webhook_url(),
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, "whsec_alphaSecretAAAA"),
    )
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("token", ["alpha", "nope"])
def test_bytes_that_are_not_utf8_get_400_before_anything_else(shop, token):
    """stripe's verify_header decodes the payload: other bytes were a UnicodeDecodeError
    (500). They are refused first, whatever the endpoint or signature."""
    from django.test import Client

    from reformer.integrations.stripe.signing import sign

    url = shop.webhook_url() if token == "alpha" else "/webhooks/stripe/nope/"
    response = Client().post(
        url,
        data=b"\xff\xfe{\x80}",
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign("{}", "whsec_alphaSecretAAAA"),
    )
    assert response.status_code == 400
    assert "UTF-8" in response.json()["error"]
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize(
    "kind", ["invoice.paid", "invoice.payment_failed", "checkout.session.completed"]
)
@pytest.mark.parametrize("obj", ["in_123", ["in_123"], {"id": 5}])
def test_a_signed_event_without_an_object_is_recorded_as_ignored_not_a_crash(shop, kind, obj):
    assert (
        shop.post_event({"id": "evt_odd", "type": kind, "data": {"object": obj}}).status_code == 200
    )
    assert process_events() == ["malformed"]
    stored = WebhookEvent.objects.get(event_id="evt_odd")
    assert stored.processed_at is not None and "not a Stripe object" in stored.error


def test_an_invoice_with_odd_nested_fields_is_not_ours_and_does_not_crash(shop):
    invoice = {"id": "in_odd", "parent": "sub_x", "subscription": ["sub_x"]}
    shop.post_event({"id": "evt_odd_nested", "type": "invoice.paid", "data": {"object": invoice}})
    assert process_events() == ["applied"]
    assert WebhookEvent.objects.get(event_id="evt_odd_nested").error == ""


def test_unknown_events_are_stored_and_ignored(shop):
    shop.post_event({"id": "evt_unknown", "type": "balance.available", "data": {"object": {}}})
    assert process_events() == ["ignored"]
    assert WebhookEvent.objects.get(event_id="evt_unknown").processed_at is not None


def test_one_organizations_events_never_touch_anothers_payments(shop, other_shop):
    client = shop.tenant.client
    payment, url = helpers.start(shop, client)
    helpers.pay(shop, url)
    (event,) = shop.events_of("checkout.session.completed")
    # Beta posts alpha's event (same ids, metadata naming alpha's payment) to beta's URL,
    # signed with beta's secret: stored for beta, but it finds no payment of beta's.
    assert other_shop.post_event(event).status_code == 200
    process_events()
    payment.refresh_from_db()
    assert payment.status == "pending"
    # The same event id still reaches alpha's endpoint and is applied there.
    assert shop.post_event(event).status_code == 200
    process_events()
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert WebhookEvent.objects.filter(event_id=event["id"]).count() == 2


def test_without_stripe_the_shop_sends_clients_to_the_desk(world, fake_stripe):
    from decimal import Decimal

    from tests import factories

    product = factories.PackageProductFactory(
        organization=world.a.organization, price=Decimal("50")
    )
    with pytest.raises(DomainError) as refused:
        checkout.start_checkout(
            world.a.client,
            product=product,
            studio=world.a.studio,
            return_url=helpers.RETURN,
            cancel_url=helpers.CANCEL,
        )
    assert refused.value.code == "payments.not_online"
    assert not Payment.objects.exists()


def test_staff_and_outsiders_cannot_buy_for_themselves(shop, world):
    for actor in (world.a.front_desk, world.b.client):
        with pytest.raises(DomainError) as refused:
            helpers.start(shop, actor)
        assert refused.value.code in ("permission_denied", "not_found")


def test_checkouts_are_rate_limited_per_client(shop):
    client = shop.tenant.client
    for _ in range(checkout.CHECKOUT_LIMIT):
        helpers.start(shop, client)
    with pytest.raises(DomainError) as refused:
        helpers.start(shop, client)
    assert refused.value.code == "payments.too_many_checkouts"
    assert Payment.objects.filter(client=client).count() == checkout.CHECKOUT_LIMIT
