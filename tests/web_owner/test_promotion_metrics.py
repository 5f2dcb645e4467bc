"""PHX-16 acceptance 10: the owner dashboard shows waitlist promotion successes and failures
for the period and the studios in scope, never another organization's."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.urls import reverse

from reformer.bookings import actions
from reformer.core.timezones import local_to_utc
from tests.bookings.helpers import give_package, make_client
from tests.factories import make_session

DAY = dt.date(2031, 3, 4)
NOON = local_to_utc(DAY, dt.time(12), "America/New_York")
MARCH = {"range": "custom", "from": "2031-03-01", "to": "2031-03-31"}


def _promotion_with_a_pass_over(tenant, *, studio=None) -> None:
    """A full one-place class: Alice (no package) then Bob wait; the holder cancels."""
    session = make_session(tenant, starts_at=NOON + dt.timedelta(days=1), capacity=1, studio=studio)
    holder, alice, bob = (make_client(tenant, name) for name in ("Holder", "Alice", "Bob"))
    give_package(holder)
    give_package(bob)
    booking = actions.book_session(holder, session)
    actions.join_waitlist(alice, session)
    actions.join_waitlist(bob, session)
    actions.cancel_booking(holder, booking)
    [promoted] = actions.promote_waitlist(session.pk)
    assert promoted.client_id == bob.pk
    actions.alert_promotion_failed(session.pk, attempt=1, error=RuntimeError("disk full"))


def _card(client, member, **params) -> str:
    client.force_login(member.user)
    html = client.get(reverse("owner:metrics"), MARCH | params).content.decode()
    start = html.index('data-metric="waitlist_promotions"')
    return html[start : html.index("</div>", start)]


def test_the_owner_sees_promotions_pass_overs_and_failures(client, world):
    with time_machine.travel(NOON, tick=False):
        _promotion_with_a_pass_over(world.a)
        _promotion_with_a_pass_over(world.b)  # another organization: not counted
        card = _card(client, world.a.owner)
    assert "Waitlist promotions" in card and '<p class="metric-card__value">1</p>' in card
    assert "1 passed over, 1 failed and retried" in card


def test_the_studio_filter_and_the_period_narrow_the_counts(client, world):
    with time_machine.travel(NOON, tick=False):
        _promotion_with_a_pass_over(world.a, studio=world.a.other_studio)
        here = _card(client, world.a.owner, studio=world.a.studio.pk)
        there = _card(client, world.a.owner, studio=world.a.other_studio.pk)
        february = _card(client, world.a.owner, **{"from": "2031-02-01", "to": "2031-02-28"})
    assert '<p class="metric-card__value">0</p>' in here and "0 passed over, 0 failed" in here
    assert '<p class="metric-card__value">1</p>' in there and "1 passed over, 1 failed" in there
    assert "0 passed over, 0 failed" in february
