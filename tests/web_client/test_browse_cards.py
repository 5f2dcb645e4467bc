"""The browse page's cards come from plain rows and a per-process cache of rendered cards
(web/client/browse_cards.py): the same HTML as the class page's card (the ORM's models
through the same template), shared between viewers, never stale after a change."""

from __future__ import annotations

from django.template.loader import render_to_string

from reformer.bookings.actions import cancel_booking
from reformer.core.timezones import local_today
from reformer.scheduling.models import ClassSession, ClassType
from reformer.studios.models import Studio, StudioPolicy
from reformer.web.client import browse_cards
from reformer.web.client.forms import BrowseFilterForm
from reformer.web.client.queries import browse_sessions, filter_options, session_card
from tests import factories
from tests.web_client.helpers import book, fill, later_today, package_for, session_at, wait_for

BROWSE = "/classes/"


def _page(actor, **params):
    form = BrowseFilterForm(
        params or {"when": "month"},
        options=filter_options(actor),
        today=local_today(actor.organization.time_zone),
    )
    return browse_sessions(actor, form.filters())


def _class_page_card(actor, session_id: int) -> str:
    return render_to_string("client/browse/_card.html", {"card": session_card(actor, session_id)})


def test_every_card_from_a_row_is_the_card_the_class_page_renders(world):
    a = world.a
    me = a.client
    package_for(me, credits=20)
    StudioPolicy.objects.update_or_create(
        studio=a.studio, defaults={"organization": a.organization, "booking_window_days": 10}
    )
    StudioPolicy.objects.update_or_create(
        studio=a.other_studio, defaults={"organization": a.organization, "waitlist_mode": "off"}
    )
    Studio.objects.filter(pk=a.other_studio.pk).update(time_zone="Europe/London")
    pictured = factories.ClassTypeFactory(organization=a.organization, name="Tower Flow")
    ClassType.objects.filter(pk=pictured.pk).update(photo="class-types/1/abc123.jpg")
    open_class = session_at(a, day=1, hour=7, instructor=a.instructor, class_type=pictured)
    booked = session_at(a, day=1, hour=9)
    book(me, booked)
    overlapping = session_at(a, day=1, hour=9, minute=30, studio=a.other_studio)
    full = fill(session_at(a, day=2, hour=9, capacity=2), a)
    waiting = fill(session_at(a, day=2, hour=11, capacity=1), a)
    wait_for(me, waiting)
    no_waitlist = fill(session_at(a, day=2, hour=13, capacity=1, studio=a.other_studio), a)
    # Booked for two hours from now: cancelling is no longer free, so no switch is offered.
    book(me, later_today(a, minutes=120))
    annex_room = factories.RoomFactory(studio=a.other_studio)
    not_switchable = later_today(a, minutes=130, room=annex_room)
    not_open = session_at(a, day=20, hour=9)

    cards = {card.row.id: card for card in _page(me).cards}
    states = {}
    for session in (open_class, booked, overlapping, full, waiting, no_waitlist, not_open):
        card = cards[session.pk]
        assert card.html == _class_page_card(me, session.pk)
        states[session.pk] = card.session_card().state
    assert states == {
        open_class.pk: "open",
        booked.pk: "booked",
        overlapping.pk: "overlap",
        full.pk: "full",
        waiting.pk: "waiting",
        no_waitlist.pk: "full",
        not_open.pk: "not_open",
    }
    assert "type-photo--placeholder" not in cards[open_class.pk].html
    assert "Overlaps your" in cards[overlapping.pk].html
    assert cards[not_switchable.pk].html == _class_page_card(me, not_switchable.pk)
    assert "View your booking" in cards[not_switchable.pk].html
    assert "Switch to this class" in cards[overlapping.pk].html
    # Someone else sees the same classes without any place of theirs.
    other = factories.MembershipFactory(organization=a.organization, role="client")
    for card in _page(other).cards:
        assert card.html == _class_page_card(other, card.row.id)


def test_a_card_is_rendered_once_for_viewers_in_the_same_situation(world, monkeypatch):
    a = world.a
    for hour in (8, 9, 10):
        session_at(a, day=1, hour=hour)
    renders = []
    original = browse_cards.BrowseCard.session_card
    monkeypatch.setattr(
        browse_cards.BrowseCard,
        "session_card",
        lambda self: renders.append(self.row.id) or original(self),
    )
    first = [card.html for card in _page(a.client).cards]
    assert len(renders) == 3
    other = factories.MembershipFactory(organization=a.organization, role="client")
    assert [card.html for card in _page(other).cards] == first
    assert len(renders) == 3


def test_a_changed_class_shows_its_new_state_at_once(as_client, world):
    a = world.a
    session = session_at(a, day=1, hour=9)
    assert "10 spots left" in as_client.get(BROWSE, {"when": "week"}).content.decode()
    other = factories.MembershipFactory(organization=a.organization, role="client")
    package_for(other)
    booking = book(other, session)
    assert "9 spots left" in as_client.get(BROWSE, {"when": "week"}).content.decode()
    # Back to the same counts: the card is the one rendered first (same key), still right.
    cancel_booking(other, booking)
    html = as_client.get(BROWSE, {"when": "week"}).content.decode()
    assert "10 spots left" in html and "9 spots left" not in html
    ClassSession.objects.filter(pk=session.pk).update(status="cancelled")
    assert (
        f'id="session-{session.pk}"' not in as_client.get(BROWSE, {"when": "week"}).content.decode()
    )
    ClassType.objects.filter(pk=a.class_type.pk).update(name="Renamed Flow")
    ClassSession.objects.filter(pk=session.pk).update(status="scheduled")
    assert "Renamed Flow" in as_client.get(BROWSE, {"when": "week"}).content.decode()


def test_the_cache_keeps_a_bounded_number_of_cards(world, monkeypatch):
    monkeypatch.setattr(browse_cards, "MAX_CARDS", 2)
    for hour in (8, 9, 10, 11):
        session_at(world.a, day=1, hour=hour)
    cards = _page(world.a.client).cards
    assert all(card.html for card in cards)
    assert len(browse_cards._cards) == 2
