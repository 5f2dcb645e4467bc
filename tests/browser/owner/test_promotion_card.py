"""PHX-16 acceptance 10 in a real browser: the owner dashboard's waitlist promotion card."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from reformer.bookings import actions
from tests.bookings.helpers import give_package, make_client
from tests.browser.messaging.test_messaging_pages import capture
from tests.factories import make_session

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_the_owner_sees_waitlist_promotions_on_the_dashboard(page, login, world, assert_accessible):
    session = make_session(world.a, capacity=1)
    holder, alice, bob = (make_client(world.a, name) for name in ("Holder", "Alice", "Bob"))
    give_package(holder)
    give_package(bob)
    booking = actions.book_session(holder, session)
    actions.join_waitlist(alice, session)  # no package: passed over
    actions.join_waitlist(bob, session)
    actions.cancel_booking(holder, booking)
    actions.promote_waitlist(session.pk)

    login(page, world.a.owner.user)
    page.goto("/owner/?range=last_30_days")
    card = page.locator('[data-metric="waitlist_promotions"]')
    expect(card.locator(".metric-card__value")).to_have_text("1")
    expect(card).to_contain_text("1 passed over, 0 failed and retried")
    assert_accessible(page)
    capture(page, "owner-promotions")
