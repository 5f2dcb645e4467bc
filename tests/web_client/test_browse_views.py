from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from tests.web_client.conftest import htmx
from tests.web_client.helpers import book, fill, later_today, package_for, session_at, wait_for

BROWSE = "/classes/"


def test_it_sends_visitors_to_sign_in(client, world):
    response = client.get(BROWSE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_it_sends_outsiders_to_join_an_organization(client, world):
    client.force_login(world.outsider)
    response = client.get(BROWSE)
    assert response.status_code == 302
    assert response["Location"] == reverse("start")


@pytest.mark.parametrize("role", ["owner", "manager", "front_desk", "instructor"])
def test_it_refuses_staff(client, world, role):
    client.force_login(getattr(world.a, role).user)
    assert client.get(BROWSE).status_code == 403


def test_it_lists_todays_classes_of_the_clients_organization_only(as_client, world):
    mine = later_today(world.a, instructor=world.a.instructor)
    later_today(world.b)
    tomorrow = session_at(world.a, day=1)
    response = as_client.get(BROWSE)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="session-{mine.pk}"' in html
    assert "alpha instructor" in html and "alpha Main" in html and "Reformer Room" in html
    assert "10 spots left" in html
    assert f'id="session-{tomorrow.pk}"' not in html
    assert "beta" not in html.lower().replace("alphabet", "")
    # The page subscribes to its studios' live availability.
    assert f"studio={world.a.studio.pk}" in html and f"studio={world.b.studio.pk}" not in html


def test_it_shows_each_state_of_a_class_for_this_client(as_client, world):
    package_for(world.a.client)
    booked = later_today(world.a, minutes=60)
    book(world.a.client, booked)
    full = fill(later_today(world.a, minutes=180, capacity=2), world.a)
    waiting = fill(later_today(world.a, minutes=300, capacity=1), world.a)
    wait_for(world.a.client, waiting)
    html = as_client.get(BROWSE).content.decode()
    assert 'data-state="booked"' in html and "You're booked" in html
    assert "Full \u2013 join waitlist" in html and f'id="waitlist-{full.pk}"' in html
    assert "On waitlist · #1" in html and f'id="leave-{waiting.pk}"' in html


def test_it_groups_a_week_by_day_with_headers(as_client, world):
    session_at(world.a, day=1, hour=9)
    session_at(world.a, day=2, hour=10)
    session_at(world.a, day=2, hour=12)
    session_at(world.a, day=2, hour=10, studio=world.a.other_studio)
    html = as_client.get(BROWSE, {"when": "week"}).content.decode()
    assert html.count('class="browse-day__title') == 2
    assert "Tomorrow, Wednesday 5 March" in html and "Thursday 6 March" in html
    # Two classes at 10:00 on Thursday share one time slot.
    assert html.count('aria-label="Classes at 10:00"') == 1


def test_it_filters_by_instructor_type_studio_and_time_together(as_client, world):
    a = world.a
    yoga = factories.ClassTypeFactory(organization=a.organization, name="Tower")
    other_instructor = factories.MembershipFactory(organization=a.organization, role="instructor")
    match = session_at(a, day=1, hour=18, instructor=a.instructor, class_type=yoga)
    session_at(a, day=1, hour=8, instructor=a.instructor, class_type=yoga)  # morning
    session_at(a, day=1, hour=19, instructor=other_instructor, class_type=yoga)  # instructor
    session_at(a, day=1, hour=20, instructor=a.instructor)  # class type
    session_at(a, day=1, hour=17, instructor=a.instructor, class_type=yoga, studio=a.other_studio)
    params = {
        "when": "week",
        "time": "evening",
        "instructor": a.instructor.pk,
        "type": yoga.pk,
        "studio": a.studio.pk,
    }
    html = as_client.get(BROWSE, params).content.decode()
    assert html.count('data-state="') == 1
    assert f'id="session-{match.pk}"' in html
    # The selects show the filters back.
    assert f'<option value="{a.instructor.pk}" selected>' in html
    assert '<option value="evening" selected>' in html


def test_it_shows_one_day_picked_on_the_date_picker(as_client, world):
    session_at(world.a, day=1, hour=9)
    picked = session_at(world.a, day=3, hour=9)
    html = as_client.get(BROWSE, {"date": "2031-03-07"}).content.decode()
    assert f'id="session-{picked.pk}"' in html
    assert html.count('data-state="') == 1
    assert 'value="2031-03-07"' in html and '<option value="date" selected>' in html


def test_it_refuses_filters_from_another_organization_or_out_of_range(as_client, world):
    # A name that is not on offer is said, with no classes: not every class quietly.
    later_today(world.a)
    html = as_client.get(
        BROWSE, {"studio": world.b.studio.pk, "instructor": "x", "date": "2040-01-01"}
    ).content.decode()
    assert html.count('data-state="') == 0
    assert "This filter is not valid" in html
    assert "Pick a date between today and" in html


def test_an_inactive_or_unknown_instructor_filter_is_said_not_ignored(as_client, world):
    # PHX-13: /classes/?instructor=<deactivated>&when=month showed every class.
    later_today(world.a)
    gone = factories.MembershipFactory(
        organization=world.a.organization, role="instructor", active=False
    )
    for instructor in (gone.pk, 999_999_999):
        html = as_client.get(BROWSE, {"instructor": instructor, "when": "month"}).content.decode()
        assert html.count('data-state="') == 0
        assert "That instructor is not teaching here any more" in html
        assert "Clear filters" in html
    # A date out of range alone still falls back to today, and says so.
    html = as_client.get(BROWSE, {"date": "2040-01-01"}).content.decode()
    assert html.count('data-state="') == 1 and "Pick a date between today and" in html


def test_it_limits_the_schedule_to_the_next_30_days(as_client, world):
    session_at(world.a, day=29)
    session_at(world.a, day=31)
    html = as_client.get(BROWSE, {"when": "month"}).content.decode()
    assert html.count('data-state="') == 1


def test_it_explains_an_empty_result(as_client, world):
    session_at(world.a, day=1)
    html = as_client.get(BROWSE, {"when": "week", "time": "evening"}).content.decode()
    assert "No classes found" in html
    assert "Try another instructor, class type, studio or time of day" in html
    assert 'href="/classes/?when=month">View the full schedule' in html
    # Clearing keeps the week and drops the time of day; with only dates chosen, it goes
    # back to today.
    assert 'href="/classes/?when=week">Clear filters' in html
    week_only = as_client.get(BROWSE, {"when": "week"}).content.decode()
    assert 'id="clear-filters" href="/classes/"' in week_only


def test_it_answers_htmx_with_the_results_and_the_canonical_url(as_client, world):
    session_at(world.a, day=1, hour=19)
    response = as_client.get(
        BROWSE,
        {"when": "week", "time": "evening", "instructor": "", "type": ""},
        **htmx("browse"),
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="browse"')
    assert "<html" not in html
    assert response["HX-Push-Url"] == "/classes/?when=week&time=evening"
    assert "HX-Request" in response["Vary"]
    # A re-sync after a dropped connection refreshes without a new history entry.
    resync = as_client.get(
        BROWSE, {"when": "week"}, **htmx("browse", HTTP_HX_TRIGGER="browse-results")
    )
    assert "HX-Push-Url" not in resync


def test_it_answers_a_history_restore_with_the_whole_page(as_client, world):
    response = as_client.get(
        BROWSE, {"when": "week"}, **htmx("browse", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    )
    assert "<html" in response.content.decode()


def test_it_shows_more_classes_in_windows(as_client, world, monkeypatch):
    from reformer.web.client import queries

    monkeypatch.setattr(queries, "PAGE_SIZE", 3)
    for hour in range(8, 13):
        session_at(world.a, day=1, hour=hour)
    html = as_client.get(BROWSE, {"when": "week"}).content.decode()
    assert html.count('data-state="') == 3
    assert 'id="browse-more-3"' in html and "offset=3" in html
    more = as_client.get(BROWSE, {"when": "week", "offset": 3}, **htmx("browse-more-3"))
    more_html = more.content.decode()
    assert more_html.count('data-state="') == 2
    assert "browse-more-" not in more_html
    # The day started in the first window is not announced twice.
    assert "(continued)" in more_html


@pytest.mark.parametrize("count", [5, 50])
def test_it_reads_the_same_number_of_queries_whatever_the_number_of_classes(
    as_client, world, django_assert_num_queries, count
):
    package_for(world.a.client)
    for index in range(count):
        session = session_at(
            world.a, day=1 + index % 6, hour=6 + index // 6, instructor=world.a.instructor
        )
        if index == 0:
            book(world.a.client, session)
    waiting = fill(session_at(world.a, day=6, hour=22, capacity=1), world.a)
    wait_for(world.a.client, waiting)
    # Session + user + membership, then the filter options, the classes (with my waitlist
    # places) and my held places: those three in one round trip (queries.browse).
    with django_assert_num_queries(6):
        response = as_client.get(BROWSE, {"when": "week"})
    assert response.content.decode().count('data-state="') == count + 1
    # Naming an instructor: the options are read first (they say whether the name is valid).
    with django_assert_num_queries(6):
        response = as_client.get(BROWSE, {"when": "week", "instructor": world.a.instructor.pk})
    assert response.content.decode().count('data-state="') == count


def test_it_shows_a_class_page_with_its_availability(as_client, world):
    session = session_at(world.a, day=1, instructor=world.a.instructor)
    response = as_client.get(
        f"/classes/{session.pk}/", HTTP_REFERER="http://testserver/classes/?when=week"
    )
    html = response.content.decode()
    assert response.status_code == 200 and "About this class" in html
    assert 'href="/classes/?when=week">&larr; Back to classes' in html
    other = session_at(world.b, day=1)
    assert as_client.get(f"/classes/{other.pk}/").status_code == 404
