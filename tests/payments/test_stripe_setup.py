"""A first Stripe connection in two steps, as an owner does it: save the secret key, then
add the webhook URL the page shows in Stripe and save its signing secret. Nothing is sold
online in between (webhooks could not be verified), and the page says so."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from reformer.core.errors import DomainError
from reformer.integrations.stripe.signing import sign
from reformer.payments.actions import checkout
from reformer.payments.models import StripeAccount
from tests import factories

pytestmark = pytest.mark.django_db

KEY, WHSEC = "sk_test_firstTimeKEY00001234", "whsec_firstTimeSecret5678"


def test_a_first_connection_saves_the_key_then_shows_the_webhook_url_then_goes_live(
    client, world, fake_stripe
):
    fake_stripe.add_account(KEY, webhook_secret=WHSEC, name="Alpha Pilates")
    product = factories.PackageProductFactory(organization=world.a.organization, name="Five pack")
    url = reverse("payments:settings")
    client.force_login(world.a.owner.user)
    before = client.get(url).content.decode()
    assert "Save your Stripe secret key" in before

    # Step 1: the secret key alone is accepted (validated with Stripe as always).
    page = client.post(url, {"secret_key": KEY, "webhook_secret": ""}, follow=True)
    html = page.content.decode()
    account = StripeAccount.objects.get()
    assert not account.webhooks_ready
    assert "Secret key saved. Next: add the webhook URL shown on this page" in html
    assert f"/webhooks/stripe/{account.webhook_token}/" in html
    assert "Not live yet: clients cannot pay online" in html
    assert "invoice.paid" in html and "Not saved yet" in html
    assert "Save the webhook signing secret" in html

    # In between, clients are not offered checkout, and nothing can start one.
    shopper = Client()
    shopper.force_login(world.a.client.user)
    shop = shopper.get(reverse("payments:shop")).content
    assert b"takes payment at the front desk" in shop
    assert b"<button" not in shop.split(b"Five pack")[1][:400]
    with pytest.raises(DomainError, match="does not take payments online yet"):
        checkout.start_checkout(
            world.a.client, product=product, studio=world.a.studio, return_url="", cancel_url=""
        )
    # A delivery to the endpoint cannot be verified yet: refused, nothing stored.
    payload = json.dumps({"id": "evt_1", "type": "invoice.paid", "data": {"object": {}}})
    refused = Client().post(
        reverse("payments:stripe_webhook", args=[account.webhook_token]),
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, WHSEC),
    )
    assert refused.status_code == 400

    # Step 2: the signing secret alone (the saved key is kept).
    page = client.post(url, {"secret_key": "", "webhook_secret": WHSEC}, follow=True)
    html = page.content.decode()
    account.refresh_from_db()
    assert account.webhooks_ready and account.secret_key_last4 == "1234"
    assert "Clients can now pay online" in html and "Not live yet" not in html
    shop = shopper.get(reverse("payments:shop")).content
    assert b"takes payment at the front desk" not in shop
    assert b"Buy<span" in shop.split(b"Five pack")[1][:800]


def test_without_any_account_the_key_is_still_required(client, world, fake_stripe):
    client.force_login(world.a.owner.user)
    page = client.post(reverse("payments:settings"), {"secret_key": "", "webhook_secret": ""})
    assert page.status_code == 422
    assert not StripeAccount.objects.exists()
