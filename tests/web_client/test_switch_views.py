"""A class overlapping one of the client's bookings: the card says so, the dialog offers the
switch while cancelling is free, and the switch posts through one action."""

from __future__ import annotations

import datetime as dt

import pytest

from reformer.bookings.models import Booking
from tests import factories
from tests.web_client.conftest import htmx
from tests.web_client.helpers import book, package_for, session_at


@pytest.fixture
def pair(world):
    """Tomorrow 17:30 Reformer Foundations (booked) and a class at 17:45 in another room."""
    foundations = factories.ClassTypeFactory(
        organization=world.a.organization, name="Reformer Foundations"
    )
    booked = session_at(world.a, day=1, hour=17, minute=30, class_type=foundations)
    other = session_at(
        world.a, day=1, hour=17, minute=45, room=factories.RoomFactory(studio=world.a.studio)
    )
    package_for(world.a.client)
    return booked, other, book(world.a.client, booked)


def test_the_card_says_it_overlaps_and_offers_the_switch(as_client, pair):
    _booked, other, _booking = pair
    html = as_client.get("/classes/?when=tomorrow").content.decode()
    card = html[html.index(f'id="session-{other.pk}"') :]
    card = card[: card.index("</article>")]
    assert "Overlaps your 17:30 Reformer Foundations" in card
    assert f'id="switch-{other.pk}"' in card and "Switch to this class" in card
    assert "Book<" not in card


def test_inside_the_window_the_card_links_the_booking_instead(as_client, pair, clock):
    booked, other, booking = pair
    clock.move_to(booked.starts_at - dt.timedelta(hours=3))
    html = as_client.get(f"/classes/{other.pk}/").content.decode()
    assert "Overlaps your 17:30 Reformer Foundations" in html
    assert "Switch to this class" not in html
    assert f'href="/bookings/{booking.reference}/"' in html
    dialog = as_client.get(f"/classes/{other.pk}/book/", **htmx("dialog-slot")).content.decode()
    assert "Free cancellation of your Reformer Foundations closed at" in dialog
    assert "confirm-booking" not in dialog and "confirm-switch" not in dialog


def test_the_dialog_explains_the_switch_and_it_goes_through(as_client, world, pair):
    _booked, other, booking = pair
    dialog = as_client.get(f"/classes/{other.pk}/book/", **htmx("dialog-slot")).content.decode()
    assert "This class overlaps your Reformer Foundations" in dialog
    assert "returns its credit" in dialog and "stays booked" in dialog
    assert f'value="{booking.reference}"' in dialog and "Switch to this class" in dialog

    response = as_client.post(
        f"/classes/{other.pk}/switch/",
        {"booking": booking.reference, "spot": "auto"},
        **htmx("book-dialog-body"),
    )
    new = Booking.objects.get(session=other, client=world.a.client)
    assert response["HX-Redirect"] == (
        f"/bookings/{new.reference}/?new=1&switched={booking.reference}"
    )
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.credit_returned
    page = as_client.get(response["HX-Redirect"]).content.decode()
    assert f"Your Reformer Foundations ({booking.reference}) is cancelled" in page


def test_a_switch_refused_shows_why_and_changes_nothing(as_client, world, pair):
    booked, other, booking = pair
    response = as_client.post(
        f"/classes/{booked.pk}/switch/", {"booking": booking.reference}, **htmx("book-dialog-body")
    )
    assert response.status_code == 409  # the same class: nothing to switch
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    missing = as_client.post(f"/classes/{other.pk}/switch/", {"booking": "NOPE"})
    assert missing.status_code == 404
