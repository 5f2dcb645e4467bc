"""Live renderers of the staff pages (web/staff/live.py)."""

from __future__ import annotations

import pytest

from reformer.web import live_render
from reformer.web.live_render import Subscriptions
from tests.web_staff.conftest import add_booking, add_waiting, make_client

pytestmark = pytest.mark.django_db


def _render(viewer, event, **subs):
    return live_render.render_event(viewer, event, Subscriptions(**subs))


def test_it_rerenders_the_roster_and_announces_a_new_booking(world, session_a):
    booking = add_booking(session_a, make_client(world.a, "Ada Lovelace"))
    html = _render(
        world.a.instructor,
        {"type": "booking", "op": "created", "ids": [booking.pk]},
        session_ids=frozenset({session_a.pk}),
    )
    assert '<div id="roster"' in html and 'data-hx-swap-oob="true"' in html
    assert f'id="booking-{booking.pk}"' in html
    assert "New booking: Ada Lovelace" in html


def test_it_replaces_the_row_and_the_counts_on_attendance(world, session_a):
    booking = add_booking(session_a, make_client(world.a, "Ada Lovelace"), status="attended")
    html = _render(
        world.a.front_desk,
        {"type": "booking", "op": "attendance", "ids": [booking.pk]},
        session_ids=frozenset({session_a.pk}),
    )
    assert html.lstrip().startswith(f'<li id="booking-{booking.pk}"')
    assert 'data-hx-swap-oob="true"' in html
    assert "New booking" not in html
    # Other screens on the class see its counts follow the mark (PHX-12).
    assert '<dl id="roster-stats" class="roster__stats" data-hx-swap-oob="true">' in html
    assert '<dd data-stat="attended">1</dd>' in html
    assert '<div id="roster"' not in html


def test_it_updates_the_roster_when_the_waitlist_changes(world, session_a):
    entry = add_waiting(session_a, make_client(world.a, "Wanda Wait"))
    html = _render(
        world.a.manager,
        {"type": "waitlist", "op": "joined", "ids": [entry.pk]},
        session_ids=frozenset({session_a.pk}),
    )
    assert "Wanda Wait" in html


def test_it_renders_nothing_for_pages_without_the_roster(world, session_a):
    booking = add_booking(session_a, make_client(world.a, "Ada Lovelace"))
    event = {"type": "booking", "op": "created", "ids": [booking.pk]}
    assert _render(world.a.instructor, event, user=True) == ""
    assert _render(world.a.client, event, session_ids=frozenset({session_a.pk})) == ""
    assert _render(world.b.owner, event, session_ids=frozenset({session_a.pk})) == ""


def test_it_keeps_another_instructors_roster_private(world, session_a):
    session_a.instructor = world.a.manager
    session_a.save()
    booking = add_booking(session_a, make_client(world.a, "Ada Lovelace"))
    html = _render(
        world.a.instructor,
        {"type": "booking", "op": "created", "ids": [booking.pk]},
        session_ids=frozenset({session_a.pk}),
    )
    assert html == ""


def test_it_updates_the_rows_of_a_class_on_checkin_and_schedule(world, session_a):
    html = _render(
        world.a.front_desk,
        {"type": "session", "op": "availability", "ids": [session_a.pk]},
        studio_ids=frozenset({world.a.studio.pk}),
    )
    assert f'id="checkin-session-{session_a.pk}"' in html
    assert f'id="schedule-session-{session_a.pk}"' in html
    assert "assign-form" not in html  # front desk does not staff classes
    manager_html = _render(
        world.a.manager,
        {"type": "session", "op": "updated", "ids": [session_a.pk]},
        studio_ids=frozenset({world.a.studio.pk}),
    )
    assert "assign-form" in manager_html and "alpha instructor" in manager_html
