"""The staff's tools at the desk, at a phone's 390 px and a desktop's 1280 px: the week grid,
check-in search ("Jane is here" in two taps), the roster in spot or name order with focus
kept on the row after marking, and no layout shift while the roster loads."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reformer.bookings.models import Booking
from reformer.core.timezones import local_to_utc, local_today, to_local
from tests import factories
from tests.browser.staff.conftest import times_out_at_first
from tests.factories import make_session
from tests.web_staff.conftest import add_booking, make_client

pytestmark = pytest.mark.browser

TZ = "America/New_York"
WIDTHS = [390, 1280]


@pytest.fixture(params=WIDTHS, ids=lambda w: f"{w}px")
def sized(request, browser, live_url):
    context = browser.new_context(
        base_url=live_url, viewport={"width": request.param, "height": 900}
    )
    context.set_default_timeout(10_000)
    yield context.new_page(), request.param
    context.close()


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def _next_weekday(weekday: int) -> dt.date:
    today = local_today(TZ) + dt.timedelta(days=7)
    return today + dt.timedelta(days=(weekday - today.weekday()) % 7)


def test_the_schedule_is_a_week_grid_on_desktop_and_a_list_on_phones(
    world, sized, login, assert_accessible
):
    page, width = sized
    tuesday = _next_weekday(1)
    tower = factories.RoomFactory(studio=world.a.studio, name="Tower Room", capacity=4)
    early = make_session(world.a, starts_at=local_to_utc(tuesday, dt.time(7), TZ))
    late = make_session(world.a, starts_at=local_to_utc(tuesday, dt.time(18, 30), TZ))
    beside = make_session(
        world.a,
        starts_at=local_to_utc(tuesday, dt.time(7), TZ),
        room=tower,
        class_type=factories.ClassTypeFactory(organization=world.a.organization, name="Tower"),
        instructor=None,
    )
    thursday = make_session(
        world.a, starts_at=local_to_utc(tuesday + dt.timedelta(2), dt.time(9), TZ)
    )
    login(page, world.a.manager.user)
    page.goto(f"/staff/schedule/?studio={world.a.studio.pk}&week={tuesday.isoformat()}")
    cards = {s.pk: page.locator(f"#grid-session-{s.pk}") for s in (early, late, beside, thursday)}
    for card in cards.values():
        expect(card).to_be_visible()
    expect(cards[early.pk]).to_contain_text("07:00")  # the factory organization writes 24 h
    box = {pk: card.bounding_box() for pk, card in cards.items()}
    if width >= 1280:
        # Days across, time down, one lane per room within the day.
        assert box[late.pk]["y"] > box[early.pk]["y"] + 200
        assert abs(box[late.pk]["x"] - box[early.pk]["x"]) < 2  # same day, same room
        assert abs(box[beside.pk]["y"] - box[early.pk]["y"]) < 2  # same time, next lane
        assert box[beside.pk]["x"] > box[early.pk]["x"] + 20
        assert box[thursday.pk]["x"] > box[beside.pk]["x"]
        expect(page.locator(".week-grid__room", has_text="Tower Room").first).to_be_visible()
    else:
        # A list by day: full-width cards, one under the other, in time order.
        order = [early.pk, beside.pk, late.pk, thursday.pk]
        ys = [box[pk]["y"] for pk in order]
        assert ys == sorted(ys) and len(set(ys)) == 4
        assert all(box[pk]["width"] > width * 0.8 for pk in order)
    expect(cards[beside.pk]).to_have_class(re.compile("grid-class--needs"))
    no_sideways_scroll(page)
    assert_accessible(page)

    # A quick action from a class's menu: cancel it without leaving the week.
    cards[late.pk].locator("summary").click()
    cards[late.pk].get_by_role("link", name="Cancel class").click()
    dialog = page.get_by_role("dialog", name="Cancel this class?")
    dialog.get_by_label("Reason").fill("Instructor ill")
    dialog.get_by_role("button", name="Cancel class").click()
    expect(page.locator(f"#grid-session-{late.pk}")).to_contain_text("Cancelled")

    # The list stays one tap away.
    page.get_by_role("link", name="List", exact=True).click()
    expect(page.locator(f"#schedule-session-{early.pk}")).to_be_visible()
    expect(page).to_have_url(re.compile("view=list"))


def test_check_in_finds_a_client_by_name_email_or_phone_across_todays_classes(
    world, sized, login, assert_accessible
):
    page, _width = sized
    now = timezone.now()
    soon = make_session(world.a, starts_at=now + dt.timedelta(minutes=20))
    later = make_session(world.a, starts_at=now + dt.timedelta(minutes=80))
    jane = make_client(world.a, "Jane Whitaker")
    jane.user.phone = "+12125550147"
    jane.user.save(update_fields=["phone"])
    other = make_client(world.a, "Omar Other")
    booking = add_booking(soon, jane)
    add_booking(later, other)
    login(page, world.a.front_desk.user)
    day = to_local(soon.starts_at, TZ).date()
    page.goto(f"/staff/checkin/?date={day.isoformat()}")
    search = page.get_by_label("Who\N{RIGHT SINGLE QUOTATION MARK}s here?")
    search.fill("jane")  # tap one: type
    result = page.locator(f"#find-{booking.pk}")
    expect(result).to_contain_text("Jane Whitaker")
    expect(page.locator(".checkin-find__row")).to_have_count(1)
    no_sideways_scroll(page)
    assert_accessible(page)
    result.get_by_role("button", name=re.compile("^Check in Jane Whitaker")).click()  # tap two
    expect(page.locator(f"#find-{booking.pk}")).to_contain_text("Checked in")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.ATTENDED

    search.fill("0147")  # by phone digits
    expect(page.locator(f"#find-{booking.pk}")).to_contain_text("Checked in")
    search.fill("nobody-here")
    expect(
        page.get_by_text(re.compile("Nobody booked into this day.s classes matches"))
    ).to_be_visible()


def test_the_roster_sorts_by_spot_or_name_and_keeps_focus_on_the_row(
    world, sized, login, assert_accessible
):
    page, _width = sized
    session = make_session(world.a, starts_at=timezone.now() + dt.timedelta(minutes=15))
    spots = world.a.spots
    # Names in the reverse order of their spots.
    zoe = add_booking(session, make_client(world.a, "Zoe Adams"), spot=spots[0])
    mia = add_booking(session, make_client(world.a, "Mia Brown"), spot=spots[1])
    amy = add_booking(session, make_client(world.a, "Amy Carter"), spot=spots[2])
    amy.client_package = factories.ClientPackageFactory(
        client=amy.client, credits_total=5, credits_remaining=1
    )
    amy.save(update_fields=["client_package"])
    login(page, world.a.front_desk.user)
    page.goto(f"/staff/classes/{session.pk}/")
    names = page.locator(".roster-row__name")
    expect(names).to_have_count(3)
    assert [n.split(" Health")[0] for n in names.all_inner_texts()] == [
        "Zoe Adams",
        "Mia Brown",
        "Amy Carter",
    ]
    expect(page.locator(f"#booking-{zoe.pk}")).to_contain_text("First visit")
    expect(page.locator(f"#booking-{amy.pk}")).to_contain_text("1 credit left")
    no_sideways_scroll(page)
    assert_accessible(page)

    page.get_by_role("link", name="By name").click()
    expect(names.first).to_contain_text("Amy Carter")
    assert [n.split(" Health")[0] for n in names.all_inner_texts()] == [
        "Amy Carter",
        "Mia Brown",
        "Zoe Adams",
    ]

    # The roster comes with the page, so "By name" may be clicked before htmx binds it (a
    # plain link: a new page in name order) or after (an htmx swap, whose new buttons htmx
    # binds only once the swap settles). Either way htmx must have bound the buttons before
    # a key press, or the button posts the plain form (which works, but is not what is
    # tested here): wait for the load to be complete and no swap under way.
    page.wait_for_function(
        """() => window.htmx !== undefined && document.readyState === 'complete'
        && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"""
    )
    # Keyboard: mark Mia attended; focus stays on her row's button, then on Undo's row.
    attended = page.locator(f"#att-{mia.pk}-attended")
    attended.focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#booking-{mia.pk}")).to_contain_text("Attended")
    expect(page.locator(f"#att-{mia.pk}-attended")).to_be_focused()
    # The counts follow the mark (PHX-12), without taking the focus.
    expect(page.locator('[data-stat="attended"]')).to_have_text("1")
    undo = page.locator(f"#att-{mia.pk}-undo")
    expect(undo).to_be_visible()
    undo.focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#att-{mia.pk}-undo")).to_have_count(0)
    expect(page.locator(f"#att-{mia.pk}-attended")).to_be_focused()
    expect(page.locator('[data-stat="attended"]')).to_have_text("0")
    # Undo is not mistaken for a mark: it looks different from the three marks.
    page.locator(f"#att-{mia.pk}-late").click()
    undo_style = page.locator(f"#att-{mia.pk}-undo").evaluate(
        "e => getComputedStyle(e).borderStyle"
    )
    late_style = page.locator(f"#att-{zoe.pk}-late").evaluate(
        "e => getComputedStyle(e).borderStyle"
    )
    assert undo_style != late_style

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Check in all unmarked").click()
    expect(page.locator(".roster-row--attended")).to_have_count(3)
    assert set(Booking.objects.filter(session=session).values_list("status", flat=True)) == {
        "attended"
    }
    expect(names.first).to_contain_text("Amy Carter")  # still in name order


@pytest.mark.parametrize("roster", ["with the page", "fetched after a timeout"])
def test_the_roster_does_not_shift_the_page_while_it_loads(
    world, sized, login, monkeypatch, roster
):
    """The roster comes with the page; when its queries time out, its skeleton (one row per
    booking) holds its place until the fetched roster replaces it."""
    page, width = sized
    if roster == "fetched after a timeout":
        times_out_at_first(monkeypatch, 1)
    session = make_session(world.a, starts_at=timezone.now() + dt.timedelta(hours=3))
    for index in range(6):
        add_booking(session, make_client(world.a, f"Client {index}"), spot=world.a.spots[index])
    page.add_init_script(
        """window.__shift = 0;
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) {
            if (!entry.hadRecentInput) window.__shift += entry.value;
          }
        }).observe({type: 'layout-shift', buffered: true});"""
    )
    login(page, world.a.front_desk.user)
    page.goto(f"/staff/classes/{session.pk}/")
    expect(page.locator(".roster-row:not(.roster-row--skeleton)")).to_have_count(6)
    page.wait_for_function("() => document.querySelector('#roster[aria-busy]') === null")
    shift = page.evaluate("window.__shift")
    assert shift < 0.05, f"cumulative layout shift {shift:.3f} at {width}px"
