"""The analytics page links to the monthly reports only for those who may open them."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_only_owners_are_offered_the_monthly_reports(client, world):
    client.force_login(world.a.owner.user)
    assert "Monthly reports" in client.get(reverse("owner:analytics")).content.decode()
    client.force_login(world.a.manager.user)
    page = client.get(reverse("owner:analytics"))
    assert page.status_code == 200 and "Monthly reports" not in page.content.decode()
    assert client.get(reverse("reports:list")).status_code == 403
