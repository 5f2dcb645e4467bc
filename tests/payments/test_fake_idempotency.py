"""The fake Stripe honours `Idempotency-Key` as Stripe does (same key and parameters: the
first answer again, nothing done twice; same key, other parameters: refused), and our
calls that create money or objects send keys of their own, so a retry is safe."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import stripe

from reformer.appointments import actions as appointment_actions
from reformer.integrations.stripe.client import new_client
from reformer.payments.actions import appointments as paying
from reformer.payments.actions import checkout, refunds
from tests.appointments import helpers as ah
from tests.payments import helpers
from tests.payments.conftest import SECRET_KEYS
from tests.webhooks.conftest import run_queued_jobs

pytestmark = pytest.mark.django_db

RANDOM_KEY = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _customers(fake) -> list[dict]:
    objects = fake.accounts[SECRET_KEYS["alpha"]].objects.values()
    return [o for o in objects if o.get("object") == "customer"]


def test_same_key_same_request_answers_the_first_result(shop):
    api = new_client(SECRET_KEYS["alpha"])
    params = {"email": "a@example.com", "name": "A"}
    first = api.v1.customers.create(params=params, options={"idempotency_key": "k-1"})
    second = api.v1.customers.create(params=params, options={"idempotency_key": "k-1"})
    assert first.id == second.id and len(_customers(shop.fake)) == 1
    assert second.last_response is not None
    assert second.last_response.headers.get("Idempotent-Replayed") == "true"
    # Another key is another request.
    third = api.v1.customers.create(params=params, options={"idempotency_key": "k-2"})
    assert third.id != first.id and len(_customers(shop.fake)) == 2


def test_same_key_other_parameters_is_refused(shop):
    api = new_client(SECRET_KEYS["alpha"])
    api.v1.customers.create(params={"email": "a@example.com"}, options={"idempotency_key": "k"})
    with pytest.raises(stripe.IdempotencyError) as refused:
        api.v1.customers.create(params={"email": "b@example.com"}, options={"idempotency_key": "k"})
    assert "same parameters" in str(refused.value)
    assert len(_customers(shop.fake)) == 1


def test_a_stored_error_is_answered_again_and_keys_are_per_account(shop, other_shop):
    shop.fake.fail_off_session = True
    api = new_client(SECRET_KEYS["alpha"])
    params = {"amount": 500, "currency": "usd", "payment_method": "pm_x", "confirm": True}
    for _ in range(2):
        with pytest.raises(stripe.CardError):
            api.v1.payment_intents.create(params=params, options={"idempotency_key": "fee-1"})
    shop.fake.fail_off_session = False
    # The decline was stored under the key: the same request still gets it...
    with pytest.raises(stripe.CardError):
        api.v1.payment_intents.create(params=params, options={"idempotency_key": "fee-1"})
    # ...while another account's identical key is its own.
    other = new_client(SECRET_KEYS["beta"])
    intent = other.v1.payment_intents.create(params=params, options={"idempotency_key": "fee-1"})
    assert intent.status == "succeeded"


def test_a_request_refused_before_it_ran_is_not_stored(shop):
    api = new_client(SECRET_KEYS["alpha"])
    with pytest.raises(stripe.InvalidRequestError):
        api.v1.checkout.sessions.create(
            params={"mode": "payment"}, options={"idempotency_key": "s"}
        )
    session = api.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "http://x/",
            "line_items": [{"price_data": {"currency": "usd", "unit_amount": 100}, "quantity": 1}],
        },
        options={"idempotency_key": "s"},  # the same key: the refusal was not kept
    )
    assert session.status == "open"


def test_our_calls_that_move_money_send_keys_of_their_own(shop):
    """Every POST that creates a customer, a Checkout Session, a charge or a refund, or
    expires a session, carries a key derived from our row, never only the client's
    random one: a retry after a lost answer then reaches Stripe once."""
    tenant = shop.tenant
    client = tenant.client
    payment, url = helpers.start(shop, client)
    helpers.pay(shop, url)
    checkout.confirm_return(client, payment)
    refunds.refund_payment(tenant.owner, payment, amount="10.00", credits=0)
    kind, _room, _spots = ah.setup_privates(tenant, name="Private 55")
    kind.price = Decimal("85.00")
    kind.save()
    place, _url = paying.start_appointment_checkout(
        client,
        kind,
        studio=tenant.studio,
        instructor=tenant.instructor,
        starts_at=ah.at(tenant, hour=10),
        return_url=helpers.RETURN,
        cancel_url=helpers.CANCEL,
    )
    abandoned = place.payment
    assert abandoned is not None
    checkout.abandon_checkout(client, abandoned)  # expires the session at Stripe
    paid, url = paying.start_appointment_checkout(
        client,
        kind,
        studio=tenant.studio,
        instructor=tenant.instructor,
        starts_at=ah.at(tenant, hour=12),
        return_url=helpers.RETURN,
        cancel_url=helpers.CANCEL,
    )
    helpers.pay(shop, url)
    assert paid.payment is not None
    checkout.confirm_return(client, paid.payment)
    appointment_actions.cancel_appointment_place(client, paid)  # in time: refunded by a job
    assert run_queued_jobs("payments.refund_automatically") == 1

    posts = [r for r in shop.fake.requests if r.method == "POST"]
    assert {r.path.split("/")[2] for r in posts} >= {"customers", "checkout", "refunds"}
    keys = {r.path: r.idempotency_key for r in posts}
    assert all(key and not RANDOM_KEY.match(key) for key in keys.values()), keys
    assert f"expire-{abandoned.pk}" in keys.values()
    assert f"auto-refund-{paid.payment.pk}" in keys.values()
