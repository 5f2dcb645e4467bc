"""PHX-26 in Chromium, offline: the client's bookings, a booking's page and this week's
schedule load from the device; booking says it needs a connection and is offered again
when back online; the front desk's roster loads from the device, check-ins made offline
are queued and sync exactly once when back online, a booking cancelled meanwhile is shown
as not applied."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reformer.bookings.models import Booking, OfflineMark
from reformer.core.models import AuditEvent
from tests.browser.pwa.conftest import CONTROLLED, SAVED
from tests.factories import make_session
from tests.web_staff.conftest import add_booking, make_client

pytestmark = pytest.mark.browser


@pytest.mark.scenario("PHX-26", "Use app offline")
@pytest.mark.scenario("PHX-26", "Sync data when back online")
def test_the_clients_bookings_and_schedule_work_offline(world, app_page, login, assert_accessible):
    page = app_page
    me = world.a.client
    booked = make_session(world.a, starts_at=timezone.now() + dt.timedelta(days=1, hours=2))
    booking = add_booking(booked, me)
    open_class = make_session(world.a, starts_at=timezone.now() + dt.timedelta(days=2, hours=1))
    login(page, me.user)
    page.goto("/dashboard/")
    page.evaluate(CONTROLLED)
    detail = f"/bookings/{booking.reference}/"
    for url in ("/dashboard/", "/classes/?when=week", detail):
        page.evaluate(SAVED, url)

    page.context.set_offline(True)
    page.goto("/dashboard/")
    offline_bar = page.locator("#app-offline")
    expect(offline_bar).to_be_visible()
    expect(offline_bar).to_contain_text("Last updated")
    expect(page.locator(f'a[href="{detail}"]').first).to_be_visible()
    assert_accessible(page)

    page.goto("/me/")  # never saved: the offline page lists what was
    expect(page.get_by_role("heading", level=1)).to_have_text("You're offline")
    saved = page.locator("[data-saved-pages] a[href='/dashboard/']")
    expect(saved).to_be_visible()
    expect(saved).not_to_have_text("/dashboard/")

    page.goto(detail)  # the class details, from the device
    expect(page.get_by_role("heading", level=1)).to_contain_text(booked.class_type.name)
    page.get_by_role("link", name="Cancel this booking").click(force=True)  # aria-disabled
    expect(page.locator("#toasts")).to_contain_text("Cancelling")
    expect(page.locator("#toasts")).to_contain_text("needs a connection")

    page.goto("/classes/?when=week")  # this week's schedule
    book = page.locator(f"#book-{open_class.pk}")
    expect(book).to_have_attribute("aria-disabled", "true")
    book.click(force=True)
    expect(page.locator("#toasts")).to_contain_text("Booking")
    expect(page.locator("#dialog-slot dialog")).to_have_count(0)

    # Meanwhile the desk booked them into another class: back online, the saved page is
    # replaced by the current one, and the booking that was not sent is offered again.
    page.goto("/dashboard/")
    later = add_booking(make_session(world.a, starts_at=timezone.now() + dt.timedelta(days=3)), me)
    expect(page.locator(f'a[href="/bookings/{later.reference}/"]')).to_have_count(0)
    page.context.set_offline(False)
    expect(page.locator(f'a[href="/bookings/{later.reference}/"]').first).to_be_visible()
    retry = page.locator("#app-retry")
    expect(retry).to_be_visible()
    expect(retry).to_contain_text("was not sent")
    expect(page.locator("#app-offline")).to_be_hidden()
    retry.get_by_role("link", name="Retry booking").click()
    expect(page).to_have_url(re.compile(r"/classes/\?when=week$"))


@pytest.mark.scenario("PHX-26", "Sync data when back online")
def test_check_ins_made_offline_sync_exactly_once(world, app_page, login, assert_accessible):
    page = app_page
    session = make_session(world.a, starts_at=timezone.now() - dt.timedelta(minutes=5))
    ada = add_booking(session, make_client(world.a, "Ada Lovelace"))
    grace = add_booking(session, make_client(world.a, "Grace Hopper"))
    login(page, world.a.front_desk.user)
    page.goto("/staff/checkin/")
    page.evaluate(CONTROLLED)
    class_page = f"/staff/classes/{session.pk}/"
    for url in ("/staff/checkin/", class_page, f"{class_page}roster/"):
        page.evaluate(SAVED, url)

    page.context.set_offline(True)
    page.goto("/staff/checkin/")
    expect(page.locator("#app-offline")).to_be_visible()
    page.goto(class_page)
    expect(page.locator(f"#booking-{ada.pk}")).to_contain_text("Ada Lovelace")
    page.locator(f"#att-{ada.pk}-attended").click()
    expect(page.locator(f"#booking-{ada.pk} [data-offline-queued]")).to_contain_text(
        "Saved offline: Attended"
    )
    page.locator(f"#att-{grace.pk}-attended").click()
    expect(page.locator(f"#booking-{grace.pk} [data-offline-queued]")).to_be_visible()
    assert page.evaluate("ReformerQueue.count()") == 2
    assert_accessible(page)
    # Grace cancelled at the desk's other device while this one was offline.
    Booking.objects.filter(pk=grace.pk).update(status="cancelled")

    page.context.set_offline(False)
    summary = page.locator("#app-sync")
    # Back online, the page hears "online", sends the queue and reports: on a busy machine
    # that round trip can outlast expect's default 5 s.
    expect(summary).to_be_visible(timeout=30_000)
    expect(summary).to_contain_text("1 attendance mark made offline synced")
    expect(summary).to_contain_text("Grace Hopper: This booking was cancelled")
    expect(page.locator(f"#booking-{ada.pk}")).to_contain_text("Attended")
    assert page.evaluate("ReformerQueue.count()") == 0

    # Asking again (a reconnect, background sync) sends nothing more.
    page.evaluate("navigator.serviceWorker.controller.postMessage({type: 'sync-marks'})")
    page.reload()
    expect(page.locator(f"#booking-{ada.pk}")).to_contain_text("Attended")
    ada.refresh_from_db()
    assert ada.status == "attended"
    assert OfflineMark.objects.count() == 2
    assert AuditEvent.objects.filter(code="bookings.booking.attended").count() == 1
