"""The staff week grid with classes at the same time in two rooms (issue 13): at 1280 px every
class is readable whole (name, time, room, instructor, booked/capacity) inside its own room's
lane; at 390 px the same classes are a list and nothing scrolls sideways."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from reformer.core.timezones import local_to_utc, local_today
from tests import factories
from tests.factories import make_session
from tests.web_staff.conftest import add_booking, make_client

pytestmark = pytest.mark.browser

TZ = "America/New_York"

# Every piece of text of a card (its descendants' text nodes) must lie inside the card, the
# card inside its lane (the day's header spans the day's lanes; the room's header is the
# lane) and inside the grid's visible box, and no element of the card may be cut short
# (ellipsis or clamped lines show as scroll size larger than the box).
CLIPPED = """
([card, lane]) => {
  const box = (r) => ({left: r.left, right: r.right, top: r.top, bottom: r.bottom});
  const inside = (a, b) => a.left >= b.left - 1 && a.right <= b.right + 1
                         && a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
  const problems = [];
  const cardBox = box(card.getBoundingClientRect());
  const laneBox = box(lane.getBoundingClientRect());
  const grid = card.closest('.week-grid');
  const gridBox = box(grid.getBoundingClientRect());
  if (cardBox.left < laneBox.left - 1 || cardBox.right > laneBox.right + 1)
    problems.push(`card ${JSON.stringify(cardBox)} outside its lane ${JSON.stringify(laneBox)}`);
  if (!inside(cardBox, gridBox)) problems.push('card outside the grid\\'s visible box');
  if (grid.scrollWidth > grid.clientWidth + 1) problems.push('the grid scrolls sideways');
  const walker = document.createTreeWalker(card, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim() || node.parentElement.closest('.visually-hidden, ul')) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const rect of range.getClientRects()) {
      if (!inside(box(rect), cardBox))
        problems.push(`text "${node.textContent.trim()}" sticks out`);
    }
  }
  for (const element of [card, ...card.querySelectorAll('*')]) {
    if (element.closest('ul, .visually-hidden') || !element.offsetParent) continue;
    const wide = element.scrollWidth > element.clientWidth + 1;
    if (wide || element.scrollHeight > element.clientHeight + 1)
      problems.push(`${element.className || element.tagName} overflows its box`);
  }
  return problems;
}
"""


def _next_weekday(weekday: int) -> dt.date:
    start = local_today(TZ) + dt.timedelta(days=7)
    return start + dt.timedelta(days=(weekday - start.weekday()) % 7)


@pytest.fixture
def simultaneous(world):
    """Two classes at 9:00 on a Wednesday in two rooms, with long but ordinary names, and a
    class on each other weekday so the grid has all fourteen lanes of a two-room week."""
    wednesday = _next_weekday(2)
    monday = wednesday - dt.timedelta(days=2)
    tower = factories.RoomFactory(studio=world.a.studio, name="Tower Room", capacity=12)
    teacher = factories.MembershipFactory(
        organization=world.a.organization,
        role="instructor",
        user=factories.UserFactory(name="Margarita Villanueva"),
    )
    foundations = factories.ClassTypeFactory(
        organization=world.a.organization, name="Reformer Foundations"
    )
    jumpboard = factories.ClassTypeFactory(
        organization=world.a.organization, name="Advanced Jumpboard Flow"
    )
    at_nine = local_to_utc(wednesday, dt.time(9), TZ)
    main = make_session(world.a, starts_at=at_nine, class_type=foundations, capacity=10)
    beside = make_session(
        world.a, starts_at=at_nine, room=tower, class_type=jumpboard, instructor=teacher
    )
    for n in range(3):
        add_booking(main, make_client(world.a, f"Client {n}"))
    add_booking(beside, make_client(world.a, "Client Tower"))
    for offset in range(7):
        if offset != 2:
            day = monday + dt.timedelta(days=offset)
            make_session(world.a, starts_at=local_to_utc(day, dt.time(8 + offset), TZ))
    make_session(world.a, starts_at=local_to_utc(monday, dt.time(17), TZ), room=tower)
    return {"day": wednesday, "main": main, "beside": beside, "tower": tower}


def _expected_text(session, room_name: str, instructor: str, booked: int) -> list[str]:
    return ["09:00", session.class_type.name, room_name, instructor, f"{booked}/{session.capacity}"]


@pytest.mark.parametrize("width", [1280, 390])
def test_simultaneous_classes_in_two_rooms_are_readable_whole(
    world, simultaneous, browser, live_url, login, width, assert_accessible
):
    context = browser.new_context(base_url=live_url, viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    login(page, world.a.manager.user)
    day = simultaneous["day"]
    page.goto(f"/staff/schedule/?studio={world.a.studio.pk}&week={day.isoformat()}")
    main, beside = simultaneous["main"], simultaneous["beside"]
    expect(page.locator(f"#grid-session-{main.pk}")).to_be_visible()
    shots = os.environ.get("REFORMER_SCREENSHOTS")
    if shots:  # for a person to look at: REFORMER_SCREENSHOTS=/tmp/shots pytest ...
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{shots}/week-grid-{width}.png", full_page=True)
    expected = {
        main.pk: _expected_text(main, world.a.room.name, "alpha instructor", 3),
        beside.pk: _expected_text(beside, "Tower Room", "Margarita Villanueva", 1),
    }
    boxes = {}
    for pk, texts in expected.items():
        card = page.locator(f"#grid-session-{pk}")
        expect(card).to_be_visible()
        for text in texts:
            expect(card).to_contain_text(text)
        if width >= 1280:
            # Its lane: the room's header of that day (one per room, under the day's name).
            room_index = 0 if pk == main.pk else 1
            lane = page.locator(f'.week-grid__room[data-day="{day.isoformat()}"]').nth(room_index)
            expect(lane).to_have_text(expected[pk][2])
        else:
            lane = page.locator(".week-grid")  # a list: the whole width is the lane
        problems = page.evaluate(CLIPPED, [card.element_handle(), lane.element_handle()])
        assert problems == [], (width, expected[pk][1], problems)
        boxes[pk] = card.bounding_box()
    if width >= 1280:  # side by side, at the same height: a grid, not a list
        assert abs(boxes[main.pk]["y"] - boxes[beside.pk]["y"]) < 2
        assert boxes[beside.pk]["x"] >= boxes[main.pk]["x"] + boxes[main.pk]["width"] - 1
    else:
        assert boxes[beside.pk]["y"] > boxes[main.pk]["y"]
        assert all(box["width"] > width * 0.8 for box in boxes.values())
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    assert_accessible(page)
    context.close()
