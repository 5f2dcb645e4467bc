"""Database guarantees of money and messages: webhook events, payments and one-of-a-kind rows
(tests/test_database_guarantees.py holds the rest, and its coverage check reads this file)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from reformer.accounts.models import ClientProfile, Invitation
from reformer.billing.models import (
    Payment,
    Subscription,
    WebhookEvent,
)
from reformer.notifications.models import Message
from reformer.studios.models import Organization, StudioPolicy
from tests.test_database_guarantees import package, refused  # noqa: F401 - fixture


def test_it_stores_a_webhook_event_once(db):
    WebhookEvent.objects.create(provider="stripe", event_id="evt_1", kind="x", payload={})

    with refused("webhook_event_once"):
        WebhookEvent.objects.create(provider="stripe", event_id="evt_1", kind="x", payload={})
    WebhookEvent.objects.create(provider="twilio", event_id="evt_1", kind="x", payload={})


def test_it_stores_an_event_once_per_organization_endpoint(world):
    event = {"provider": "stripe", "event_id": "evt_2", "kind": "x", "payload": {}}
    WebhookEvent.objects.create(organization=world.a.organization, **event)
    with refused("webhook_event_once"):
        WebhookEvent.objects.create(organization=world.a.organization, **event)
    # Another tenant's endpoint receiving the same id cannot block (or touch) tenant a's.
    WebhookEvent.objects.create(organization=world.b.organization, **event)


def test_it_keeps_payment_records_consistent(world, package):  # noqa: F811 - the fixture
    from reformer.payments.models import Refund, StripeCustomer, StudioFeePolicy

    payment = Payment.objects.create(
        organization=world.a.organization,
        client=world.a.client,
        amount=Decimal("50.00"),
        provider_id="cs_1",
        created_at=timezone.now(),
    )
    with refused("payment_refund_within_amount"):
        Payment.objects.filter(pk=payment.pk).update(amount_refunded=Decimal("50.01"))
    with refused("payment_refund_within_amount"):
        Payment.objects.filter(pk=payment.pk).update(amount_refunded=Decimal("-1"))
    with refused("refund_amount_positive"):
        Refund.objects.create(organization=world.a.organization, payment=payment, amount=0)
    with refused("fee_amounts_positive"):
        StudioFeePolicy.objects.create(
            organization=world.a.organization, studio=world.a.studio, no_show_fee=Decimal("0")
        )
    StripeCustomer.objects.create(
        organization=world.a.organization, client=world.a.client, customer_id="cus_1"
    )
    with refused("stripe_customer_once"):
        StripeCustomer.objects.create(
            organization=world.a.organization, client=world.a.owner, customer_id="cus_1"
        )


def test_it_sends_a_message_once_per_idempotency_key(world):
    fields = {
        "recipient": world.a.client.user,
        "channel": "email",
        "kind": "booking_confirmed",
        "idempotency_key": "booking:1:confirmed",
        "to_address": "client@alpha.example.com",
        "body": "See you in class.",
    }
    Message.objects.create(**fields)

    with refused("notifications_message_idempotency_key_key"):
        Message.objects.create(**fields)


def test_it_keeps_other_one_of_a_kind_rows_unique(world, package):  # noqa: F811 - the fixture
    with refused("studios_organization_slug_key"):
        Organization.objects.create(name="Copy", slug="alpha")
    with refused("studios_studiopolicy_studio_id_key"):
        StudioPolicy.objects.create(organization=world.a.organization, studio=world.a.studio)
    with refused("accounts_clientprofile_membership_id_key"):
        ClientProfile.objects.create(organization=world.a.organization, membership=world.a.client)
    invitation = {
        "organization": world.a.organization,
        "email": "new@example.com",
        "role": "instructor",
        "token": "t" * 40,
        "expires_at": timezone.now() + dt.timedelta(days=7),
    }
    Invitation.objects.create(**invitation)
    with refused("accounts_invitation_token_key"):
        Invitation.objects.create(**invitation)
    payment = {
        "organization": world.a.organization,
        "client": world.a.client,
        "amount": Decimal("10.00"),
        "provider_id": "pi_1",
        "created_at": timezone.now(),
    }
    Payment.objects.create(client_package=package, **payment)
    with refused("payment_provider_id_once"):
        Payment.objects.create(**payment)
    # Provider ids are unique per organization: another tenant cannot squat on one.
    Payment.objects.create(
        **(payment | {"organization": world.b.organization, "client": world.b.client})
    )
    with refused("billing_payment_client_package_id_key"):
        Payment.objects.create(client_package=package, **(payment | {"provider_id": "pi_2"}))
    subscription = {
        "organization": world.a.organization,
        "client": world.a.client,
        "product": package.product,
        "amount": Decimal("99.00"),
        "provider_id": "sub_1",
    }
    Subscription.objects.create(**subscription)
    with refused("subscription_provider_id_once"):
        Subscription.objects.create(**subscription)
