"""The payment pages over HTTP: shop, checkout return, history, receipts (HTML and PDF),
staff lists, refunds, the desk's sale, Stripe settings, the live outcome fragment."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from reformer.billing.models import ClientPackage, Payment
from reformer.core.timezones import zone
from reformer.payments.actions import desk
from reformer.payments.models import StripeAccount
from reformer.web.live_render import Subscriptions
from reformer.web.payments.live import checkout_outcome
from tests import factories
from tests.payments import helpers
from tests.payments.conftest import SECRET_KEYS

pytestmark = pytest.mark.django_db


def login(client, member):
    client.force_login(member.user)
    return client


def test_the_shop_sends_the_client_to_stripe_and_back(client, shop, world):
    login(client, world.a.client)
    page = client.get(reverse("payments:shop"))
    assert page.status_code == 200
    assert b"10-Class Package" in page.content and b"$150.00" in page.content
    response = client.post(
        reverse("payments:buy", args=[shop.pack.pk]), {"studio": world.a.studio.pk}
    )
    assert response.status_code == 302 and response["Location"].startswith(shop.fake.base_url)
    payment = Payment.objects.get(client=world.a.client)
    waiting = client.get(reverse("payments:checkout_return", args=[payment.pk]))
    assert b"Confirming your payment" in waiting.content
    assert b"payments.return" in waiting.content  # subscribed to the live outcome
    helpers.pay(shop, response["Location"])
    done = client.get(reverse("payments:checkout_return", args=[payment.pk]))
    assert b"Package purchased successfully" in done.content
    assert b"10 credits" in done.content
    assert ClientPackage.objects.filter(client=world.a.client).count() == 1


def test_a_declined_payment_comes_back_with_next_steps(client, shop, world):
    login(client, world.a.client)
    response = client.post(reverse("payments:buy", args=[shop.pack.pk]))
    helpers.pay(shop, response["Location"], card="4000000000009995")
    payment = Payment.objects.get(client=world.a.client)
    back = client.get(reverse("payments:checkout_cancelled", args=[payment.pk]), follow=True)
    assert b"Payment failed" in back.content
    assert b"insufficient funds" in back.content and b"different card" in back.content
    assert not ClientPackage.objects.exists()


def test_the_shop_without_stripe_says_buy_at_the_desk(client, world):
    factories.PackageProductFactory(organization=world.a.organization, name="Five pack")
    login(client, world.a.client)
    page = client.get(reverse("payments:shop"))
    assert b"takes payment at the front desk" in page.content
    assert (
        b"Five pack" in page.content and b"<button" not in page.content.split(b"Five pack")[1][:400]
    )


def test_the_shop_without_stripe_sells_packages_for_their_days_not_monthly(client, world):
    # It showed "/ month · renews monthly, cancel anytime" for products the desk sells as
    # packages, and credited Stripe with card payments the studio does not take online.
    org = world.a.organization
    factories.PackageProductFactory(
        organization=org,
        name="Monthly Unlimited",
        kind="unlimited",
        credits=None,
        validity_days=30,
        price=Decimal("199.00"),
    )
    factories.PackageProductFactory(
        organization=org, name="Year Pass", kind="membership", credits=8, validity_days=365
    )
    login(client, world.a.client)
    page = client.get(reverse("payments:shop")).content.decode()
    assert "/ month" not in page and "renews monthly" not in page
    assert "Unlimited classes · valid 30 days" in page
    assert "valid 365 days" in page
    assert "handled by Stripe" not in page
    assert "ask at the front desk" in page


def test_the_shop_with_stripe_sells_recurring_kinds_monthly(client, shop, world):
    factories.PackageProductFactory(
        organization=world.a.organization,
        name="Monthly Unlimited",
        kind="unlimited",
        credits=None,
        validity_days=30,
    )
    login(client, world.a.client)
    page = client.get(reverse("payments:shop")).content.decode()
    unlimited = page.split("Monthly Unlimited")[1][:600]
    assert "/ month" in unlimited and "renews monthly, cancel anytime" in unlimited
    pack = page.split("10-Class Package")[1][:600]
    assert "/ month" not in pack and "valid" in pack
    assert "handled by Stripe" in page


@pytest.mark.scenario("PHX-21", "View payment history")
def test_three_purchases_are_listed_with_receipts(client, shop, world):
    from reformer.payments.actions import checkout

    five = factories.PackageProductFactory(
        organization=world.a.organization, name="5-Class Package", credits=5, price=Decimal("80.00")
    )
    for product in (shop.pack, five, shop.pack):
        payment, url = helpers.start(shop, world.a.client, product=product)
        helpers.pay(shop, url)
        checkout.confirm_return(world.a.client, payment)
    login(client, world.a.client)
    page = client.get(reverse("payments:history")).content.decode()
    assert page.count('id="payment-row-') == 3
    assert page.count("10-Class Package") == 2 and page.count("5-Class Package") == 1
    assert page.count("$150.00") == 2 and "$80.00" in page
    # The history shows dates in the studio's time zone, which near midnight UTC is another day.
    created_at = Payment.objects.first().created_at
    today = created_at.astimezone(zone(world.a.organization.time_zone)).strftime("%-d %b %Y")
    assert page.count(today) >= 3
    for payment in Payment.objects.all():
        assert reverse("payments:receipt", args=[payment.pk]) in page
        assert reverse("payments:receipt_pdf", args=[payment.pk]) in page
        receipt = client.get(reverse("payments:receipt", args=[payment.pk])).content.decode()
        assert payment.receipt_url in receipt  # Stripe's own receipt too
        pdf = client.get(reverse("payments:receipt_pdf", args=[payment.pk]))
        assert pdf.content.startswith(b"%PDF")


def test_clients_see_only_their_own_payments_and_receipts(client, world):
    product = factories.PackageProductFactory(
        organization=world.a.organization, name="Zoë pack", price=Decimal("99.00"), currency="EUR"
    )
    mine = desk.sell_at_desk(
        world.a.front_desk,
        client=world.a.client,
        product=product,
        studio=world.a.studio,
        method="cash",
    )
    other = factories.MembershipFactory(organization=world.a.organization, role="client")
    theirs = desk.sell_at_desk(
        world.a.front_desk, client=other, product=product, studio=world.a.studio, method="cash"
    )
    login(client, world.a.client)
    history = client.get(reverse("payments:history"))
    assert history.status_code == 200 and b"Zo\xc3\xab pack" in history.content
    assert reverse("payments:receipt", args=[mine.pk]).encode() in history.content
    receipt = client.get(reverse("payments:receipt", args=[mine.pk]))
    assert b"\xe2\x82\xac99.00" in receipt.content  # €99.00
    pdf = client.get(reverse("payments:receipt_pdf", args=[mine.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert client.get(reverse("payments:receipt", args=[theirs.pk])).status_code == 404
    login(client, world.b.owner)
    assert client.get(reverse("payments:receipt_pdf", args=[mine.pk])).status_code == 404


def test_staff_payment_lists_by_role(client, world, django_assert_max_num_queries):
    product = factories.PackageProductFactory(organization=world.a.organization)
    for _ in range(3):
        desk.sell_at_desk(
            world.a.owner,
            client=world.a.client,
            product=product,
            studio=world.a.studio,
            method="cash",
        )
    url = reverse("payments:studio_payments")
    for member, status in (
        (world.a.owner, 200),
        (world.a.manager, 200),
        (world.a.front_desk, 200),
        (world.a.instructor, 403),
        (world.a.client, 403),
    ):
        assert login(client, member).get(url).status_code == status
    login(client, world.a.owner)
    with django_assert_max_num_queries(25) as few:
        client.get(url)
    for _ in range(20):
        desk.sell_at_desk(
            world.a.owner,
            client=world.a.client,
            product=product,
            studio=world.a.studio,
            method="terminal",
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url)
    assert page.content.count(b'id="payment-row-') == 23
    assert (
        login(client, world.a.owner)
        .get(reverse("payments:client", args=[world.a.client.pk]))
        .status_code
        == 200
    )
    assert (
        login(client, world.b.owner)
        .get(reverse("payments:client", args=[world.a.client.pk]))
        .status_code
        == 404
    )


def test_a_manager_refunds_from_the_payment_page(client, world):
    product = factories.PackageProductFactory(
        organization=world.a.organization, credits=8, price=Decimal("80.00")
    )
    payment = desk.sell_at_desk(
        world.a.owner, client=world.a.client, product=product, studio=world.a.studio, method="cash"
    )
    url = reverse("payments:payment", args=[payment.pk])
    login(client, world.a.front_desk)
    assert b"Refund</button>" not in client.get(url).content
    assert client.post(url, {"amount": "10"}).status_code == 403
    login(client, world.a.manager)
    too_much = client.post(url, {"amount": "100", "credits": ""})
    assert too_much.status_code == 422 and b"At most $80.00" in too_much.content
    done = client.post(url, {"amount": "40", "credits": "4", "reason": "Injury"}, follow=True)
    assert b"Refunded $40.00. 4 credits taken back." in done.content
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("40.00")


def test_the_desk_sells_from_the_point_of_sale(client, world):
    product = factories.PackageProductFactory(
        organization=world.a.organization, name="Drop-in", credits=1, price=Decimal("30.00")
    )
    login(client, world.a.front_desk)
    page = client.get(reverse("payments:sell"), {"q": world.a.client.user.email})
    assert page.status_code == 200 and b"Drop-in" in page.content
    response = client.post(
        reverse("payments:sell"),
        {
            "client": world.a.client.pk,
            "product": product.pk,
            "studio": world.a.studio.pk,
            "method": "cash",
            "amount": "",
            "note": "",
        },
    )
    payment = Payment.objects.get(client=world.a.client)
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:receipt", args=[payment.pk])
    bad = client.post(
        reverse("payments:sell"),
        {
            "client": world.a.client.pk,
            "product": product.pk,
            "studio": world.a.studio.pk,
            "method": "cash",
            "amount": "31",
        },
    )
    assert bad.status_code == 422 and b"between 0 and the product" in bad.content
    assert Payment.objects.count() == 1
    login(client, world.a.instructor)
    assert client.get(reverse("payments:sell")).status_code == 403


def test_the_owner_connects_stripe_and_keys_stay_secret(client, world, fake_stripe):
    key, whsec = "sk_test_settingsKEY0000wxyz", "whsec_settingsSecret9876"
    fake_stripe.add_account(key, name="Alpha Pilates")
    url = reverse("payments:settings")
    assert login(client, world.a.manager).get(url).status_code == 403
    login(client, world.a.owner)
    bad = client.post(url, {"secret_key": "pk_test_123", "webhook_secret": whsec})
    assert bad.status_code == 422 and b"sk_test_ or sk_live_" in bad.content
    refused = client.post(url, {"secret_key": "sk_test_unknownKey1234", "webhook_secret": whsec})
    assert refused.status_code == 422 and b"refused" in refused.content
    assert not StripeAccount.objects.exists()
    page = client.post(url, {"secret_key": key, "webhook_secret": whsec}, follow=True)
    assert b"Test mode" in page.content and b"Alpha Pilates" in page.content
    assert b"wxyz" in page.content and key.encode() not in page.content
    assert whsec.encode() not in page.content
    account = StripeAccount.objects.get()
    assert key not in account.secret_key_encrypted and whsec not in account.webhook_secret_encrypted
    assert f"/webhooks/stripe/{account.webhook_token}/".encode() in page.content
    # Replacing only the secret key keeps the webhook secret.
    client.post(url, {"secret_key": key, "webhook_secret": ""})
    account.refresh_from_db()
    assert account.webhook_secret_last4 == "9876"


def test_live_mode_is_shown_plainly(client, world, fake_stripe):
    key = "sk_live_liveKEY00001111abcd"
    fake_stripe.add_account(key)
    login(client, world.a.owner)
    page = client.post(
        reverse("payments:settings"),
        {"secret_key": key, "webhook_secret": "whsec_live00000000"},
        follow=True,
    )
    assert b"Live mode: real cards are charged" in page.content


def test_the_live_renderer_swaps_in_the_outcome_for_its_owner_only(shop, world):
    payment, url = helpers.start(shop, world.a.client)
    helpers.pay(shop, url)
    from reformer.payments.actions import checkout

    checkout.confirm_return(world.a.client, payment)
    event = {"type": "payment", "op": "succeeded", "ids": [payment.pk]}
    html = checkout_outcome(world.a.client, event, Subscriptions(page="payments.return"))
    assert f'id="payment-{payment.pk}-status"' in html and 'data-hx-swap-oob="true"' in html
    assert "Package purchased successfully" in html
    assert checkout_outcome(world.a.client, event, Subscriptions(page="client.dashboard")) == ""
    other = factories.MembershipFactory(organization=world.a.organization, role="client")
    assert checkout_outcome(other, event, Subscriptions(page="payments.return")) == ""
    assert SECRET_KEYS


def test_a_membership_return_page_waits_then_says_it_is_active(client, shop, world):
    from tests.payments.conftest import deliver_all, process_events

    login(client, world.a.client)
    response = client.post(reverse("payments:buy", args=[shop.membership_product.pk]))
    helpers.pay(shop, response["Location"])
    payment = Payment.objects.get(client=world.a.client)
    url = reverse("payments:checkout_return", args=[payment.pk])
    assert b"Confirming your payment" in client.get(url).content  # the invoice decides
    deliver_all(shop)
    process_events()
    page = client.get(url).content.decode()
    assert "Your membership is active" in page and "renews each month" in page
    history = client.get(reverse("payments:history")).content.decode()
    assert "Unlimited Monthly" in history and "Renews on" in history
    assert "Update card or cancel" in history
