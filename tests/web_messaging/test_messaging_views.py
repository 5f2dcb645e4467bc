"""The messaging pages: the staff log and a client's messages, the owner's settings
(sender, reminder plans, preview, test send), a person's own message settings and text
opt-in, the reminder cancel link, and the address banner."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from reformer.bookings import actions
from reformer.bookings.models import Booking
from reformer.notifications.actions import queue_email
from reformer.notifications.models import (
    Message,
    OrganizationMessaging,
    RecipientSettings,
    StudioMessaging,
)
from reformer.notifications.reminders import cancel_token
from reformer.notifications.sending import deliver_message, set_status
from tests import factories
from tests.bookings import helpers


def messages_for(tenant, count=3):
    made = []
    for i in range(count):
        client = helpers.make_client(tenant, f"Client{i}")
        message = queue_email(
            client.user,
            "booking_confirmed",
            f"Booked {i}",
            "Body",
            f"log-{tenant.organization.pk}-{i}",
            tenant.organization,
        )
        deliver_message(message.pk)
        made.append(message)
    return made


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("owner", 200),
        ("manager", 200),
        ("front_desk", 200),
        ("instructor", 403),
        ("client", 403),
    ],
)
def test_the_message_log_is_for_the_desk(world, login_as, role, status):
    messages_for(world.a, 1)
    response = login_as(world.a.members[role]).get("/messages/")
    assert response.status_code == status


def test_the_log_shows_this_organizations_messages_with_figures_and_filters(
    world, login_as, django_assert_max_num_queries
):
    mine = messages_for(world.a, 3)
    theirs = messages_for(world.b, 2)
    set_status(mine[0], "bounced", "Mailbox does not exist")
    client = login_as(world.a.owner)
    with django_assert_max_num_queries(20):
        page = client.get("/messages/").content.decode()
    assert "Booked 1" in page and "Booked 2" in page
    assert theirs[0].to_address.endswith("beta.example.com")
    assert "beta.example.com" not in page
    assert "Email delivery rate" in page and "Bounce and complaint rate" in page
    assert "SMS spend" in page
    bounced = client.get("/messages/?status=bounced").content.decode()
    assert "Booked 0" in bounced and "Booked 1" not in bounced
    # The query count does not grow with the page's rows.
    messages_for(world.a, 10)
    with django_assert_max_num_queries(20):
        client.get("/messages/")


def test_the_delivery_rate_counts_only_emails_the_provider_reported_on(world, login_as):
    """Sent and still awaiting a report is not undelivered: with no reports at all (SMTP,
    the demo) the rate is "n/a", not 0%."""
    from reformer.notifications.queries import month_figures

    mine = messages_for(world.a, 3)
    figures = month_figures(world.a.owner)
    assert (figures.emails_sent, figures.emails_awaiting, figures.delivery_rate) == (3, 3, "n/a")
    page = login_as(world.a.owner).get("/messages/").content.decode()
    assert "0 of 0 reported emails · 3 sent, awaiting a delivery report" in page
    set_status(mine[0], "delivered", "")
    set_status(mine[1], "bounced", "Mailbox does not exist")
    figures = month_figures(world.a.owner)
    assert (figures.emails_reported, figures.delivery_rate) == (2, "50.0%")
    assert figures.bounce_rate == "33.3%"  # bounces against all that reached the provider


@pytest.mark.scenario("PHX-22", "Track email delivery status")
def test_a_clients_messages_and_why_an_address_is_not_used(world, login_as):
    (message,) = messages_for(world.a, 1)
    RecipientSettings.objects.create(
        user=message.recipient,
        email_suppressed_address=message.to_address,
        email_suppressed_reason="Hard bounce: no such mailbox",
        email_suppressed_at=timezone.now(),
    )
    member = message.recipient.memberships.get()
    page = login_as(world.a.front_desk).get(f"/messages/clients/{member.pk}/").content.decode()
    assert "Booked 0" in page and "Hard bounce: no such mailbox" in page
    assert login_as(world.b.owner).get(f"/messages/clients/{member.pk}/").status_code == 404
    assert login_as(world.b.owner).get(f"/messages/{message.pk}/").status_code == 404
    detail = login_as(world.a.owner).get(f"/messages/{message.pk}/").content.decode()
    assert "History" in detail and "Accepted by locmem" in detail


def test_owner_settings_save_sender_and_reminder_plans_with_clear_errors(world, login_as):
    client = login_as(world.a.owner)
    assert client.get("/messages/settings/").status_code == 200
    assert login_as(world.a.manager).get("/messages/settings/").status_code == 403
    client = login_as(world.a.owner)
    bad = client.post("/messages/settings/sender/", {"sender_name": "Alpha", "reply_to": "nope"})
    assert bad.status_code == 422 and "valid reply-to" in bad.content.decode()
    assert not OrganizationMessaging.objects.exists()
    ok = client.post(
        "/messages/settings/sender/",
        {"sender_name": "Alpha Pilates", "reply_to": "hi@alpha.example"},
    )
    assert ok.status_code == 302
    assert OrganizationMessaging.objects.get().sender_name == "Alpha Pilates"
    url = f"/messages/settings/reminders/{world.a.studio.pk}/"
    bad = client.post(url, {"hours": ["500", ""], "channel": ["email", "email"]})
    assert bad.status_code == 422 and "whole hours from 1 to 168" in bad.content.decode()
    assert not StudioMessaging.objects.exists()
    client.post(url, {"hours": ["48", "3", ""], "channel": ["email", "sms", "email"]})
    assert StudioMessaging.objects.get().reminder_plan == [
        {"hours": 48, "channel": "email"},
        {"hours": 3, "channel": "sms"},
    ]
    assert (
        client.post(
            f"/messages/settings/reminders/{world.b.studio.pk}/",
            {"hours": ["5"], "channel": ["email"]},
        ).status_code
        == 404
    )


@pytest.mark.scenario("PHX-22", "Use branded email templates")
def test_preview_and_send_me_a_test(world, login_as):
    world.a.organization.brand_colour = "#123456"
    world.a.organization.save()
    client = login_as(world.a.owner)
    html = client.get("/messages/settings/preview/?kind=class_reminder").content.decode()
    assert "Alpha" in html and "#123456" in html and "Reformer Flow" in html
    text = client.get("/messages/settings/preview/?kind=package_expiring&format=text")
    assert "PACKAGE EXPIRING SOON!" in text.content.decode()
    assert client.get("/messages/settings/preview/?kind=bogus").status_code == 422
    client.post("/messages/settings/test/", {"channel": "email"})
    test = Message.objects.get(kind="test_message")
    assert test.to_address == world.a.owner.user.email and test.status == "queued"
    client.post("/messages/settings/test/", {"channel": "sms"})  # no confirmed number
    assert Message.objects.filter(kind="test_message").count() == 1


@pytest.mark.scenario("PHX-23", "Opt-in to SMS notifications")
@pytest.mark.scenario("PHX-23", "Handle invalid phone number")
def test_a_person_opts_in_to_texts_from_their_profile(world, login_as):
    client = login_as(world.a.client)
    card = client.get("/notifications/mine/", headers={"HX-Request": "true"})
    assert "Enable SMS notifications" in card.content.decode()
    bad = client.post(
        "/notifications/mine/texts/start/", {"phone": "123"}, headers={"HX-Request": "true"}
    )
    assert bad.status_code == 422 and "Invalid phone number format" in bad.content.decode()
    good = client.post(
        "/notifications/mine/texts/start/",
        {"phone": "+1 415 555 0111"},
        headers={"HX-Request": "true"},
    )
    assert "Code sent to +14155550111" in good.content.decode()
    code_message = Message.objects.get(kind="sms_opt_in_code")
    wrong = client.post(
        "/notifications/mine/texts/confirm/", {"code": "999999"}, headers={"HX-Request": "true"}
    )
    right_code = code_message.context["code"]
    if right_code != "999999":
        assert wrong.status_code == 422 and "not right" in wrong.content.decode()
    done = client.post(
        "/notifications/mine/texts/confirm/", {"code": right_code}, headers={"HX-Request": "true"}
    )
    assert "Texts go to <strong>+14155550111</strong>" in done.content.decode()
    client.post("/notifications/mine/", {"package_warnings": "on"}, headers={"HX-Request": "true"})
    chosen = RecipientSettings.objects.get(user=world.a.client.user)
    assert (chosen.notify_waitlist_changes, chosen.notify_package_warnings) == (False, True)


def test_a_suppressed_address_shows_the_client_a_banner(world, login_as):
    RecipientSettings.objects.create(
        user=world.a.client.user,
        email_suppressed_address=world.a.client.user.email,
        email_suppressed_reason="Hard bounce",
        email_suppressed_at=timezone.now(),
    )
    client = login_as(world.a.client)
    page = client.get("/classes/").content.decode()
    assert "/notifications/banner/" in page  # loaded after the page renders
    banner = client.get("/notifications/banner/").content.decode()
    assert "are bouncing, so we stopped sending them" in banner
    assert login_as(world.a.owner).get("/notifications/banner/").content == b""


@pytest.fixture
def reminded(world):
    tenant = world.a
    client = helpers.make_client(tenant, "Rita")
    helpers.give_package(client)
    session = factories.make_session(tenant)
    return actions.book_session(client, session)


def test_the_cancel_link_asks_once_and_cancels(reminded, client):
    url = f"/reminders/cancel/{cancel_token(reminded)}/"
    page = client.get(url)
    assert page.status_code == 200 and "Cancel this booking?" in page.content.decode()
    reminded.refresh_from_db()
    assert reminded.status == Booking.Status.CONFIRMED  # opening the link cancels nothing
    done = client.post(url)
    assert "Booking cancelled" in done.content.decode()
    reminded.refresh_from_db()
    assert reminded.status == Booking.Status.CANCELLED
    again = client.post(url)
    assert again.status_code == 410 and "already cancelled" in again.content.decode()


def test_a_tampered_or_expired_cancel_link_changes_nothing(reminded, client):
    token = cancel_token(reminded)
    assert client.post(f"/reminders/cancel/{token[:-2]}xx/").status_code == 410
    with time_machine.travel(reminded.session.starts_at + dt.timedelta(minutes=1)):
        late = client.post(f"/reminders/cancel/{token}/")
    assert late.status_code == 410 and "already started" in late.content.decode()
    reminded.refresh_from_db()
    assert reminded.status == Booking.Status.CONFIRMED


def test_webhooks_only_take_posts(client):
    assert client.get("/webhooks/twilio/status/").status_code == 405
    assert client.get("/webhooks/twilio/inbound/").status_code == 405
