"""The back office in a real browser: the desk sells a pack for cash and prints the receipt;
a manager refunds part of it; the owner's Stripe settings show the mode and the masked key.
Every page passes axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from reformer.billing.models import Payment

pytestmark = pytest.mark.browser


def test_the_desk_sells_and_a_manager_refunds(page, login, world, store, assert_accessible):
    login(page, world.a.front_desk.user)
    page.goto("/staff/payments/sell/")
    page.fill("#client-search", "alpha client")
    page.get_by_role("button", name="Search").click()
    page.select_option("#id_product", label="10-Class Package · $150.00")
    page.select_option("#id_studio", label=world.a.studio.name)
    page.get_by_label("Cash").check()
    assert_accessible(page)
    page.get_by_role("button", name="Record sale").click()
    expect(page).to_have_url(re.compile(r"/payments/\d+/receipt/$"))
    expect(page.locator(".receipt")).to_contain_text("$150.00")
    expect(page.locator(".receipt")).to_contain_text("Cash")
    assert_accessible(page)
    payment = Payment.objects.get(client=world.a.client)

    login(page, world.a.manager.user)
    page.goto("/staff/payments/")
    expect(page.locator(f"#payment-row-{payment.pk}")).to_contain_text("Paid")
    assert_accessible(page)
    page.get_by_role("link", name=f"Details of payment {payment.pk}").click()
    page.fill("#id_amount", "45")
    page.fill("#id_credits", "3")
    page.fill("#id_reason", "Moved away")
    page.get_by_role("button", name="Refund").click()
    expect(page.locator("#toasts")).to_contain_text("Refunded $45.00. 3 credits taken back.")
    expect(page.locator(".receipt__lines")).to_contain_text("7 of 10 credits left")
    assert_accessible(page)


def test_the_owner_sees_stripe_settings_plainly(page, login, world, store, assert_accessible):
    login(page, world.a.owner.user)
    page.goto("/staff/payments/settings/")
    expect(page.get_by_text("Test mode: no real money moves")).to_be_visible()
    expect(page.locator("body")).to_contain_text("sk_test_••••1234")
    expect(page.locator("#webhook-url")).to_contain_text("/webhooks/stripe/")
    assert "sk_test_alpha" not in page.content()
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
