"""PHX-24 over HTTP: subscribing, polling (ETag/304), revoking, the public studio feed."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from django.urls import reverse

from reformer.bookings.models import Booking
from reformer.calendars import actions
from reformer.calendars.models import CalendarFeed
from reformer.core.models import AuditEvent
from reformer.web.calendars import views as calendar_views
from tests import factories


def _book(tenant, *, days=2):
    session = factories.ClassSessionFactory(
        room=tenant.room, class_type=tenant.class_type, instructor=tenant.instructor
    )
    session.starts_at += dt.timedelta(days=days)
    session.ends_at += dt.timedelta(days=days)
    session.save()
    return Booking.objects.create(
        organization=tenant.organization,
        session=session,
        client=tenant.client,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
    )


def _feed_url(feed):
    return reverse("calendars:feed", args=[feed.token])


def test_subscribing_from_the_page_gives_webcal_google_and_outlook_links(client, world):
    client.force_login(world.a.client.user)
    page = client.get(reverse("calendars:mine"))
    assert page.status_code == 200 and b"Create my calendar link" in page.content
    response = client.post(reverse("calendars:create"), follow=True)
    feed = CalendarFeed.objects.get(membership=world.a.client)
    html = response.content.decode()
    assert f"webcal://testserver/calendar/feed/{feed.token}.ics" in html
    assert "https://calendar.google.com/calendar/render?cid=webcal%3A%2F%2Ftestserver" in html
    assert "outlook.live.com/calendar/0/addfromweb?url=http%3A%2F%2Ftestserver" in html
    assert AuditEvent.objects.filter(code="calendar.feed.created").count() == 1
    # Creating again keeps the same link.
    client.post(reverse("calendars:create"))
    assert CalendarFeed.objects.filter(membership=world.a.client).count() == 1


@pytest.mark.scenario("PHX-24", "Subscribe to booking calendar feed")
def test_the_feed_updates_when_a_booking_is_made_and_answers_304_while_unchanged(client, world):
    feed = actions.create_feed(world.a.client)
    first = client.get(_feed_url(feed))
    assert first.status_code == 200
    assert first["Content-Type"] == "text/calendar; charset=utf-8"
    assert not icalendar.Calendar.from_ical(first.content).walk("VEVENT")
    not_modified = client.get(_feed_url(feed), HTTP_IF_NONE_MATCH=first["ETag"])
    assert not_modified.status_code == 304 and not_modified.content == b""

    booking = _book(world.a)
    changed = client.get(_feed_url(feed), HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    assert booking.reference.encode() in changed.content
    assert "Last-Modified" in changed


@pytest.mark.scenario("PHX-24", "Handle invalid calendar feed URL")
@pytest.mark.parametrize("how", ["unknown", "revoked", "reset", "expired", "deactivated"])
def test_a_dead_token_answers_404_with_how_to_get_a_new_link_and_nothing_else(client, world, how):
    _book(world.a)
    feed = actions.create_feed(world.a.client)
    url = _feed_url(feed)
    if how == "unknown":
        url = reverse("calendars:feed", args=["x" * 43])
    elif how == "revoked":
        actions.revoke_own_feed(world.a.client)
    elif how == "reset":
        new = actions.reset_feed(world.a.client)
        assert client.get(_feed_url(new)).status_code == 200
    elif how == "expired":
        CalendarFeed.objects.filter(pk=feed.pk).update(
            expires_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        )
    else:
        world.a.client.active = False
        world.a.client.save()
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    # The same words whichever way the link died (nothing tells which), no booking data.
    assert response.content.decode() == (
        "This calendar link is no longer valid. Get a new link from your Calendar page at "
        "http://testserver/calendar/.\n"
    )
    assert "ETag" not in response and "Set-Cookie" not in response


def test_feeds_are_rate_limited_per_token(client, world, monkeypatch):
    monkeypatch.setattr(calendar_views, "POLLS_PER_HOUR", 3)
    feed = actions.create_feed(world.a.client)
    codes = [client.get(_feed_url(feed)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_a_poll_is_recorded_and_renews_the_year(client, world):
    feed = actions.create_feed(world.a.client)
    client.get(_feed_url(feed))
    feed.refresh_from_db()
    assert feed.poll_count == 1 and feed.last_polled_at is not None
    assert feed.expires_at > feed.last_polled_at + dt.timedelta(days=364)


def test_reminders_form_saves_and_refuses_nonsense(client, world):
    client.force_login(world.a.client.user)
    assert client.post(reverse("calendars:reminders"), {"reminders": "30m"}).status_code == 302
    assert CalendarFeed.objects.get(membership=world.a.client).reminders == "30m"
    response = client.post(reverse("calendars:reminders"), {"reminders": "never-ever"})
    assert response.status_code == 422
    assert b"Choose one of the reminder options." in response.content
    assert CalendarFeed.objects.get(membership=world.a.client).reminders == "30m"


def test_staff_may_turn_off_a_clients_feed(client, world):
    feed = actions.create_feed(world.a.client)
    client.force_login(world.a.owner.user)
    listing = client.get(reverse("calendars:subscriptions"))
    assert world.a.client.user.email.encode() in listing.content
    assert client.post(reverse("calendars:revoke", args=[feed.pk])).status_code == 302
    assert client.get(_feed_url(feed)).status_code == 404
    assert AuditEvent.objects.filter(code="calendar.feed.revoked_by_staff").exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [("b_owner", 404), ("front_desk", 403), ("instructor", 403), ("client", 403)],
)
def test_others_may_not_turn_off_a_feed(client, world, who, status):
    feed = actions.create_feed(world.a.client)
    actor = world.b.owner if who == "b_owner" else world.a.members[who]
    client.force_login(actor.user)
    assert client.post(reverse("calendars:revoke", args=[feed.pk])).status_code == status
    assert CalendarFeed.objects.get(pk=feed.pk).revoked_at is None


def test_a_manager_may_not_turn_off_an_owners_feed(world):
    feed = actions.create_feed(world.a.owner)
    with pytest.raises(actions.permissions.PermissionDenied):
        actions.revoke_member_feed(world.a.manager, feed.pk)


def test_the_public_studio_feed_and_its_page(client, world):
    _book(world.a)
    page = client.get(reverse("calendars:studio", args=[world.a.studio.pk]))
    assert page.status_code == 200
    assert f"webcal://testserver/calendar/studios/{world.a.studio.pk}/schedule.ics".encode() in (
        page.content
    )
    response = client.get(reverse("calendars:studio_feed", args=[world.a.studio.pk]))
    assert response.status_code == 200 and response["Cache-Control"] == "public, max-age=900"
    (event,) = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Reformer Flow with alpha instructor"
    assert client.get(reverse("calendars:studio_feed", args=[999999])).status_code == 404


@pytest.mark.scenario("PHX-24", "Calendar event includes reminders")
@pytest.mark.scenario("PHX-24", "Export single booking to calendar")
def test_the_one_off_download_carries_the_same_alarms_and_uid(client, world):
    booking = _book(world.a)
    client.force_login(world.a.client.user)
    response = client.get(reverse("client:booking_ics", args=[booking.reference]))
    (event,) = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["UID"]) == f"booking-{booking.reference}@reformer.calendar"
    assert sorted(a["TRIGGER"].dt for a in event.walk("VALARM")) == [
        -dt.timedelta(hours=2),
        -dt.timedelta(minutes=30),
    ]
    assert icalendar.Calendar.from_ical(response.content).walk("VTIMEZONE")


@pytest.mark.scenario("PHX-24", "Handle cancelled booking in feed")
def test_booking_then_cancelling_through_the_real_actions_updates_the_feed(client, world):
    from reformer.bookings import actions as booking_actions
    from tests.bookings import helpers

    tenant = world.a
    member = helpers.make_client(tenant, "Ana")
    helpers.give_package(member)
    session = factories.make_session(tenant, starts_at=factories.next_start(days=1))
    feed = actions.create_feed(member)
    booking = booking_actions.book_session(member, session)
    uid = f"booking-{booking.reference}@reformer.calendar"
    (event,) = icalendar.Calendar.from_ical(client.get(_feed_url(feed)).content).walk("VEVENT")
    assert str(event["UID"]) == uid and str(event["STATUS"]) == "CONFIRMED"
    booking_actions.cancel_booking(member, booking)
    body = client.get(_feed_url(feed)).content
    # The event is gone from the feed: the calendar app removes it at its next sync.
    assert icalendar.Calendar.from_ical(body).walk("VEVENT") == []


def test_a_current_poller_gets_its_304_without_the_calendar_being_written(
    client, world, monkeypatch
):
    from reformer.calendars import ical

    _book(world.a)
    feed = actions.create_feed(world.a.client)
    first = client.get(_feed_url(feed))

    def must_not_run(*args, **kwargs):
        raise AssertionError("the calendar was serialized for a 304")

    monkeypatch.setattr(ical, "build_calendar", must_not_run)
    assert client.get(_feed_url(feed), HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    # A poller without the header gets the same bytes, from the cache.
    again = client.get(_feed_url(feed))
    assert again.content == first.content and again["ETag"] == first["ETag"]
