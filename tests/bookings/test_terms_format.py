"""PHX-16 / PHX-15: the cancellation terms are written like the class time next to them:
the organization's clock (12-hour for a US studio), the studio's zone, the zone named.
They were formatted in whatever locale was active (none in a job: 24-hour) with no zone:
"Mon, Dec 7, 2026, 7:15 PM EST" then "Cancel before Mon 7 Dec, 07:15"."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from reformer.bookings import actions
from reformer.core.timezones import local_to_utc
from reformer.notifications.models import Message
from reformer.notifications.reminders import cancel_token
from tests import factories
from tests.bookings import helpers

DAY = dt.date(2031, 12, 8)  # a Monday


@pytest.fixture
def us_format(tenant):
    """Tenant a writes times as US studios do (the test organizations use en-GB)."""
    tenant.organization.locale = "en-US"
    tenant.organization.save(update_fields=["locale"])
    return tenant


def plain(text: str) -> str:
    return text.replace("\N{NO-BREAK SPACE}", " ")


def _at(hour, minute=0, day=DAY, zone="America/New_York"):
    return local_to_utc(day, dt.time(hour, minute), zone)


def test_the_promotion_email_writes_the_terms_like_the_class_time(us_format, tenant):
    session = factories.make_session(tenant, capacity=1, starts_at=_at(19, 15))
    with time_machine.travel(_at(9, day=DAY - dt.timedelta(days=3)), tick=False):
        holder, alice = helpers.make_client(tenant, "Holder"), helpers.make_client(tenant, "Al")
        helpers.give_package(holder)
        helpers.give_package(alice)
        booking = actions.book_session(holder, session)
        actions.join_waitlist(alice, session)
        actions.cancel_booking(holder, booking)
        actions.promote_waitlist(session.pk)  # as the job does: no organization active
    email = Message.objects.get(recipient=alice.user, kind="waitlist_promoted", channel="email")
    assert plain(email.context["when"]) == "Mon, Dec 8, 2031, 7:15 PM EST"
    assert plain(email.context["cancellation_text"]) == (
        "Cancel before Mon, Dec 8, 7:15 AM EST to get your credit back."
    )


def test_the_reminder_cancel_page_writes_the_terms_like_the_class_time(us_format, tenant, client):
    tenant.studio.time_zone = "Europe/London"
    tenant.studio.save(update_fields=["time_zone"])
    starts = _at(6, 5, day=DAY, zone="Europe/London")
    session = factories.make_session(tenant, starts_at=starts)
    with time_machine.travel(starts - dt.timedelta(days=2), tick=False):
        rita = helpers.make_client(tenant, "Rita")
        helpers.give_package(rita)
        booking = actions.book_session(rita, session)
    with time_machine.travel(starts - dt.timedelta(hours=2), tick=False):
        page = plain(client.get(f"/reminders/cancel/{cancel_token(booking)}/").content.decode())
    assert "Monday, December 8, 6:05 AM GMT" in page
    assert "The free cancellation window closed at Sun, Dec 7, 6:05 PM GMT" in page
