"""PHX-9 in a real browser: browse today's classes, filters in the URL, empty and loading
states, live availability across browsers, and catching up after a dropped connection."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.client.conftest import wait_live
from tests.web_client.helpers import fill, later_today, package_for, session_at

pytestmark = pytest.mark.browser


def _cards(page):
    return page.locator("#browse-results article.class-card")


def expect_cards(page, count: int) -> None:
    """The results show `count` classes and htmx has finished settling them: new content is
    wired up (data-hx-trigger) only when it settles, 20 ms after the swap."""
    expect(_cards(page)).to_have_count(count)
    expect(page.locator(".htmx-settling")).to_have_count(0)


def open_filters(page):
    page.get_by_role("button", name=re.compile("^Filters")).click()
    sheet = page.get_by_role("dialog", name="Filters")
    expect(sheet).to_be_visible()
    return sheet


def choose(page, field: str, **option) -> None:
    """Pick one option in the Filters sheet and show the classes."""
    sheet = open_filters(page)
    sheet.get_by_label(field).select_option(**option)
    sheet.get_by_role("button", name="Show classes").click()
    expect(sheet).to_have_count(0)


@pytest.fixture
def schedule(world):
    """Today: a morning class with Sarah, an evening class with Tom; more in the week."""
    a = world.a
    sarah = a.instructor
    sarah.user.name = "Sarah Johnson"
    sarah.user.save()
    tom = factories.MembershipFactory(
        organization=a.organization, role="instructor", user__name="Tom Baker"
    )
    tower = factories.ClassTypeFactory(organization=a.organization, name="Tower")
    return {
        "morning": later_today(a, minutes=60, instructor=sarah),
        "evening": later_today(a, minutes=9 * 60, instructor=tom, class_type=tower),
        "thursday": session_at(a, day=2, hour=8, instructor=sarah),
        "saturday": session_at(a, day=4, hour=18, instructor=tom, class_type=tower),
        "beta": later_today(world.b, minutes=60),
        "sarah": sarah,
        "tom": tom,
        "tower": tower,
    }


@pytest.mark.scenario("PHX-9", "Browse today's classes with real-time availability")
@pytest.mark.scenario("PHX-9", "Filter classes by instructor")
def test_it_browses_today_and_filters_without_reloading(as_client, schedule, assert_accessible):
    page = as_client
    page.goto("/classes/")
    expect_cards(page, 2)
    morning = page.locator(f"#session-{schedule['morning'].pk}")
    expect(morning).to_contain_text("Reformer Flow")
    expect(morning).to_contain_text("with Sarah Johnson")
    expect(morning).to_contain_text("alpha Main · Reformer Room")
    expect(morning).to_contain_text("10 spots left")
    expect(morning.get_by_role("link", name=re.compile("^Book"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^Today, Tuesday 4 March"))).to_be_visible()
    assert_accessible(page)

    page.evaluate("window.__sameDocument = true")
    choose(page, "Instructor", label="Sarah Johnson")
    expect_cards(page, 1)
    expect(page).to_have_url(re.compile(rf"\?when=today&instructor={schedule['sarah'].pk}$"))
    assert page.evaluate("window.__sameDocument") is True  # no page reload
    expect(page.get_by_role("button", name=re.compile("^Filters"))).to_have_text(
        re.compile(r"Filters\s+1 active")
    )

    choose(page, "Instructor", label="Any instructor")
    expect_cards(page, 2)
    choose(page, "Time of day", value="evening")
    expect(page).to_have_url(re.compile(r"\?when=today&time=evening$"))
    expect_cards(page, 1)
    choose(page, "Class type", label="Tower")
    expect(page).to_have_url(re.compile(rf"\?when=today&time=evening&type={schedule['tower'].pk}$"))
    expect_cards(page, 1)
    expect(page.locator(f"#session-{schedule['evening'].pk}")).to_be_visible()
    page.get_by_role("link", name="Clear filters").click()
    expect_cards(page, 2)
    expect(page.get_by_label("Time of day")).to_have_value("")
    assert page.evaluate("window.__sameDocument") is True


def test_it_restores_filters_on_back_forward_reload_and_shared_links(as_client, schedule):
    page = as_client
    page.goto("/classes/")
    choose(page, "Dates", value="week")
    expect_cards(page, 4)
    choose(page, "Instructor", label="Tom Baker")
    expect_cards(page, 2)
    tom_url = page.url

    page.go_back()
    expect(page.get_by_label("Instructor")).to_have_value("")
    expect(page.get_by_label("Dates")).to_have_value("week")
    expect_cards(page, 4)
    page.go_forward()
    expect(page.get_by_label("Instructor")).to_have_value(str(schedule["tom"].pk))
    expect_cards(page, 2)
    page.reload()
    expect(page.get_by_label("Instructor")).to_have_value(str(schedule["tom"].pk))
    expect_cards(page, 2)

    # Into a class's page and back: the filters and results are still there.
    page.get_by_role("link", name="Tower").first.click()
    expect(page.get_by_role("heading", level=1, name="Tower")).to_be_visible()
    page.go_back()
    expect(page).to_have_url(tom_url)
    expect(page.get_by_label("Instructor")).to_have_value(str(schedule["tom"].pk))
    expect_cards(page, 2)

    shared = page.context.new_page()
    shared.goto(tom_url)
    expect(shared.get_by_label("Dates")).to_have_value("week")
    expect(shared.locator("#browse-results article.class-card")).to_have_count(2)


@pytest.mark.scenario("PHX-9", "Filter classes by date range")
def test_it_shows_a_week_with_date_headers_and_a_date_picker(as_client, schedule):
    page = as_client
    page.goto("/classes/")
    choose(page, "Dates", value="week")
    headings = page.locator(".browse-day__title")
    expect(headings).to_have_text(
        [re.compile("^Today, Tuesday 4 March"), "Thursday 6 March", "Saturday 8 March"]
    )
    expect_cards(page, 4)
    sheet = open_filters(page)
    sheet.get_by_label("Pick a date").fill("2031-03-08")
    sheet.get_by_role("button", name="Show classes").click()
    expect_cards(page, 1)
    expect(page.get_by_label("Dates")).to_have_value("date")
    expect(page).to_have_url(re.compile(r"\?when=date&date=2031-03-08$"))
    expect(headings).to_have_text(["Saturday 8 March"])


@pytest.mark.scenario("PHX-9", "View full classes with waitlist")
def test_it_marks_full_classes_and_still_shows_their_details(as_client, world, schedule):
    fill(schedule["morning"], world.a)
    page = as_client
    page.goto("/classes/")
    card = page.locator(f"#session-{schedule['morning'].pk}")
    expect(card).to_have_class(re.compile("class-card--full"))
    expect(card.get_by_role("button")).to_have_text("Full \u2013 join waitlist")
    card.get_by_role("link", name="Reformer Flow").click()
    expect(page.get_by_role("heading", name="About this class")).to_be_visible()
    expect(page.get_by_role("button", name="Full \u2013 join waitlist")).to_be_visible()


@pytest.mark.scenario("PHX-9", "Search with no results")
def test_it_explains_an_empty_result_and_links_the_full_schedule(
    as_client, schedule, assert_accessible
):
    page = as_client
    page.goto(f"/classes/?when=today&instructor={schedule['tom'].pk}&time=morning")
    expect(page.get_by_text("No classes found")).to_be_visible()
    expect(
        page.get_by_text(re.compile("Try another instructor, class type, studio"))
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="View the full schedule").click()
    expect(page).to_have_url(re.compile(r"/classes/\?when=month$"))
    expect_cards(page, 4)


def test_it_shows_a_skeleton_while_results_load(as_client, schedule):
    page = as_client
    page.goto("/classes/")
    expect_cards(page, 2)
    held = []  # the results request, held back until the loading state has been seen
    page.route(re.compile(r".*/classes/\?.*"), lambda route: held.append(route))
    choose(page, "Dates", value="week")
    expect(page.locator("#browse")).to_have_class(re.compile("htmx-request"))
    expect(page.locator(".browse__skeleton")).to_be_visible()
    expect(page.locator("#browse-status")).to_have_text("Loading classes…")
    page.wait_for_timeout(300)  # the skeleton fades in after 120 ms: it is really shown
    assert (
        float(page.locator(".browse__skeleton").evaluate("e => getComputedStyle(e).opacity")) > 0.9
    )
    held[0].continue_()
    expect_cards(page, 4)
    expect(page.locator(".browse__skeleton")).to_be_hidden()
    expect(page.locator("#browse-status")).to_have_text("4 classes · Next 7 days")


def test_it_never_shows_another_organizations_classes(as_client, schedule):
    page = as_client
    page.goto("/classes/?when=month")
    expect_cards(page, 4)
    expect(page.locator(f"#session-{schedule['beta'].pk}")).to_have_count(0)
    expect(page.get_by_text("beta Main")).to_have_count(0)


@pytest.mark.scenario("PHX-9", "Browse today's classes with real-time availability")
def test_it_updates_availability_in_every_open_browser(as_client, second_client, world):
    session = later_today(world.a, minutes=120, capacity=2)
    fill(session, world.a, count=1)
    package_for(world.a.client)
    watcher, booker = as_client, second_client
    watcher.goto("/classes/")
    booker.goto("/classes/")
    wait_live(watcher)
    wait_live(booker)
    card = watcher.locator(f"#session-{session.pk}")
    expect(card).to_contain_text("1 spot left")

    booker.locator(f"#session-{session.pk}").get_by_role("link", name=re.compile("^Book")).click()
    booker.get_by_role("button", name="Confirm booking").click()
    expect(booker.get_by_text("You're booked!")).to_be_visible()

    expect(card.get_by_role("button")).to_have_text("Full \u2013 join waitlist", timeout=1500)
    expect(card).to_contain_text("Full")
    # And a cancellation elsewhere frees the spot again, live.
    booking = session.bookings.get(client=booker.member)
    from reformer.bookings.actions import cancel_booking

    cancel_booking(booker.member, booking)
    expect(card.get_by_role("link", name=re.compile("^Book"))).to_be_visible(timeout=1500)
    expect(card).to_contain_text("1 spot left")


@pytest.mark.scenario("PHX-9", "Handle network disconnection gracefully")
def test_it_shows_reconnecting_and_catches_up_after_a_drop(as_client, world):
    session = later_today(world.a, minutes=120, capacity=3)
    page = as_client
    page.goto("/classes/")
    wait_live(page)
    card = page.locator(f"#session-{session.pk}")
    expect(card).to_contain_text("3 spots left")

    page.evaluate("window.__live.sockets.at(-1).close()")
    expect(page.locator("#live-status")).to_have_text("Reconnecting to live updates…")
    # While the page is disconnected two places go: it misses those live events.
    fill(session, world.a, count=2)
    page.wait_for_function("() => window.__live.opens >= 2", timeout=15_000)
    expect(card).to_contain_text("1 spot left")
    assert page.evaluate("window.__live.resyncs") == 1
    expect(page.locator("#live-status")).to_have_text("Live updates are back.")


@pytest.mark.parametrize("width", [390, 1280])
def test_the_date_strip_and_the_filters_sheet(as_client, schedule, width, assert_accessible):
    page = as_client
    page.set_viewport_size({"width": width, "height": 844 if width < 500 else 900})
    page.goto("/classes/")
    expect_cards(page, 2)
    # Classes first: the first class is on screen without scrolling.
    first = _cards(page).first.bounding_box()
    assert first is not None and first["y"] + 40 < page.viewport_size["height"]
    strip = page.get_by_role("navigation", name="Choose a day")
    expect(strip.get_by_role("link")).to_have_count(14)
    expect(strip.locator("[aria-current='date']")).to_contain_text("Today")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=f"/tmp/issue13-browse-{width}.png")
    assert_accessible(page)

    # A day on the strip, by keyboard: the URL says which, focus stays on the chosen day.
    thursday = strip.get_by_role("link", name=re.compile("Thursday 6 March"))
    thursday.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"\?when=date&date=2031-03-06$"))
    expect_cards(page, 1)
    chosen = page.get_by_role("navigation", name="Choose a day").locator("[aria-current='date']")
    expect(chosen).to_contain_text("6")
    expect(chosen).to_be_focused()

    # The Filters sheet, by keyboard; its count shows once applied; focus comes back.
    filters = page.get_by_role("button", name=re.compile("^Filters"))
    filters.focus()
    page.keyboard.press("Enter")
    sheet = page.get_by_role("dialog", name="Filters")
    expect(sheet).to_be_visible()
    page.screenshot(path=f"/tmp/issue13-filters-{width}.png")
    assert_accessible(page)
    sheet.get_by_label("Instructor").focus()
    page.keyboard.press("ArrowDown")  # the first instructor, as keyboard users do
    sheet.get_by_label("Class type").select_option(label="Reformer Flow")
    sheet.get_by_role("button", name="Show classes").focus()
    page.keyboard.press("Enter")
    expect(sheet).to_have_count(0)
    expect(page).to_have_url(re.compile(r"\?when=date&date=2031-03-06&instructor=\d+&type=\d+$"))
    expect(page.get_by_role("button", name=re.compile("^Filters"))).to_contain_text("2")
    expect(page.get_by_role("button", name=re.compile("^Filters"))).to_be_focused()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
