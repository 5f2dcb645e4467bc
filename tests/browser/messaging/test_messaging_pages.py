"""The messaging pages in a real browser: the staff log with its history and filters, the
owner's settings with the live email preview, the client's text opt-in, the cancel link.
With SCREENSHOTS=<folder> set, each page is also captured at 1280 and 390 px."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reformer.bookings import actions
from reformer.notifications.actions import queue_email, queue_sms
from reformer.notifications.models import RecipientSettings
from reformer.notifications.reminders import cancel_token
from reformer.notifications.sending import deliver_message, set_status
from tests import factories
from tests.bookings import helpers

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def local_mail(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def capture(page, name: str) -> None:
    folder = os.environ.get("SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{folder}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def some_messages(tenant):
    outcomes = ["delivered", "opened", "bounced", "clicked", "sent"]
    for i, outcome in enumerate(outcomes):
        client = helpers.make_client(tenant, ["Ava", "Ben", "Cleo", "Dev", "Esme"][i])
        message = queue_email(
            client.user,
            "booking_confirmed",
            f"Booked: Reformer Flow, Thu {i + 10} May",
            "Body",
            f"b-{i}",
            tenant.organization,
        )
        deliver_message(message.pk)
        if outcome != "sent":
            set_status(message, outcome, "Mailbox does not exist" if outcome == "bounced" else "")
    texter = helpers.make_client(tenant, "Fay")
    texter.user.notify_sms = True
    texter.user.save()
    RecipientSettings.objects.create(
        user=texter.user, sms_phone="+14155550123", sms_confirmed_at=timezone.now()
    )
    sms = queue_sms(
        texter.user,
        "class_reminder",
        idempotency_key="s-1",
        organization=tenant.organization,
        body="Alpha: Reformer Flow today at 14:00",
    )
    deliver_message(sms.pk)


@pytest.mark.scenario("PHX-22", "Track email delivery status")
def test_the_message_log_shows_statuses_history_and_filters(
    page, login, world, live_url, assert_accessible
):
    some_messages(world.a)
    login(page, world.a.owner.user)
    page.goto(f"{live_url}/messages/")
    expect(page.get_by_role("heading", name="Messages", exact=True)).to_be_visible()
    expect(page.get_by_text("Email delivery rate")).to_be_visible()
    page.get_by_text("History").first.click()
    assert_accessible(page)
    capture(page, "messages-log")
    page.get_by_label("Status").select_option("bounced")
    expect(page.locator("#message-log tbody tr")).to_have_count(1)
    expect(page.locator("#message-log")).to_contain_text("Mailbox does not exist")
    assert "status=bounced" in page.url


def test_the_owner_previews_messages_and_saves_reminders(
    page, login, world, live_url, assert_accessible
):
    login(page, world.a.owner.user)
    page.goto(f"{live_url}/messages/settings/")
    frame = page.frame_locator("iframe.email-preview")
    expect(frame.get_by_text("A reminder:")).to_be_visible()
    assert_accessible(page)
    capture(page, "messages-settings")
    page.get_by_label("Message").select_option("package_expiring")
    expect(
        page.frame_locator("iframe.email-preview").get_by_text("Package expiring soon!")
    ).to_be_visible()
    page.get_by_label("alpha Main reminder 1: hours before class").fill("36")
    main = page.get_by_role("region", name="Reminders at alpha Main")
    main.get_by_role("button", name="Save reminders").click()
    expect(page.get_by_text("36 h by Email")).to_be_visible()


@pytest.mark.scenario("PHX-23", "Opt-in to SMS notifications")
def test_a_client_turns_on_texts_with_a_code(page, login, world, live_url, assert_accessible):
    login(page, world.a.client.user)
    page.goto(f"{live_url}/me/?tab=notifications")
    phone = page.get_by_label("Mobile number")
    expect(phone).to_be_visible()
    phone.fill("123")
    page.get_by_role("button", name="Enable SMS notifications").click()
    expect(page.get_by_text("Invalid phone number format")).to_be_visible()
    phone = page.get_by_label("Mobile number")
    phone.fill("+1 415 555 0111")
    page.get_by_role("button", name="Enable SMS notifications").click()
    expect(page.get_by_label("Code sent to +14155550111")).to_be_visible()
    assert_accessible(page)
    capture(page, "profile-texts")


def test_the_cancel_link_page(page, world, live_url, assert_accessible):
    client = helpers.make_client(world.a, "Rita")
    helpers.give_package(client)
    booking = actions.book_session(client, factories.make_session(world.a))
    page.goto(f"{live_url}/reminders/cancel/{cancel_token(booking)}/")
    expect(page.get_by_role("heading", name="Cancel this booking?")).to_be_visible()
    assert_accessible(page)
    capture(page, "reminder-cancel")
    page.get_by_role("button", name="Cancel my booking").click()
    expect(page.get_by_role("heading", name="Booking cancelled")).to_be_visible()
