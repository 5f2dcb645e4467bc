"""Staff alerts in a real browser: seen where staff work, acted on, dismissed in place."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reformer.core import alerts
from tests.factories import make_session

pytestmark = pytest.mark.browser


def test_an_owner_sees_an_alert_acts_on_it_and_dismisses_it(page, login, world, assert_accessible):
    tenant = world.a
    session = make_session(
        tenant,
        instructor=None,
        starts_at=timezone.now().replace(second=0, microsecond=0) + dt.timedelta(days=2),
    )
    alerts.raise_alert(
        alerts.NEEDS_INSTRUCTOR,
        "Reformer Flow on Thu 7 Mar 2026 at 10:00 (alpha Main) needs an instructor: "
        "Sarah Johnson is away. Assign one.",
        organization_id=tenant.organization.pk,
        studio_id=tenant.studio.pk,
        data={"session": session.pk},
    )
    alerts.raise_alert(
        alerts.CLIENT_SUSPENDED,
        "Ada Lovelace missed 3 classes in 30 days and cannot book until Mon 11 Mar, 10:15.",
        organization_id=tenant.organization.pk,
        studio_id=tenant.studio.pk,
        data={"client": tenant.client.pk},
    )
    login(page, tenant.owner.user)
    page.goto("/staff/")
    panel = page.get_by_role("region", name=re.compile("Needs your attention"))
    expect(panel.locator(".staff-alert")).to_have_count(2)
    assert_accessible(page)

    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 900})

    panel.get_by_role("button", name=re.compile("dealt with.*Client suspended")).click()
    expect(panel.locator(".staff-alert")).to_have_count(1)
    expect(page.get_by_text("Marked as dealt with: client suspended.")).to_be_visible()

    panel.get_by_role("link", name="Assign an instructor").click()
    expect(page).to_have_url(re.compile(rf"/staff/classes/{session.pk}/$"))
    expect(page.get_by_text("Needs instructor").first).to_be_visible()
