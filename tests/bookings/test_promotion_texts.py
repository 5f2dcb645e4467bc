"""PHX-16 + #10: the promoted client is texted as well as emailed, only when they confirmed a
number for texts; preferences, quiet hours and the one-per-promotion key hold."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from reformer.bookings import actions
from reformer.bookings.models import Booking
from reformer.core.timezones import local_to_utc
from reformer.notifications.models import Message, RecipientSettings
from tests import factories
from tests.bookings import helpers

NUMBER = "+14155550123"
DAY = dt.date(2031, 3, 4)


def at_local(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return local_to_utc(day, dt.time(hour, minute), "America/New_York")


def pack(member) -> None:
    month = dt.timedelta(days=30)
    helpers.give_package(
        member, starts_at=at_local(9, day=DAY - month), expires_at=at_local(9, day=DAY + month)
    )


@pytest.fixture
def alice(tenant):
    client = helpers.make_client(tenant, "Alice")
    pack(client)
    return client


def opted_in(member) -> None:
    member.user.notify_sms = True
    member.user.save(update_fields=["notify_sms"])
    RecipientSettings.objects.create(
        user=member.user, sms_phone=NUMBER, sms_confirmed_at=timezone.now()
    )


def promote_alice(tenant, alice, *, starts_at: dt.datetime) -> Booking:
    """A full one-place class Alice waits for; its holder cancels; promotion runs."""
    session = factories.make_session(tenant, capacity=1, starts_at=starts_at)
    holder = helpers.make_client(tenant, "Holder")
    pack(holder)
    booking = actions.book_session(holder, session)
    actions.join_waitlist(alice, session)
    actions.cancel_booking(holder, booking)
    [promoted] = actions.promote_waitlist(session.pk)
    return promoted


def texts(member) -> list[Message]:
    return list(
        Message.objects.filter(recipient=member.user, kind="waitlist_promoted", channel="sms")
    )


@pytest.fixture
def afternoon():
    with time_machine.travel(at_local(14), tick=False):
        yield


def test_an_opted_in_client_is_texted_once_per_promotion(tenant, alice, afternoon):
    opted_in(alice)
    booking = promote_alice(tenant, alice, starts_at=at_local(18))
    [text] = texts(alice)
    assert (text.status, text.to_address, text.send_after) == ("queued", NUMBER, None)
    assert text.idempotency_key == f"waitlist-promoted-sms:{booking.pk}"
    assert text.expires_at == booking.session.starts_at  # no text about a class under way
    body = helpers.text(text)
    assert "booked from the waitlist" in body and "Tue 18:00" in body
    assert f"/bookings/{booking.reference}/" in body and "STOP" in body
    assert Message.objects.filter(recipient=alice.user, kind="waitlist_promoted").count() == 2


def test_a_client_who_did_not_confirm_a_number_gets_the_email_only(tenant, alice, afternoon):
    alice.user.notify_sms = True  # an old unconfirmed tick is not an opt-in
    alice.user.save(update_fields=["notify_sms"])
    promote_alice(tenant, alice, starts_at=at_local(18))
    assert texts(alice) == []
    assert Message.objects.get(recipient=alice.user, kind="waitlist_promoted").channel == "email"


def test_waitlist_messages_switched_off_skip_the_text_and_the_email(tenant, alice, afternoon):
    opted_in(alice)
    RecipientSettings.objects.filter(user=alice.user).update(notify_waitlist_changes=False)
    promote_alice(tenant, alice, starts_at=at_local(18))
    sent = Message.objects.filter(recipient=alice.user, kind="waitlist_promoted")
    assert sorted(sent.values_list("channel", "status")) == [
        ("email", "skipped"),
        ("sms", "skipped"),
    ]


def test_quiet_hours_hold_the_text_and_drop_it_when_they_outlast_the_class(tenant, alice):
    opted_in(alice)
    helpers.set_policy(tenant, quiet_hours_start=dt.time(21), quiet_hours_end=dt.time(8))
    with time_machine.travel(at_local(22), tick=False):
        promote_alice(tenant, alice, starts_at=at_local(10, day=DAY + dt.timedelta(days=1)))
        promote_alice(tenant, alice, starts_at=at_local(7, day=DAY + dt.timedelta(days=1)))
    held, dropped = sorted(texts(alice), key=lambda m: m.expires_at, reverse=True)
    assert (held.status, held.send_after) == ("queued", at_local(8, day=DAY + dt.timedelta(days=1)))
    assert dropped.status == "skipped" and "quiet hours" in dropped.error


def test_a_promotion_run_as_a_job_writes_times_as_the_studio_does(tenant, alice, afternoon):
    """The promotion job has no organization active (no request): the email, its subject and
    the text still say "6:00 PM" for a US studio, not the neutral 24-hour default."""
    from reformer.core import timeformat

    tenant.organization.locale = "en-US"
    tenant.organization.save(update_fields=["locale"])
    opted_in(alice)
    assert timeformat.current() is timeformat.DEFAULT  # as in the worker
    booking = promote_alice(tenant, alice, starts_at=at_local(18))
    sent = Message.objects.filter(recipient=alice.user, kind="waitlist_promoted")
    email, text = sent.get(channel="email"), sent.get(channel="sms")
    expected = "Tue, Mar 4, 2031, 6:00\N{NO-BREAK SPACE}PM EST"
    assert email.context["when"] == expected and expected in email.subject
    assert expected in helpers.text(email) and "18:00" not in helpers.text(email)
    assert "Tue 6:00\N{NO-BREAK SPACE}PM" in helpers.text(text)
    assert booking.session.organization_id == tenant.organization.pk


def test_templates_rendered_by_the_send_job_follow_the_messages_organization(tenant, monkeypatch):
    """`|when` in any message template writes times as the message's organization does:
    the send job renders with that organization's locale active."""
    from reformer.core import timeformat
    from reformer.notifications import rendering

    tenant.organization.locale = "en-US"
    tenant.organization.save(update_fields=["locale"])
    monkeypatch.setattr(
        rendering, "render_to_string", lambda name, context: timeformat.current().code
    )
    message = Message(
        organization=tenant.organization,
        recipient=tenant.owner.user,
        kind="waitlist_promoted",
        channel="email",
        context={"class_name": "Flow"},
    )
    assert timeformat.current() is timeformat.DEFAULT  # as in the worker
    assert rendering.render(message, rendering.branding(tenant.organization)) == (
        "en-US",
        "en-US",
    )
    assert rendering.render(message, rendering.branding(None)) == ("en-150", "en-150")
