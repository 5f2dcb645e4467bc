"""Birthdays in the browser at 390 and 1280 px: a client gives theirs on the profile, the
desk corrects it on the client record, the roster flags it in the class's week."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reformer.accounts.models import ClientProfile
from reformer.core.timezones import local_today, to_local
from tests.browser.staff.test_desk_tools import no_sideways_scroll
from tests.factories import make_session
from tests.web_staff.conftest import add_booking, make_client

pytestmark = pytest.mark.browser


@pytest.fixture(params=[390, 1280], ids=lambda w: f"{w}px")
def sized(request, browser, live_url):
    context = browser.new_context(
        base_url=live_url, viewport={"width": request.param, "height": 900}
    )
    context.set_default_timeout(10_000)
    yield context.new_page(), request.param
    context.close()


def test_a_birthday_given_on_the_profile_is_flagged_on_the_roster(
    world,
    sized,
    login,
    assert_accessible,
    tmp_path,
):
    page, width = sized
    session = make_session(world.a, starts_at=timezone.now() + dt.timedelta(hours=2))
    class_day = to_local(session.starts_at, session.studio.time_zone).date()
    ada = make_client(world.a, "Ada Lovelace")
    booking = add_booking(session, ada, spot=world.a.spots[0])
    add_booking(session, make_client(world.a, "Bo Other"), spot=world.a.spots[1])

    login(page, ada.user)
    page.goto("/me/")
    birthday = page.get_by_label("Birthday")
    expect(birthday).to_be_visible()
    birthday.fill(class_day.replace(year=1990).isoformat())
    page.locator("#profile-details").get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="updated")).to_be_visible()
    page.screenshot(path=str(tmp_path / f"profile-{width}.png"), full_page=True)
    expect(page.get_by_label("Birthday")).to_have_value(class_day.replace(year=1990).isoformat())
    profile = ClientProfile.objects.get(membership=ada)
    assert profile.birth_date == class_day.replace(year=1990)
    no_sideways_scroll(page)
    assert_accessible(page)

    page.context.clear_cookies()
    login(page, world.a.instructor.user)
    page.goto(f"/staff/classes/{session.pk}/")
    row = page.locator(f"#booking-{booking.pk}")
    # "today" only when the class is today in the studio (two hours ahead can be tomorrow).
    today = local_today(session.studio.time_zone)
    flag = "Birthday today" if class_day == today else "Birthday on class day"
    expect(row.get_by_role("listitem").filter(has_text=flag)).to_be_visible()
    expect(page.locator(".roster-row", has_text="Bo Other")).not_to_contain_text("Birthday")
    no_sideways_scroll(page)
    assert_accessible(page)
    page.screenshot(path=str(tmp_path / f"roster-{width}.png"), full_page=True)
    print(tmp_path)


def test_the_desk_sets_a_birthday_on_the_client_record(
    world, sized, login, assert_accessible, tmp_path
):
    page, _width = sized
    login(page, world.a.front_desk.user)
    page.goto(f"/staff/clients/{world.a.client.pk}/")
    card = page.locator(".card", has_text="Birthday").first
    expect(card).to_contain_text("Not given")
    card.get_by_label("Birthday").fill("1988-07-01")
    card.get_by_role("button", name="Save birthday").click()
    expect(page.locator(".card", has_text="Birthday").first).to_contain_text("1 July 1988")
    assert ClientProfile.objects.get(membership=world.a.client).birth_date == dt.date(1988, 7, 1)
    no_sideways_scroll(page)
    assert_accessible(page)
    page.screenshot(path=str(tmp_path / f"client-record-{_width}.png"), full_page=True)
    print(tmp_path)
