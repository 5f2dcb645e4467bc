"""The front desk's check-in (booking a client from the roster, live), and a manager's
schedule: assigning an instructor, weekly classes, and cancelling a class with refunds."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reformer.bookings.models import Booking
from reformer.core.timezones import local_to_utc, local_today, to_local
from reformer.scheduling.models import ClassSession, RecurringTemplate
from tests import factories
from tests.factories import make_session
from tests.web_staff.conftest import add_booking, add_waiting, make_client

pytestmark = pytest.mark.browser


def test_it_lets_the_front_desk_book_and_check_in_a_client(world, tablet, login, assert_accessible):
    session = make_session(world.a, starts_at=timezone.now() + dt.timedelta(minutes=30))
    day = to_local(session.starts_at, "America/New_York").date()
    cora = make_client(world.a, "Cora Client")
    factories.ClientPackageFactory(client=cora)
    page = tablet
    login(page, world.a.front_desk.user)
    page.goto("/staff/")  # front desk lands on check-in
    expect(page).to_have_url(re.compile(r"/staff/checkin/$"))
    assert_accessible(page)
    if day != local_today("America/New_York"):  # the class is after midnight
        page.get_by_role("link", name="Next day").click()
    page.locator(f"#checkin-session-{session.pk}").get_by_role("link").click()
    expect(page.get_by_text("No bookings yet")).to_be_visible()
    page.wait_for_function("() => window.__wsOpen === true")

    page.get_by_label("Find a client by name or email").fill("cora")
    page.get_by_role("button", name="Book Cora Client").click()
    expect(page.get_by_text("Cora Client is booked in.")).to_be_visible()
    row = page.locator(".roster-row", has_text="Cora Client")
    expect(row).to_be_visible()  # arrived over the live websocket
    assert_accessible(page)
    assert Booking.objects.get(session=session).client == cora


def test_it_lets_a_manager_staff_and_cancel_classes(world, page, login, assert_accessible):
    # Tomorrow at 10:00 in the studio's zone: both classes on one local day and week (now +
    # 1 day + 2 hours crossed local midnight, into the next week, late on a Saturday).
    tomorrow = local_today("America/New_York") + dt.timedelta(days=1)
    start = local_to_utc(tomorrow, dt.time(10, 0), "America/New_York")
    unstaffed = make_session(world.a, starts_at=start, instructor=None)
    busy = make_session(world.a, starts_at=start + dt.timedelta(hours=2))
    add_booking(busy, make_client(world.a, "Ada Lovelace"))
    add_booking(busy, make_client(world.a, "Grace Hopper"))
    add_waiting(busy, make_client(world.a, "Wanda Waiting"))
    login(page, world.a.manager.user)
    day = start.astimezone(zoneinfo.ZoneInfo("America/New_York")).date()
    page.goto(f"/staff/schedule/?studio={world.a.studio.pk}&week={day.isoformat()}&view=list")
    row = page.locator(f"#schedule-session-{unstaffed.pk}")
    expect(row).to_have_class(re.compile("session-row--needs"))
    expect(page.get_by_text("1 class needs an instructor")).to_be_visible()
    assert_accessible(page)

    row.get_by_role("combobox").select_option(label="alpha instructor")
    row.get_by_role("button", name="Assign").click()
    expect(row).not_to_have_class(re.compile("session-row--needs"))
    unstaffed.refresh_from_db()
    assert unstaffed.instructor == world.a.instructor

    page.locator(f"#schedule-session-{busy.pk}").get_by_role(
        "link", name=re.compile("^Cancel")
    ).click()
    dialog = page.get_by_role("dialog", name="Cancel this class?")
    expect(dialog).to_contain_text("2 booked clients will be refunded and notified.")
    expect(dialog).to_contain_text("1 client on the waitlist will be notified.")
    assert_accessible(page)
    dialog.get_by_label("Reason").fill("Studio flooded")
    dialog.get_by_role("button", name="Cancel class").click()
    expect(page.locator(f"#schedule-session-{busy.pk}")).to_contain_text("Cancelled")
    busy.refresh_from_db()
    assert busy.status == ClassSession.Status.CANCELLED
    assert set(Booking.objects.filter(session=busy).values_list("status", flat=True)) == {
        "cancelled"
    }

    # A weekly class with a rotation, and "Generate sessions now".
    page.goto(f"/staff/schedule/weekly/?studio={world.a.studio.pk}")
    page.get_by_label("Weekday").select_option(label="Saturday")
    page.get_by_label("Starts at (studio time)").fill("08:00")
    page.get_by_label("Capacity").fill("8")
    page.get_by_label("Instructor 1 (first turn)").select_option(label="alpha instructor")
    page.get_by_label("Instructor 2").select_option(label="alpha manager")
    assert_accessible(page)
    page.get_by_role("button", name="Add weekly class").click()
    card = page.locator(".template-card")
    expect(card).to_contain_text("1. alpha instructor, 2. alpha manager")
    card.get_by_role("button", name=re.compile("^Generate sessions now")).click()
    expect(page.locator("#toasts")).to_contain_text("already on the schedule")
    template = RecurringTemplate.objects.get()
    assert ClassSession.objects.filter(template=template).count() >= 4


def test_it_keeps_the_other_staff_pages_accessible(world, page, login, assert_accessible):
    from reformer.scheduling.actions import create_template

    product = factories.PackageProductFactory(organization=world.a.organization)
    template = create_template(
        world.a.owner,
        studio=world.a.studio,
        room=world.a.room,
        class_type=world.a.class_type,
        weekday=0,
        local_start_time="07:00",
        capacity=8,
        instructors=[world.a.instructor],
        start_date=local_today("America/New_York"),
    )
    session = ClassSession.objects.filter(template=template).first()
    login(page, world.a.owner.user)
    for path in (
        "/staff/setup/organization/",
        "/staff/setup/studios/",
        f"/staff/setup/class-types/{world.a.class_type.pk}/",
        f"/staff/setup/packages/{product.pk}/",
        f"/staff/schedule/weekly/{template.pk}/",
        f"/staff/schedule/classes/{session.pk}/cancel/",
        f"/staff/classes/{session.pk}/book/?q=alpha",
        "/staff/classes/?view=past",
    ):
        page.goto(path)
        expect(page.locator("h1")).to_be_visible()
        assert_accessible(page)
    # A refused form shows its errors accessibly too.
    page.goto("/staff/setup/class-types/")
    page.get_by_role("button", name="Add class type").click()
    expect(page.locator(".field__error").first).to_be_visible()
    assert_accessible(page)
