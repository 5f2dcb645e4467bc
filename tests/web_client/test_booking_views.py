from __future__ import annotations

import icalendar
import pytest

from reformer.bookings.models import Booking
from reformer.core.errors import Busy
from reformer.notifications.models import Message
from tests.web_client.conftest import htmx
from tests.web_client.helpers import book, fill, package_for, session_at


def _book_url(session):
    return f"/classes/{session.pk}/book/"


def test_it_opens_a_dialog_with_cost_policy_and_room_map(as_client, world):
    package = package_for(world.a.client, remaining=7)
    session = session_at(world.a, day=1, hour=7, instructor=world.a.instructor)
    response = as_client.get(_book_url(session), **htmx("dialog-slot"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<dialog class="modal" id="book-dialog"' in html and "data-open-on-load" in html
    assert "Wednesday 5 March 2031, 07:00" in html and "alpha instructor" in html
    assert f"1 credit</strong> from your {package.product.name}" in html
    assert "(7 of 10 left" in html
    assert "Free cancellation until" in html
    assert html.count('name="spot"') == 11  # "any free spot" and the ten reformers
    assert "data-hx-disabled-elt=\"find button[type='submit']\"" in html
    assert '"timeout": 30000' in html


def test_it_shows_the_booking_page_without_javascript(as_client, world):
    package_for(world.a.client)
    session = session_at(world.a, day=1)
    html = as_client.get(_book_url(session)).content.decode()
    assert "<html" in html and "Confirm booking" in html


def test_it_books_and_sends_the_client_to_the_confirmation(as_client, world):
    package = package_for(world.a.client)
    session = session_at(world.a, day=1, hour=7)
    spot = world.a.spots[4]
    response = as_client.post(_book_url(session), {"spot": spot.pk}, **htmx("book-dialog-body"))
    booking = Booking.objects.get(session=session, client=world.a.client)
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/bookings/{booking.reference}/?new=1"
    assert booking.spot == spot
    package.refresh_from_db()
    assert package.credits_remaining == 9
    assert Message.objects.filter(kind="booking_confirmed", recipient=world.a.client.user).exists()
    page = as_client.get(f"/bookings/{booking.reference}/?new=1").content.decode()
    assert "You're booked!" in page and booking.reference in page
    assert "We've emailed your confirmation to client@alpha.example.com" in page
    assert "Reformer 5" in page and "1 Main Street" in page
    assert f'href="/bookings/{booking.reference}/calendar.ics" download' in page


@pytest.fixture
def pooled():
    """The database connection from a pool, as `reformer serve` has it."""
    from django.db import connection

    connection.close()
    options = connection.settings_dict["OPTIONS"]
    options["pool"] = {"min_size": 1, "max_size": 2, "timeout": 5}
    try:
        yield connection.pool
    finally:
        connection.close()
        connection.close_pool()
        del options["pool"]


@pytest.mark.django_db(transaction=True)
def test_a_booking_gives_its_pooled_connection_back_once_its_answer_is_built(
    as_client, world, pooled
):
    """Not after the server has sent it (web/connection_release.py): in the rush the event
    loop's fan-out kept each booking's connection, and other requests got 503s. The test
    client gives back no connection itself, as a server does at the request's end."""
    from django.db import connection

    package_for(world.a.client)
    session = session_at(world.a, day=1)
    response = as_client.post(_book_url(session), **htmx("book-dialog-body"))
    assert "HX-Redirect" in response
    assert connection.connection is None  # back in the pool
    assert pooled.get_stats()["pool_available"] == pooled.get_stats()["pool_size"]
    page = as_client.get(response["HX-Redirect"]).content.decode()  # the session still works
    assert "You're booked!" in page


def test_it_books_once_when_the_button_is_pressed_twice(as_client, world):
    package_for(world.a.client)
    session = session_at(world.a, day=1)
    first = as_client.post(_book_url(session), **htmx("book-dialog-body"))
    second = as_client.post(_book_url(session), **htmx("book-dialog-body"))
    assert first.status_code == 200 and "HX-Redirect" in first
    assert second.status_code == 409
    html = second.content.decode()
    assert "You have already booked this class." in html
    booking = Booking.objects.get(session=session)
    assert f'href="/bookings/{booking.reference}/"' in html
    assert Booking.objects.filter(session=session).count() == 1


def test_it_offers_the_waitlist_when_the_class_just_filled_up(as_client, world):
    package = package_for(world.a.client)
    session = session_at(world.a, day=1, capacity=2)
    as_client.get(_book_url(session), **htmx("dialog-slot"))  # dialog open, then the rest fill it
    fill(session, world.a)
    response = as_client.post(_book_url(session), **htmx("book-dialog-body"))
    html = response.content.decode()
    assert response.status_code == 409
    assert "This class just filled up." in html and "Nothing was charged." in html
    assert f'data-hx-post="/classes/{session.pk}/waitlist/"' in html
    package.refresh_from_db()
    assert package.credits_remaining == 10
    joined = as_client.post(f"/classes/{session.pk}/waitlist/", **htmx("book-dialog-body"))
    assert "You're on the waitlist" in joined.content.decode()
    assert "number 1 in line" in joined.content.decode()


def test_it_shows_the_packages_to_buy_when_credits_run_out(as_client, world):
    package_for(world.a.client, remaining=0)
    session = session_at(world.a, day=1)
    dialog = as_client.get(_book_url(session), **htmx("dialog-slot")).content.decode()
    assert "Insufficient credits" in dialog and "Confirm booking" not in dialog
    response = as_client.post(_book_url(session), **htmx("book-dialog-body"))
    html = response.content.decode()
    assert response.status_code == 402
    assert "Insufficient credits" in html and 'class="products"' in html and "$250.00" in html
    assert not Booking.objects.filter(session=session).exists()


def test_it_offers_online_buying_only_with_stripe_connected(as_client, world):
    """Without Stripe the front desk is the one way to buy: no "online" promise or shop link."""
    from reformer.payments.models import StripeAccount

    package_for(world.a.client, remaining=0)
    session = session_at(world.a, day=1)
    html = as_client.post(_book_url(session), **htmx("book-dialog-body")).content.decode()
    assert "Buy a package at the studio's front desk." in html
    assert "online" not in html and "/shop" not in html
    StripeAccount.objects.create(
        organization=world.a.organization,
        secret_key_encrypted="x",
        webhook_secret_encrypted="x",
        secret_key_last4="4242",
        webhook_secret_last4="4242",
        mode="test",
    )
    html = as_client.post(_book_url(session), **htmx("book-dialog-body")).content.decode()
    assert "online or at the studio's front desk" in html


def test_it_says_when_a_picked_spot_was_just_taken(as_client, world):
    package_for(world.a.client)
    session = session_at(world.a, day=1)
    other = world.a.client.__class__.objects.create(
        user=world.outsider, organization=world.a.organization, role="client"
    )
    package_for(other)
    book(other, session, spot=world.a.spots[0])
    response = as_client.post(
        _book_url(session), {"spot": world.a.spots[0].pk}, **htmx("book-dialog-body")
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "That spot was just taken" in html and "Confirm booking" in html


def test_it_shows_busy_as_a_try_again(as_client, world, monkeypatch):
    from reformer.web.client.views import booking as booking_views

    def busy(*args, **kwargs):
        raise Busy()

    monkeypatch.setattr(booking_views, "book_session", busy)
    package_for(world.a.client)
    session = session_at(world.a, day=1)
    response = as_client.post(_book_url(session), **htmx("book-dialog-body"))
    assert response.status_code == 503
    html = response.content.decode()
    assert "The studio is busy right now. Please try again in a moment." in html
    assert "Confirm booking" in html


def test_it_refuses_another_organizations_class_and_spot(as_client, world):
    package_for(world.a.client)
    theirs = session_at(world.b, day=1)
    assert as_client.get(_book_url(theirs)).status_code == 404
    assert as_client.post(_book_url(theirs)).status_code == 404
    mine = session_at(world.a, day=1)
    response = as_client.post(_book_url(mine), {"spot": world.b.spots[0].pk})
    assert response.status_code == 404
    assert not Booking.objects.exists()


@pytest.mark.parametrize("role", ["owner", "front_desk", "instructor"])
def test_it_refuses_staff_booking_for_themselves(client, world, role):
    client.force_login(getattr(world.a, role).user)
    session = session_at(world.a, day=1)
    assert client.post(_book_url(session)).status_code == 403


def test_it_shows_only_the_clients_own_bookings(as_client, world, client):
    package_for(world.b.client)
    theirs = book(world.b.client, session_at(world.b, day=1))
    assert as_client.get(f"/bookings/{theirs.reference}/").status_code == 404
    assert as_client.get(f"/bookings/{theirs.reference}/calendar.ics").status_code == 404
    # Another client of the same organization is not allowed either.
    other = world.a.client.__class__.objects.create(
        user=world.outsider, organization=world.a.organization, role="client"
    )
    package_for(other)
    neighbour = book(other, session_at(world.a, day=1))
    assert as_client.get(f"/bookings/{neighbour.reference}/").status_code == 404
    assert as_client.post(f"/bookings/{neighbour.reference}/cancel/").status_code == 404


def test_it_downloads_the_booking_as_a_calendar_file(as_client, world):
    package_for(world.a.client)
    booking = book(world.a.client, session_at(world.a, day=1, hour=7))
    response = as_client.get(f"/bookings/{booking.reference}/calendar.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert f'filename="class-{booking.reference}.ics"' in response["Content-Disposition"]
    (event,) = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["UID"]) == f"booking-{booking.reference}@reformer.calendar"
    # 07:00 in the studio's zone (EST), with its VTIMEZONE in the file.
    assert b"DTSTART;TZID=America/New_York:20310305T070000" in response.content
    assert str(event["URL"]) == f"http://testserver/bookings/{booking.reference}/"


def test_it_states_the_credit_comes_back_when_cancelling_in_time(as_client, world):
    package = package_for(world.a.client)
    booking = book(world.a.client, session_at(world.a, day=2))
    dialog = as_client.get(
        f"/bookings/{booking.reference}/cancel/?from=dashboard", **htmx("dialog-slot")
    ).content.decode()
    assert "Your credit will come back to your package." in dialog
    assert 'data-hx-target="#dashboard-main"' in dialog
    response = as_client.post(
        f"/bookings/{booking.reference}/cancel/", {"from": "dashboard"}, **htmx("dashboard-main")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "reformer:close-dialog" in response["HX-Trigger-After-Swap"]
    assert "Booking cancelled. Your credit is back in your package." in html
    assert 'id="dash-past"' in html and "Cancelled" in html
    package.refresh_from_db()
    assert package.credits_remaining == 10


def test_it_warns_a_late_cancellation_keeps_the_credit(as_client, world):
    package = package_for(world.a.client)
    from tests.web_client.helpers import later_today

    booking = book(world.a.client, later_today(world.a, minutes=120))
    page = as_client.get(f"/bookings/{booking.reference}/").content.decode()
    assert "if you cancel now the studio keeps the credit." in page  # the policy, said once
    dialog = as_client.get(
        f"/bookings/{booking.reference}/cancel/", **htmx("dialog-slot")
    ).content.decode()
    assert "The studio keeps the credit (late cancellation)." in dialog
    response = as_client.post(
        f"/bookings/{booking.reference}/cancel/", **htmx("cancel-dialog-body")
    )
    assert response["HX-Redirect"] == f"/bookings/{booking.reference}/"
    package.refresh_from_db()
    assert package.credits_remaining == 9
    booking.refresh_from_db()
    assert booking.status == "late_cancelled"
    again = as_client.post(f"/bookings/{booking.reference}/cancel/", **htmx("dashboard-main"))
    assert again.status_code == 409
    assert again["HX-Retarget"] == "#cancel-dialog-body"
    assert "already cancelled" in again.content.decode()


def test_it_refuses_an_overlapping_class(as_client, world):
    package_for(world.a.client)
    book(world.a.client, session_at(world.a, day=1, hour=9))
    clash = session_at(world.a, day=1, hour=9, minute=30, studio=world.a.other_studio)
    dialog = as_client.get(_book_url(clash), **htmx("dialog-slot")).content.decode()
    # Cancelling the other is still free: the dialog offers a switch, never a second place.
    assert "This class overlaps your Reformer Flow" in dialog
    assert "Confirm booking" not in dialog and "Switch to this class" in dialog
    response = as_client.post(_book_url(clash), **htmx("book-dialog-body"))
    assert response.status_code == 409
    assert Booking.objects.filter(session=clash).count() == 0
