"""An online intro offer bought in two tabs (issue 18): both Stripe Checkouts succeed, the
two fulfilments race on real threads; one package is granted, the other payment is refused
(the rule under the client's lock), refunded through Stripe by the real job worker, recorded
as a Refund, and the client is told why."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reformer.billing.models import ClientPackage, Payment, WebhookEvent
from reformer.bookings.integrity import check_integrity
from reformer.notifications.models import Message
from reformer.onboarding.models import IntroOffer, IntroRedemption
from reformer.payments.actions import events
from reformer.payments.models import Refund
from tests import factories
from tests.bookings.helpers import make_client
from tests.concurrency.conftest import race, run_worker_once
from tests.payments import helpers

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _jobs(clean_job_tables):
    yield


def test_two_paid_tabs_grant_one_intro_and_refund_the_other(shop):
    intro = factories.PackageProductFactory(
        organization=shop.tenant.organization,
        name="Intro: 2 privates",
        kind="class_pack",
        credits=2,
        price=Decimal("49.00"),
        validity_days=30,
    )
    IntroOffer.objects.create(organization=shop.tenant.organization, product=intro)
    newcomer = make_client(shop.tenant, "Newbie")
    # Two tabs: both checkouts open before either is paid (the rule lets both start).
    _first, first_url = helpers.start(shop, newcomer, product=intro)
    _second, second_url = helpers.start(shop, newcomer, product=intro)
    helpers.pay(shop, first_url)
    helpers.pay(shop, second_url)
    for event in shop.events_of("checkout.session.completed"):
        assert shop.post_event(event).status_code == 200
    stored = list(WebhookEvent.objects.values_list("pk", flat=True))
    assert len(stored) == 2

    # Both fulfilments at once, each several times (webhook retries), on real threads.
    outcomes = race([lambda pk=pk: events.process_event(pk) for pk in stored for _ in range(4)])
    assert [o.error for o in outcomes if o.error] == []

    assert ClientPackage.objects.filter(client=newcomer).count() == 1
    assert IntroRedemption.objects.filter(client=newcomer).count() == 1
    payments = {p.pk: p for p in Payment.objects.filter(client=newcomer)}
    granted = [p for p in payments.values() if p.client_package_id]
    refused = [p for p in payments.values() if not p.client_package_id]
    assert len(granted) == 1 and len(refused) == 1
    (refused_payment,) = refused
    assert refused_payment.status == "succeeded"  # money taken, refund on its way
    assert "first-timers" in refused_payment.failure_reason

    run_worker_once()  # the real worker runs the refund job

    refused_payment.refresh_from_db()
    assert refused_payment.status == "refunded"
    assert refused_payment.amount_refunded == Decimal("49.00")
    (refund,) = Refund.objects.filter(payment=refused_payment)
    assert refund.provider_id.startswith("re_") and refund.actor is None
    intent = shop.fake.find(refused_payment.payment_intent_id)[1]
    assert intent["amount_refunded"] == 4900  # Stripe refunded it
    notice = Message.objects.get(kind="payment_refunded", recipient=newcomer.user)
    assert "first-timers" in notice.context["why"] and "refunded in full" in notice.context["why"]
    assert Refund.objects.filter(payment__in=granted).count() == 0
    assert check_integrity().ok
    # The second tab's return page says what happened.
    from django.test import Client

    browser = Client()
    browser.force_login(newcomer.user)
    from django.urls import reverse

    page = browser.get(reverse("payments:checkout_return", args=[refused_payment.pk]))
    assert "Your payment is being refunded" in page.content.decode()
    assert "first-timers" in page.content.decode()
