"""A browse card refreshed live keeps its viewer's overlap note ("Overlaps your 17:30 ..."):
the card is built from the class state the event carries, and the socket remembers the
viewer's own classes (web/client/live.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.client.conftest import wait_live
from tests.web_client.helpers import book, fill, later_today, package_for

pytestmark = pytest.mark.browser


def test_a_card_refreshed_live_still_says_it_overlaps_the_viewers_class(
    as_client, second_client, world
):
    package_for(world.a.client)
    mine = later_today(world.a, minutes=120)
    book(world.a.client, mine)
    other_room = factories.RoomFactory(studio=world.a.studio, name="Tower Room")
    clash = later_today(world.a, minutes=135, room=other_room, capacity=2)
    fill(clash, world.a, count=1)
    page = as_client
    page.goto("/classes/")
    wait_live(page)
    card = page.locator(f"#session-{clash.pk}")
    expect(card).to_contain_text("1 spot left")
    expect(card.get_by_test_id("overlap")).to_contain_text("Overlaps your")
    note = card.get_by_test_id("overlap").inner_text()
    assert note.startswith("Overlaps your ") and note.endswith(mine.class_type.name)

    book(second_client.member, clash)  # someone else takes the last place: a live card

    expect(card).to_contain_text("No spots left")
    expect(card.get_by_test_id("overlap")).to_have_text(note)
