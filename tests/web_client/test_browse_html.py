"""The browse list is joined from day and time-slot frames kept per process
(web/client/browse_html.py): a kept frame never shows another day's "Today", another
organization's time format or another window's heading ids."""

from __future__ import annotations

import datetime as dt

from reformer.studios.models import Organization
from reformer.web.client import browse_html
from tests.web_client.conftest import NOW
from tests.web_client.helpers import package_for, session_at

BROWSE = "/classes/"


def _day_headings(html: str) -> list[str]:
    return [
        part.split("</h2>")[0].split(">", 1)[1]
        for part in html.split('class="browse-day__title')[1:]
    ]


def test_the_day_headings_follow_the_clock(as_client, world, clock):
    session_at(world.a, day=1, hour=18)  # still ahead a day later (the clock is at 09:00)
    session_at(world.a, day=2, hour=18)
    before = _day_headings(as_client.get(BROWSE, {"when": "week"}).content.decode())
    assert before[0].startswith("Tomorrow, ") and not before[1].startswith(("Today", "Tomorrow"))
    clock.move_to(NOW + dt.timedelta(days=1))
    after = _day_headings(as_client.get(BROWSE, {"when": "week"}).content.decode())
    assert after[0] == before[0].replace("Tomorrow", "Today")
    assert after[1] == f"Tomorrow, {before[1]}"


def test_each_organization_sees_times_in_its_own_format(client, world):
    a, b = world.a, world.b
    Organization.objects.filter(pk=a.organization.pk).update(locale="en-US")
    Organization.objects.filter(pk=b.organization.pk).update(locale="en-GB")
    session_at(a, day=1, hour=17, minute=30)
    session_at(b, day=1, hour=17, minute=30)
    client.force_login(a.client.user)
    us = client.get(BROWSE, {"when": "week"}).content.decode()
    client.force_login(b.client.user)
    uk = client.get(BROWSE, {"when": "week"}).content.decode()
    assert 'aria-label="Classes at 5:30\xa0PM"' in us and "Classes at 17:30" not in us
    assert 'aria-label="Classes at 17:30"' in uk and "Classes at 5:30" not in uk


def test_a_later_window_has_its_own_heading_ids(as_client, world, monkeypatch):
    monkeypatch.setattr("reformer.web.client.queries.PAGE_SIZE", 2)
    package_for(world.a.client)
    for hour in (8, 9, 10):
        session_at(world.a, day=1, hour=hour)
    first = as_client.get(BROWSE, {"when": "week"}).content.decode()
    more = as_client.get(
        BROWSE,
        {"when": "week", "offset": 2},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="browse-more-2",
    ).content.decode()
    assert 'id="day-' in first and 'id="day-' in more
    first_ids = {part.split('"')[0] for part in first.split('id="day-')[1:]}
    more_ids = {part.split('"')[0] for part in more.split('id="day-')[1:]}
    assert first_ids.isdisjoint(more_ids)
    assert "(continued)" in more


def test_the_frames_kept_are_bounded(world, monkeypatch):
    monkeypatch.setattr(browse_html, "MAX_KEPT", 3)
    today = dt.date(2031, 3, 4)
    for day in range(5):
        browse_html.frame(
            "client/browse/_day.html",
            {"day": today + dt.timedelta(days=day), "continued": False, "offset": 0, "tz": "UTC"},
            today,
        )
    assert len(browse_html._kept) == 3


def test_a_frame_is_the_template_around_its_content(world):
    before, after = browse_html.frame(
        "client/browse/_slot.html",
        {"time": dt.datetime(2031, 3, 5, 9, 0, tzinfo=dt.UTC), "continued": True},
        dt.date(2031, 3, 4),
    )
    assert before.rstrip().endswith('<div class="slot__cards">')
    assert "slot__time visually-hidden" in before
    assert after.strip().startswith("</div>") and "\x00" not in before + after


def test_the_same_moment_in_two_zones_keeps_two_slot_headings(as_client, world):
    # 09:00 in New York is 14:00 in London: equal datetimes, so equal in a key, but two
    # different headings (an organization with a studio in each city).
    from reformer.studios.models import Studio

    a = world.a
    Organization.objects.filter(pk=a.organization.pk).update(locale="en-GB")
    Studio.objects.filter(pk=a.other_studio.pk).update(time_zone="Europe/London")
    session_at(a, day=1, hour=9)
    session_at(a, day=1, hour=9, studio=a.other_studio)  # the same moment (New York hours)
    page = as_client.get(BROWSE, {"when": "week"}).content.decode()
    assert 'aria-label="Classes at 09:00"' in page
    assert 'aria-label="Classes at 14:00 GMT"' in page  # another zone than home: named


def test_the_same_wall_clock_time_in_two_zones_is_two_slots(as_client, world):
    """9:00 in London and 9:00 in New York are five hours apart: each class sits under its
    own zone's heading, never under the other's (the card shows no time of its own)."""
    from reformer.core.timezones import local_to_utc
    from reformer.studios.models import Studio
    from tests import factories

    a = world.a
    Organization.objects.filter(pk=a.organization.pk).update(locale="en-GB")
    Studio.objects.filter(pk=a.other_studio.pk).update(time_zone="Europe/London")
    new_york = session_at(a, day=2, hour=9)
    london_start = local_to_utc(
        new_york.starts_at.astimezone(dt.UTC).date(), dt.time(9, 0), "Europe/London"
    )
    london = factories.ClassSessionFactory(
        room=factories.RoomFactory(studio=a.other_studio),
        class_type=a.class_type,
        starts_at=london_start,
        ends_at=london_start + dt.timedelta(minutes=50),
        capacity=10,
    )
    page = as_client.get(BROWSE, {"when": "week"}).content.decode()
    home = page.split('aria-label="Classes at 09:00"')
    away = page.split('aria-label="Classes at 09:00 GMT"')
    assert len(home) == 2 and len(away) == 2
    assert f"/classes/{new_york.pk}/" in home[1].split("slot__time")[1]
    assert f"/classes/{london.pk}/" in away[1].split("slot__time")[1]
    assert f"/classes/{london.pk}/" not in home[1].split("slot__time")[1]
