"""PHX-18: expiry warnings in the client's own time. A Shoreditch (London) client of a New
York organization hears "today" when it is already the expiry day in London, the expiry
time in London time, and only classes at the studios they use, each at its studio's time
with the zone named when it is not theirs."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from reformer.bookings.models import Booking
from reformer.notifications.expiry import queue_expiry_warnings
from reformer.notifications.models import Message
from tests import factories
from tests.bookings import helpers

LONDON = "Europe/London"
# Sun 6 Dec 2026, 10:19 in London (05:19 in New York).
EXPIRES = dt.datetime(2026, 12, 6, 10, 19, tzinfo=dt.UTC)
# 01:00 GMT on the Sunday: Saturday 8 PM in New York, already Sunday in London.
NOW = dt.datetime(2026, 12, 6, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def studios(world):
    """Tenant a: a New York organization; its studio in New York, another in London."""
    tenant = world.a
    assert tenant.organization.time_zone == "America/New_York"
    tenant.other_studio.time_zone = LONDON
    tenant.other_studio.name = "Shoreditch"
    tenant.other_studio.save()
    return tenant


def _client(tenant, name, *studios):
    """A client with a package expiring at EXPIRES who booked before at `studios`."""
    with time_machine.travel(NOW - dt.timedelta(days=40), tick=False):
        client = helpers.make_client(tenant, name)
        package = helpers.give_package(client, credits=2, expires_at=EXPIRES)
        for days_ago, studio in enumerate(studios, start=10):
            session = factories.make_session(
                tenant, studio=studio, starts_at=NOW - dt.timedelta(days=days_ago)
            )
            Booking.objects.create(
                organization=tenant.organization,
                session=session,
                client=client,
                starts_at=session.starts_at,
                ends_at=session.ends_at,
                status="attended",
            )
    return client, package


def _classes(tenant):
    """Before the expiry: a Shoreditch class at 06:05 GMT on Sunday and a New York class at
    21:00 EST on Saturday (the test organization writes 24-hour times)."""
    london = factories.make_session(
        tenant, studio=tenant.other_studio, starts_at=dt.datetime(2026, 12, 6, 6, 5, tzinfo=dt.UTC)
    )
    new_york = factories.make_session(
        tenant, starts_at=dt.datetime(2026, 12, 6, 2, 0, tzinfo=dt.UTC)
    )
    return london, new_york


def _warning_for(client) -> Message:
    with time_machine.travel(NOW, tick=False):
        queue_expiry_warnings()
    return Message.objects.get(kind="package_expiring", recipient=client.user)


def test_a_london_client_hears_today_in_london_time_with_london_classes(studios):
    naomi, _ = _client(studios, "Naomi", studios.other_studio)
    london, new_york = _classes(studios)
    warning = _warning_for(naomi)
    context = warning.context
    assert context["expires_in"] == "today"
    assert "expires today" in warning.subject
    assert context["expires"] == "Sun 6 Dec 2026, 10:19 GMT"
    assert context["suggestions"] == [
        {
            "name": london.class_type.name,
            "when": "Sun 6 Dec, 06:05",
            "url": context["suggestions"][0]["url"],
        }
    ]
    assert f"/{london.pk}/" in context["suggestions"][0]["url"]
    assert new_york.pk  # at a studio Naomi does not use: not suggested


def test_a_new_york_client_hears_tomorrow_in_new_york_time(studios):
    nick, _ = _client(studios, "Nick", studios.studio)
    _classes(studios)
    context = _warning_for(nick).context
    assert context["expires_in"] == "tomorrow"
    assert context["expires"] == "Sun 6 Dec 2026, 05:19 EST"
    assert [s["when"] for s in context["suggestions"]] == ["Sat 5 Dec, 21:00"]


def test_a_class_in_another_zone_names_its_zone(studios):
    """A New York client who also goes to Shoreditch: both studios, London's zone named."""
    ada, _ = _client(studios, "Ada", studios.studio, studios.studio, studios.other_studio)
    _classes(studios)
    context = _warning_for(ada).context
    assert [s["when"] for s in context["suggestions"]] == [
        "Sat 5 Dec, 21:00",
        "Sun 6 Dec, 06:05 GMT",
    ]
