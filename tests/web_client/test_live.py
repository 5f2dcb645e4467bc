from __future__ import annotations

from reformer.core import live
from reformer.web import live_render
from reformer.web.live_render import Subscriptions
from tests import factories
from tests.web_client.helpers import book, fill, package_for, session_at, wait_for


def _render(member, type_, op, ids, **subs):
    """What a socket sends for an event as published (a "session" event carries states)."""
    return live_render.render_event(member, live.build_event(type_, op, ids), Subscriptions(**subs))


def test_it_renders_changed_cards_for_each_viewer(world):
    package_for(world.a.client)
    session = session_at(world.a, day=1)
    book(world.a.client, session)
    studios = frozenset({world.a.studio.pk})
    mine = _render(world.a.client, "session", "availability", [session.pk], studio_ids=studios)
    assert f'<article id="session-{session.pk}"' in mine
    assert (
        'data-hx-swap-oob="outerHTML"' in mine
        and "You're booked" in mine
        and "9 spots left" in mine
    )
    other = factories.MembershipFactory(organization=world.a.organization, role="client")
    theirs = _render(other, "session", "availability", [session.pk], studio_ids=studios)
    assert "You're booked" not in theirs and ">Book<" in theirs


def test_it_renders_nothing_for_pages_without_the_schedule(world):
    session = session_at(world.a, day=1)
    assert _render(world.a.client, "session", "availability", [session.pk], user=True) == ""
    other_studio = frozenset({world.a.other_studio.pk})
    assert (
        _render(world.a.client, "session", "availability", [session.pk], studio_ids=other_studio)
        == ""
    )


def test_it_never_renders_another_organizations_class(world):
    theirs = session_at(world.b, day=1)
    studios = frozenset({world.b.studio.pk, world.a.studio.pk})
    assert _render(world.a.client, "session", "availability", [theirs.pk], studio_ids=studios) == ""


def test_it_sends_the_waitlist_position_with_the_card(world):
    package_for(world.a.client)
    session = fill(session_at(world.a, day=1, capacity=1), world.a)
    wait_for(world.a.client, session)
    html = _render(
        world.a.client,
        "session",
        "availability",
        [session.pk],
        studio_ids=frozenset({world.a.studio.pk}),
        user=True,
        page="client.dashboard",
    )
    assert (
        f'<span id="wait-pos-{session.pk}" class="badge badge--info" data-hx-swap-oob="true">#1 on'
        in html
    )


def test_it_rerenders_the_dashboard_sections_an_event_touches(world):
    package_for(world.a.client)
    booking = book(world.a.client, session_at(world.a, day=1))
    dashboard = {"user": True, "page": "client.dashboard"}
    booked = _render(world.a.client, "booking", "created", [booking.pk], **dashboard)
    assert '<section id="dash-upcoming"' in booked and '<section id="dash-past"' in booked
    assert booking.reference in booked and 'id="dash-packages"' not in booked
    credits = _render(
        world.a.client, "package", "updated", [booking.client_package_id], **dashboard
    )
    assert '<section id="dash-packages"' in credits and '<div id="dash-alerts"' in credits
    assert "9 of 10 credits remaining" in credits
    waiting = _render(world.a.client, "waitlist", "left", [1], **dashboard)
    assert '<section id="dash-waitlist"' in waiting and 'data-hx-swap-oob="true"' in waiting


def test_it_sends_each_page_only_the_fragments_it_has_a_place_for(world):
    package_for(world.a.client)
    session = fill(session_at(world.a, day=1, capacity=1), world.a)
    wait_for(world.a.client, session)
    studios = frozenset({world.a.studio.pk})
    browse = _render(world.a.client, "session", "availability", [session.pk], studio_ids=studios)
    assert f'id="session-{session.pk}"' in browse and "wait-pos-" not in browse
    assert _render(world.a.client, "waitlist", "left", [1], user=True) == ""
    dashboard = _render(
        world.a.client,
        "session",
        "availability",
        [session.pk],
        studio_ids=studios,
        user=True,
        page="client.dashboard",
    )
    assert f'id="session-{session.pk}"' not in dashboard and "wait-pos-" in dashboard


def test_it_renders_nothing_for_staff(world):
    from reformer.web.client import live as client_live

    session = session_at(world.a, day=1)
    event = live.build_event("session", "availability", [session.pk])
    studios = Subscriptions(studio_ids=frozenset({world.a.studio.pk}), user=True)
    assert client_live.session_cards(live_render.Viewer(world.a.owner, studios), event) == ""
    assert client_live.booking_sections(world.a.owner, {**event, "type": "booking"}, studios) == ""


def test_it_renders_a_card_once_for_viewers_in_the_same_situation(
    world, django_assert_num_queries, monkeypatch
):
    from reformer.web.client import card_cache

    package_for(world.a.client)
    session = session_at(world.a, day=1)
    subs = Subscriptions(studio_ids=frozenset({world.a.studio.pk}))
    viewers = [
        live_render.load_viewer(
            factories.MembershipFactory(organization=world.a.organization, role="client"), subs
        )
        for _ in range(3)
    ]
    rendered = []
    monkeypatch.setattr(card_cache, "_render", lambda *args: rendered.append(args) or "card")
    event = live.build_event("session", "availability", [session.pk])
    with django_assert_num_queries(0):  # the state came with the event, the places at connect
        assert {live_render.render_local(viewer, event) for viewer in viewers} == {"card"}
    assert len(rendered) == 1
    # A booking changes the state: a fresh card, and the booker gets their own variant.
    monkeypatch.undo()
    book(world.a.client, session)
    event = live.build_event("session", "availability", [session.pk])
    after = live_render.render_local(viewers[0], event)
    assert "9 spots left" in after and "You're booked" not in after
    mine = live_render.render_event(world.a.client, event, subs)
    assert "9 spots left" in mine and "You're booked" in mine


