"""The header's organization switcher on the payment pages: a view once passed its
subscriptions as `memberships`, the switcher's own name, and the menu listed "Harbour
Pilates ()" buttons posting subscription ids. (tests/conftest.py now fails any page whose
view context reuses a context processor's name.)"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from reformer.billing.models import Subscription
from tests import factories

pytestmark = pytest.mark.django_db


def _switch_buttons(html: str) -> list[tuple[str, str]]:
    form = html.split('id="switch-org-label"')[1].split("</form>")[0]
    found = re.findall(r'name="membership" value="(\d+)"[^>]*>\s*(.*?)\s*<span', form, re.S)
    return [(value, name.strip()) for value, name in found]


@pytest.mark.parametrize("page", ["client", "staff"])
def test_the_switcher_lists_organizations_on_payment_pages(client, world, page):
    member = world.a.client if page == "client" else world.a.owner
    elsewhere = factories.MembershipFactory(user=member.user, organization=world.b.organization)
    product = factories.PackageProductFactory(
        organization=world.a.organization,
        name="Unlimited Monthly",
        kind="unlimited",
        credits=None,
        price=Decimal("200"),
    )
    Subscription.objects.create(
        organization=world.a.organization, client=world.a.client, product=product, amount=200
    )
    client.force_login(member.user)
    url = (
        reverse("payments:history")
        if page == "client"
        else reverse("payments:client", args=[world.a.client.pk])
    )
    html = client.get(url).content.decode()
    assert "Unlimited Monthly" in html  # the plans are still listed
    assert set(_switch_buttons(html)) == {
        (str(member.pk), world.a.organization.name),
        (str(elsewhere.pk), world.b.organization.name),
    }
