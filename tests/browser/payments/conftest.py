"""Browser tests of buying: the fake Stripe's checkout page stands in for Stripe's hosted
page; its webhooks reach the in-thread server; the real procrastinate worker applies them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.browser.client.conftest import LIVE_PROBE
from tests.payments.conftest import SECRET_KEYS, fake_stripe, shop  # noqa: F401 - fixtures


@pytest.fixture(autouse=True)
def _jobs(clean_job_tables):
    yield


@pytest.fixture
def store(shop, live_url):  # noqa: F811 - the imported fixture
    """Tenant a connected to the fake Stripe, whose webhooks go to the live server."""
    account = shop.fake.accounts[SECRET_KEYS["alpha"]]
    account.webhook_url = live_url + reverse(
        "payments:stripe_webhook", args=[shop.account.webhook_token]
    )
    return shop


@pytest.fixture
def buyer(page, login, world):
    login(page, world.a.client.user)
    page.add_init_script(LIVE_PROBE)
    return page
