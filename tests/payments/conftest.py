"""Payments tests: the real stripe client against the fake Stripe on 127.0.0.1, webhooks
signed with Stripe's scheme and posted to the organization's endpoint."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from reformer.billing.models import WebhookEvent
from reformer.integrations.stripe.fake import FakeStripe
from reformer.integrations.stripe.signing import sign
from reformer.payments.actions import accounts, events
from tests import factories

SECRET_KEYS = {"alpha": "sk_test_alphaAAAAAAAAAAAA1234", "beta": "sk_test_betaBBBBBBBBBBBBB5678"}
WEBHOOK_SECRETS = {"alpha": "whsec_alphaSecretAAAA", "beta": "whsec_betaSecretBBBB"}


@pytest.fixture
def fake_stripe(settings):
    fake = FakeStripe().start()
    settings.STRIPE_API_BASE = fake.base_url
    # The fake's hosted pages stand in for Stripe's: forms may redirect there (CSP form-action).
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"].append(fake.base_url)
    settings.CONTENT_SECURITY_POLICY = policy
    yield fake
    fake.stop()


@dataclass
class Shop:
    """A tenant connected to Stripe, with products to sell."""

    tenant: object
    fake: FakeStripe
    pack: object
    membership_product: object
    slug: str

    @property
    def account(self):
        return self.tenant.organization.stripe_account

    def webhook_url(self) -> str:
        return reverse("payments:stripe_webhook", args=[self.account.webhook_token])

    def post_event(self, event: dict, *, secret: str | None = None, client: Client | None = None):
        payload = json.dumps(event)
        return (client or Client()).post(
            self.webhook_url(),
            data=payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign(payload, secret or WEBHOOK_SECRETS[self.slug]),
        )

    def events_of(self, type: str) -> list[dict]:
        key = SECRET_KEYS[self.slug]
        return [event for k, event in self.fake.events if k == key and event["type"] == type]


def connect(tenant, fake: FakeStripe, slug: str) -> Shop:
    fake.add_account(SECRET_KEYS[slug], webhook_secret=WEBHOOK_SECRETS[slug], name=f"{slug} studio")
    accounts.connect_stripe(
        tenant.owner, secret_key=SECRET_KEYS[slug], webhook_secret=WEBHOOK_SECRETS[slug]
    )
    pack = factories.PackageProductFactory(
        organization=tenant.organization,
        name="10-Class Package",
        kind="class_pack",
        credits=10,
        price=Decimal("150.00"),
        validity_days=90,
    )
    monthly = factories.PackageProductFactory(
        organization=tenant.organization,
        name="Unlimited Monthly",
        kind="unlimited",
        credits=None,
        price=Decimal("200.00"),
        validity_days=30,
        weekly_limit=None,
    )
    return Shop(tenant, fake, pack, monthly, slug)


@pytest.fixture
def shop(world, fake_stripe) -> Shop:
    return connect(world.a, fake_stripe, "alpha")


@pytest.fixture
def other_shop(world, fake_stripe) -> Shop:
    return connect(world.b, fake_stripe, "beta")


def process_events() -> list[str]:
    """What the job does for each stored event, in order of arrival."""
    return [
        events.process_event(pk)
        for pk in WebhookEvent.objects.filter(processed_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    ]


def deliver_all(shop: Shop, types: tuple[str, ...] | None = None) -> None:
    """Post the fake's events for this shop to our endpoint (what Stripe would do)."""
    key = SECRET_KEYS[shop.slug]
    for k, event in list(shop.fake.events):
        if k == key and (types is None or event["type"] in types):
            response = shop.post_event(event)
            assert response.status_code == 200, response.content


@pytest.fixture
def priced(shop):
    """A private (Private 55) priced in money: paying for it holds the slot."""
    from tests.appointments import helpers as appointments

    kind, _room, _spots = appointments.setup_privates(shop.tenant, name="Private 55")
    kind.price = Decimal("85.00")
    kind.save()
    return kind