def test_a_card_from_the_state_is_the_card_the_page_renders(world):
    """The live card (built from the event's state, no query) and the page's card (read
    through the ORM) are the same HTML, for a booked, a waiting and an uninvolved viewer,
    the class type's photo included."""
    from reformer.scheduling.models import ClassType
    from reformer.web.client.queries import session_card

    ClassType.objects.filter(pk=world.a.class_type.pk).update(photo="class-types/1/abc123.jpg")
    package_for(world.a.client)
    open_class = session_at(world.a, day=1, instructor=world.a.instructor)
    book(world.a.client, open_class)
    full = fill(session_at(world.a, day=2, capacity=1), world.a)
    wait_for(world.a.client, full)
    other = factories.MembershipFactory(organization=world.a.organization, role="client")
    subs = Subscriptions(studio_ids=frozenset({world.a.studio.pk}))
    for viewer in (world.a.client, other):
        for session in (open_class, full):
            live_html = _render(viewer, "session", "availability", [session.pk], **vars(subs))
            page_html = live_render.fragment(
                "client/browse/_card.html",
                {"card": session_card(viewer, session.pk), "oob": True},
            )
            assert live_html == page_html


def test_a_viewer_knows_at_connect_which_events_need_the_database(world, monkeypatch):
    """Worked out in the connect's worker thread, not for each socket on the first event's
    way through the loop."""
    subs = Subscriptions(studio_ids=frozenset({world.a.studio.pk}), user=True)
    viewer = live_render.load_viewer(world.a.client, subs)
    monkeypatch.setattr(live_render, "_database_renderers", lambda event_type: 1 / 0)
    event = live.build_event("session", "availability", [session_at(world.a, day=1).pk])
    assert not live_render.needs_database(viewer, event)
    assert not live_render.needs_database(viewer, {"type": "package", "op": "changed"})


def test_the_booker_gets_their_reference_from_their_own_booking_event(world):
    """The socket remembers its viewer's bookings (loaded at connect); a booking made while
    it is open arrives as the viewer's own "booking" event and is remembered from then on."""
    package_for(world.a.client)
    session = session_at(world.a, day=1)
    subs = Subscriptions(studio_ids=frozenset({world.a.studio.pk}), user=True)
    viewer = live_render.load_viewer(world.a.client, subs)
    assert viewer.memory["client.places"] == {}
    booking = book(world.a.client, session)
    live_render.render_with_database(viewer, live.build_event("booking", "created", [booking.pk]))
    assert viewer.memory["client.places"] == {session.pk: booking.reference}
    card = live_render.render_local(
        viewer, live.build_event("session", "availability", [session.pk])
    )
    assert "You're booked" in card and booking.reference in card


def test_a_live_card_keeps_the_viewers_overlap_note(world, django_assert_num_queries):
    """A card refreshed live says "Overlaps your 17:30 ..." as the page did: the socket
    remembers its viewer's own classes' times (no query per card), and forgets a class they
    cancel."""
    from reformer.bookings.actions import cancel_booking
    from reformer.web.client.queries import session_card

    package_for(world.a.client)
    mine = session_at(world.a, day=1, hour=17, minute=30)
    other_room = factories.RoomFactory(studio=world.a.studio)
    clash = session_at(world.a, day=1, hour=17, minute=45, room=other_room)
    later = session_at(world.a, day=1, hour=19, room=other_room)
    booking = book(world.a.client, mine)
    subs = Subscriptions(studio_ids=frozenset({world.a.studio.pk}), user=True)
    viewer = live_render.load_viewer(world.a.client, subs)

    someone = factories.MembershipFactory(organization=world.a.organization, role="client")
    package_for(someone)
    book(someone, clash)  # the clashing class changes: every open page gets its card
    event = live.build_event("session", "availability", [clash.pk, later.pk])
    assert not live_render.needs_database(viewer, event)
    with django_assert_num_queries(0):
        cards = live_render.render_local(viewer, event)
    clash_card, later_card = cards.split(f'<article id="session-{later.pk}"')
    assert "Overlaps your 17:30 Reformer Flow" in clash_card
    assert "Overlaps your" not in later_card
    page_card = live_render.fragment(
        "client/browse/_card.html",
        {"card": session_card(world.a.client, clash.pk), "oob": True},
    )
    assert clash_card.strip() == page_card.strip()

    cancel_booking(world.a.client, booking)
    live_render.render_with_database(viewer, live.build_event("booking", "cancelled", [booking.pk]))
    card = live_render.render_local(viewer, live.build_event("session", "availability", [clash.pk]))
    assert "Overlaps your" not in card and ">Book<" in card
