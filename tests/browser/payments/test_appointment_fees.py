"""A private priced in money, on a phone: the fee rule is on the page before booking, the
client pays on the (fake) hosted checkout, and the cancel dialog says the payment is kept
and the late-cancel fee charged; the desk sees the fee in the client's history."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from reformer.appointments.models import Attendee
from reformer.payments.actions import fees
from tests.appointments import helpers as ah

pytestmark = pytest.mark.browser

RULE = (
    "A late cancellation costs $20.00; a no-show costs $30.00, charged to the card you paid with."
)
SHOTS = os.environ.get("REFORMER_SCREENSHOTS")  # a folder: save what the test saw


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.fixture
def priced(store):
    kind, _room, _spots = ah.setup_privates(store.tenant, name="Private 55")
    kind.price = Decimal("85.00")
    kind.late_cancel_fee = Decimal("20.00")
    kind.no_show_fee = Decimal("30.00")
    kind.cancellation_window_hours = 24 * 14  # cancelling any slot shown is late
    kind.save()
    return kind


def test_the_fee_rule_before_booking_and_in_the_cancel_dialog(
    page, login, store, priced, world, assert_accessible
):
    tenant = world.a
    login(page, tenant.client.user)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(reverse("frontdoor:privates"))
    expect(page.get_by_text(RULE).first).to_be_visible()
    page.goto(
        reverse("frontdoor:private_slots", args=[priced.pk])
        + f"?day={ah.local_day(tenant).isoformat()}"
    )
    expect(page.get_by_test_id("cancellation-policy")).to_contain_text(RULE)
    assert_accessible(page)
    _shot(page, "slots-390")
    page.get_by_test_id("slot").first.click()
    expect(page).to_have_url(re.compile(re.escape(store.fake.base_url) + "/checkout/"))
    page.fill("#card", "4242 4242 4242 4242")
    page.click("#pay")
    expect(page.get_by_role("heading", name=re.compile("Booked|confirmed", re.I))).to_be_visible()

    page.goto(reverse("client:dashboard"))
    terms = page.get_by_test_id("cancel-terms").first
    expect(terms).to_contain_text("A late cancellation fee of $20.00 is charged")
    assert_accessible(page)
    _shot(page, "dashboard-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    _shot(page, "dashboard-1280")
    messages: list[str] = []

    def accept(dialog) -> None:
        messages.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.get_by_role("button", name=re.compile("^Cancel Private 55")).click()
    expect(page.get_by_text(re.compile("Private 55 cancelled"))).to_be_visible()
    assert "the payment is kept" in messages[0] and "$20.00" in messages[0]
    place = Attendee.objects.get(client=tenant.client)
    assert place.status == "late_cancelled"

    fees.charge_appointment_fee(place.pk, fees.LATE_CANCEL)
    login(page, tenant.front_desk.user)
    page.goto(reverse("frontdoor:staff_client", args=[tenant.client.pk]))
    history = page.get_by_test_id("place-history")
    expect(history).to_contain_text("Late cancellation fee: Private 55")
    expect(history).to_contain_text("20.00 USD, paid")
    assert_accessible(page)
    _shot(page, "staff-client-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    _shot(page, "staff-client-390")
