"""PHX-21 in a real browser: buy a pack end to end through the (fake) hosted checkout page;
the "webhook delay" scenario updates the page live; a declined card comes back with why."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from reformer.billing.models import ClientPackage, Payment, WebhookEvent
from reformer.bookings.integrity import check_integrity
from tests.browser.client.conftest import wait_live
from tests.concurrency.conftest import run_worker_once

pytestmark = pytest.mark.browser


@pytest.mark.scenario("PHX-21", "Purchase a class package")
def test_a_client_buys_a_pack_end_to_end(buyer, store, world, assert_accessible):
    page = buyer
    page.goto("/shop/")
    expect(page.get_by_role("heading", name="10-Class Package")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Buy 10-Class Package").click()
    expect(page).to_have_url(re.compile(re.escape(store.fake.base_url) + "/checkout/"))
    expect(page.locator("#amount")).to_have_text("150.00 USD")
    page.fill("#card", "4242 4242 4242 4242")
    page.click("#pay")
    expect(page).to_have_url(re.compile(r"/shop/return/\d+/\?session_id=cs_test_"))
    expect(page.get_by_role("heading", name="Package purchased successfully")).to_be_visible()
    expect(page.locator(".payment-outcome")).to_contain_text("10 credits")
    assert_accessible(page)
    # The webhook (sent meanwhile) is stored once and applied by the worker: no second grant.
    store.fake.wait_for_deliveries()  # each delivery thread has had its HTTP answer
    assert WebhookEvent.objects.filter(kind="checkout.session.completed").count() == 1
    run_worker_once()
    assert ClientPackage.objects.filter(client=world.a.client).count() == 1
    page.goto("/payments/")
    expect(page.locator("table")).to_contain_text("10-Class Package")
    expect(page.locator("table")).to_contain_text("$150.00")
    expect(page.get_by_role("link", name=re.compile("^Receipt"))).to_be_visible()
    page.goto("/dashboard/")
    expect(page.locator("#dash-packages")).to_contain_text("10 of 10 credits")
    assert check_integrity().ok


@pytest.mark.scenario("PHX-21", "Handle webhook delay")
def test_the_page_waits_for_a_delayed_webhook_and_updates_live(buyer, store, world):
    store.fake.settle_later = True  # the bank confirms later, as with async payment methods
    store.fake.hold_webhooks = True
    page = buyer
    page.goto("/shop/")
    page.get_by_role("button", name="Buy 10-Class Package").click()
    page.fill("#card", "4242424242424242")
    page.click("#pay")
    expect(page.get_by_role("heading", name="Confirming your payment…")).to_be_visible()
    expect(page.locator(".payment-outcome")).to_contain_text("Processing payment")
    wait_live(page)
    payment = Payment.objects.get(client=world.a.client)
    store.fake.settle(payment.provider_id)
    store.fake.release(order="reversed")  # the success arrives before "completed"
    run_worker_once()
    # No reload: the websocket swaps the outcome in.
    expect(page.get_by_role("heading", name="Package purchased successfully")).to_be_visible()
    assert page.evaluate("window.__live.opens") == 1
    assert ClientPackage.objects.filter(client=world.a.client).count() == 1


@pytest.mark.scenario("PHX-21", "Handle failed payment")
def test_a_declined_card_comes_back_with_what_to_do(buyer, store, world, assert_accessible):
    page = buyer
    page.goto("/shop/")
    page.get_by_role("button", name="Buy 10-Class Package").click()
    page.fill("#card", "4000 0000 0000 0002")
    page.click("#pay")
    expect(page.locator("#card-error")).to_have_text("Your card was declined.")
    page.click("#back")
    expect(page.get_by_role("heading", name="Payment failed")).to_be_visible()
    expect(page.locator(".payment-outcome")).to_contain_text("different card")
    assert_accessible(page)
    assert not ClientPackage.objects.filter(client=world.a.client).exists()
