from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import OperationalError
from django.urls import reverse
from psycopg import errors as pg_errors

from reformer.analytics import queries
from reformer.billing.models import Payment
from reformer.core.models import AuditEvent
from reformer.web.live_render import Subscriptions, Viewer
from reformer.web.owner import live
from reformer.web.owner import views as owner_views
from tests import factories
from tests.analytics import dataset
from tests.analytics.dataset import NOW

PAGES = ["owner:dashboard", "owner:metrics", "owner:chart", "owner:schedule", "owner:export_csv"]
MARCH = {"range": "custom", "from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def data(world, frozen):
    return dataset.build(world.a)


def _get(client, member, name, params=None, **extra):
    client.force_login(member.user)
    return client.get(reverse(name), params or {}, **extra)


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("role", ["owner", "manager"])
def test_it_serves_owners_and_managers(client, world, frozen, name, role):
    assert _get(client, world.a.members[role], name).status_code == 200


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("role", ["front_desk", "instructor", "client"])
def test_it_refuses_other_roles(client, world, name, role):
    assert _get(client, world.a.members[role], name).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_it_sends_visitors_to_sign_in_and_outsiders_to_start(client, world, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(world.outsider)
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"] == reverse("start")


@pytest.mark.parametrize("name", PAGES)
def test_it_hides_another_organizations_studio(client, world, name):
    for studio in (str(world.b.studio.pk), "999999", "abc"):
        response = _get(client, world.a.owner, name, {"studio": studio})
        assert response.status_code == 404


@pytest.mark.parametrize("name", PAGES)
def test_it_refuses_a_studio_outside_a_managers_scope(client, world, name):
    response = _get(client, world.a.manager, name, {"studio": world.a.other_studio.pk})
    assert response.status_code == 403


def test_it_renders_the_cards_and_the_chart_figures_with_the_page(client, world, data):
    """The largest content comes in the first response; only the schedule (below the fold)
    is fetched after load, and the chart library only when the chart nears the screen."""
    html = _get(client, world.a.owner, "owner:dashboard", MARCH).content.decode()
    assert '<p class="metric-card__value">11</p>' in html  # March's bookings, as the panel
    assert 'id="owner-chart-data"' in html and '"interval": "day"' in html
    assert reverse("owner:metrics") in html and reverse("owner:chart") in html  # refreshes
    for panel in ("metrics-panel", "chart-panel"):
        tag = re.search(rf'<div id="{panel}"[^>]*>', html).group(0)
        assert 'data-hx-trigger="owner:refresh' in tag and "load" not in tag
    schedule = re.search(r'<div id="schedule-panel"[^>]*>', html).group(0)
    assert 'data-hx-trigger="load"' in schedule and reverse("owner:schedule") in schedule
    assert "metrics=1" in html  # the live websocket subscription
    assert 'data-chart-library="/static/owner/vendor/echarts.custom.min.js"' in html
    assert '<script src="/static/owner/vendor/echarts' not in html
    assert "All studios" in html and "alpha Annex" in html


def test_it_shows_the_four_metrics_and_the_studio_comparison(client, world, data):
    html = _get(client, world.a.owner, "owner:metrics", MARCH).content.decode()
    assert ">11<" in html  # bookings
    assert "$125.50" in html
    assert "62.5%" in html  # 5 attended / 8
    assert "53.3%" in html  # 8 / 15 places, in the classes held so far
    assert "Classes held so far" in html
    assert "Studio comparison" in html
    assert "alpha Main" in html and "75.0%" in html and "40.0%" in html
    assert "alpha Annex" in html and "80.0%" in html
    assert "No data yet" not in html


def test_it_shows_a_managers_studio_with_its_own_revenue(client, world, data):
    html = _get(client, world.a.manager, "owner:metrics", MARCH).content.decode()
    assert ">7<" in html and "75.0%" in html
    assert "$125.50" not in html and "$100.00" in html and "Taken at this studio" in html
    assert "Studio comparison" not in html


def test_a_manager_of_several_studios_sees_them_named_not_all_studios(client, world, data):
    # PHX-13: a manager of 2 of 3 studios saw "All studios" and "Taken at this studio".
    factories.StudioFactory(organization=world.a.organization, name="alpha Third")
    world.a.manager.studios.add(world.a.other_studio)
    page = _get(client, world.a.manager, "owner:dashboard", MARCH).content.decode()
    assert "Your studios: alpha Annex, alpha Main" in page
    assert '<option value="">All your studios</option>' in page
    assert "All studios" not in page
    html = _get(client, world.a.manager, "owner:metrics", MARCH).content.decode()
    assert "Taken at your studios" in html and "Taken at this studio" not in html
    assert '<th scope="row">Your studios</th>' in html
    rows = _csv(_get(client, world.a.manager, "owner:export_csv", MARCH))
    assert rows[-1][3] == "Your studios"
    # The owner, who reaches every studio, still sees "All studios".
    owner = _get(client, world.a.owner, "owner:metrics", MARCH).content.decode()
    assert '<th scope="row">All studios</th>' in owner and "Taken online" in owner


def test_a_studio_in_another_zone_shows_one_revenue_in_every_view(client, world, data):
    # PHX-13: the comparison row cut the month in the organization's zone, the studio's own
    # view and CSV in the studio's: $10,027 against $10,667 for one studio and month.
    annex = world.a.other_studio
    annex.time_zone = "Europe/London"
    annex.save()
    Payment.objects.create(
        organization=world.a.organization,
        studio=annex,
        client=world.a.client,
        amount=Decimal("40.00"),
        currency="USD",
        status="succeeded",
        created_at=dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC),  # Feb 28 in New York
    )
    rows = {r[3]: r for r in _csv(_get(client, world.a.owner, "owner:export_csv", MARCH))}
    assert rows["alpha Annex"][-1] == "65.50 USD" and rows["alpha Annex"][2] == "Europe/London"
    alone = _csv(_get(client, world.a.owner, "owner:export_csv", {**MARCH, "studio": annex.pk}))
    assert alone[1][-1] == "65.50 USD"
    html = _get(client, world.a.owner, "owner:metrics", MARCH).content.decode()
    row = html.split("alpha Annex</a></th>")[1].split("</tr>")[0]
    assert "$65.50" in row


def test_it_filters_by_studio(client, world, data):
    params = {**MARCH, "studio": world.a.other_studio.pk}
    html = _get(client, world.a.owner, "owner:metrics", params).content.decode()
    assert ">4<" in html and "80.0%" in html and "50.0%" in html
    assert "Studio comparison" not in html


def test_it_welcomes_a_new_studio_with_onboarding_tips(client, world, frozen):
    html = _get(client, world.b.owner, "owner:metrics").content.decode()
    assert "No data yet" in html
    assert ">0<" in html and "No data" in html
    assert reverse("owner:instructors") in html
    assert reverse("organization_public", args=[world.b.organization.slug]) in html


def test_it_falls_back_to_this_month_on_a_bad_custom_range(client, world, frozen):
    params = {"range": "custom", "from": "2026-03-10", "to": "2026-03-01"}
    html = _get(client, world.a.owner, "owner:dashboard", params).content.decode()
    assert "The end date must be on or after the start date." in html
    assert "This month" in html


def test_it_serves_the_chart_data_per_interval(client, world, data):
    # The chart covers the cards' period (this month: March) and adds up to their bookings.
    response = _get(client, world.a.owner, "owner:chart")
    assert response.context["chart_data"]["counts"][-2:] == [0, 1]
    assert len(response.context["chart_data"]["labels"]) == 31
    assert sum(response.context["chart_data"]["counts"]) == 11
    assert 'id="owner-chart-data"' in response.content.decode()
    # From March 16 on (the clock is on the 15th) the classes are still to come: drawn
    # apart, their places booked so far.
    assert response.context["chart_data"]["upcoming_from"] == 15
    assert "Classes still to come are dashed" in response.content.decode()
    march = _get(client, world.a.owner, "owner:chart", MARCH)
    february = {"range": "custom", "from": "2026-02-01", "to": "2026-02-28"}
    past = _get(client, world.a.owner, "owner:chart", february)
    assert past.context["chart_data"]["upcoming_from"] == 28  # all held
    assert "dashed" not in past.content.decode()
    assert march.context["chart_data"]["upcoming_from"] == 15
    weekly = _get(client, world.a.owner, "owner:chart", {"interval": "week"})
    assert weekly.context["series"].interval == "week"
    assert len(weekly.context["chart_data"]["counts"]) == 6  # the weeks touching March
    assert sum(weekly.context["chart_data"]["counts"]) == 11
    metrics = _get(client, world.a.owner, "owner:metrics").content.decode()
    assert ">11<" in metrics


def test_it_pages_the_upcoming_schedule(client, world, frozen):
    start = NOW.replace(minute=0) + dt.timedelta(hours=2)
    for n in range(12):
        factories.ClassSessionFactory(
            room=world.a.room,
            class_type=world.a.class_type,
            starts_at=start + dt.timedelta(hours=n * 3),
            ends_at=start + dt.timedelta(hours=n * 3, minutes=50),
        )
    first = _get(client, world.a.owner, "owner:schedule")
    assert len(first.context["sessions"]) == 10
    assert "Page 1 of 2" in first.content.decode()
    second = _get(client, world.a.owner, "owner:schedule", {"page": 2})
    assert len(second.context["sessions"]) == 2
    assert list(_get(client, world.b.owner, "owner:schedule").context["sessions"]) == []


def test_schedule_page_links_open_the_dashboard_at_that_page(client, world, frozen):
    """The Next/Previous hrefs (new tab, no JS) open the whole dashboard, not the bare panel."""
    start = NOW.replace(minute=0) + dt.timedelta(hours=2)
    for n in range(12):
        factories.ClassSessionFactory(
            room=world.a.room,
            class_type=world.a.class_type,
            starts_at=start + dt.timedelta(hours=n * 3),
            ends_at=start + dt.timedelta(hours=n * 3, minutes=50),
        )
    html = _get(client, world.a.owner, "owner:schedule").content.decode()
    assert f'href="{reverse("owner:dashboard")}?' in html
    assert f'href="{reverse("owner:schedule")}?' not in html
    dashboard = _get(client, world.a.owner, "owner:dashboard", {"page": 2})
    assert "page=2" in dashboard.context["schedule_url"]


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_it_exports_the_metrics_as_csv(client, world, data):
    response = _get(client, world.a.owner, "owner:export_csv", MARCH)
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0][:4] == ["period_start", "period_end", "time_zone", "studio"]
    by_studio = {row[3]: row for row in rows[1:]}
    assert by_studio["All studios"][4] == "11"
    assert by_studio["All studios"][-1] == "125.50 USD"
    assert by_studio["alpha Main"][4] == "7" and by_studio["alpha Main"][-1] == "100.00 USD"
    assert AuditEvent.objects.filter(code="analytics.metrics.exported").count() == 1


def test_it_exports_the_daily_series_as_csv(client, world, data):
    params = {**MARCH, "kind": "daily", "studio": world.a.studio.pk}
    rows = _csv(_get(client, world.a.owner, "owner:export_csv", params))
    assert rows[0][:3] == ["date", "studio", "bookings"]
    assert len(rows) == 1 + 31
    march_2 = next(row for row in rows if row[0] == "2026-03-02")
    assert march_2[1:3] == ["alpha Main", "4"]


def test_it_limits_exports_per_minute(client, world, frozen, monkeypatch):
    monkeypatch.setattr(owner_views, "EXPORTS_PER_MINUTE", 1)
    assert _get(client, world.a.owner, "owner:export_csv").status_code == 200
    assert _get(client, world.a.owner, "owner:export_csv").status_code == 429


def _timeout(*args, **kwargs):
    error = OperationalError("canceling statement due to statement timeout")
    error.__cause__ = pg_errors.QueryCanceled()
    raise error


def test_it_says_loading_data_and_retries_when_a_query_times_out(
    client, world, frozen, monkeypatch
):
    monkeypatch.setattr(queries, "summary", _timeout)
    html = _get(client, world.a.owner, "owner:metrics").content.decode()
    assert "Loading data..." in html and "attempt=1" in html and "delay:2s" in html
    html = _get(client, world.a.owner, "owner:metrics", {"attempt": 2}).content.decode()
    assert "Try again" in html and "attempt=0" in html


def test_the_page_still_opens_when_its_cards_time_out_and_fetches_them_later(
    client, world, frozen, monkeypatch
):
    monkeypatch.setattr(queries, "summary", _timeout)
    response = _get(client, world.a.owner, "owner:dashboard", {"range": "last_30_days"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Loading data..." in html and 'id="owner-chart-data"' in html
    retry = f"{reverse('owner:metrics')}?range=last_30_days&amp;attempt=1"
    assert f'data-hx-get="{retry}"' in html  # the panel's own URL, not the page's


def test_it_runs_the_metric_queries_under_a_statement_timeout(world):
    with owner_views.statement_timeout(50):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()[0] == "50ms"


def test_it_signals_metric_changes_only_to_metric_subscribers(world):
    event = {"type": "booking", "op": "created", "ids": [1]}
    html = live.metrics_signal(Viewer(world.a.owner, Subscriptions(metrics=True)), event)
    assert 'id="owner-live-signal"' in html and 'data-hx-swap-oob="true"' in html
    assert live.metrics_signal(Viewer(world.a.owner, Subscriptions(user=True)), event) == ""


def test_it_registers_a_dashboard_nav_entry_for_owners_and_managers(client, world, frozen):
    for role, shown in (("owner", True), ("manager", True), ("front_desk", False)):
        client.force_login(world.a.members[role].user)
        html = client.get(reverse("profile:edit")).content.decode()
        assert (f'href="{reverse("owner:dashboard")}"' in html) is shown


@pytest.mark.parametrize("name", ["owner:metrics", "owner:export_csv"])
@pytest.mark.parametrize(
    ("start", "end"), [("9999-12-01", "9999-12-31"), ("0001-01-01", "0001-01-31")]
)
def test_it_refuses_a_custom_range_at_the_ends_of_the_calendar(
    client, world, frozen, name, start, end
):
    params = {"range": "custom", "from": start, "to": end}
    response = _get(client, world.a.owner, name, params)
    if name == "owner:export_csv":
        assert response.status_code == 400
    else:
        assert response.status_code == 200
        assert response.context["filters"].period.preset == "this_month"


def test_each_card_shows_its_change_against_the_previous_period(client, world, data):
    # A month later, "last month" is March, whole, against the whole of February: 1 booking
    # (s5), attended; $70.00 taken.
    with time_machine.travel(dt.datetime(2026, 4, 15, 12, tzinfo=dt.UTC), tick=False):
        html = _get(client, world.a.owner, "owner:metrics", {"range": "last_month"})
    html = html.content.decode()
    assert "+1000%" in html  # 11 bookings against 1
    assert "vs February" in html
    assert "+79%" in html  # $125.50 against $70.00
    assert "-37.5 pts" in html  # attendance 62.5% against 100%


def test_a_running_month_is_compared_to_date_with_the_same_days_before(client, world, data):
    """On March 15, March so far (1-15) is compared with February 1-15, not with the whole
    of February: early in a month, revenue so far against a whole month reads as a fall."""
    Payment.objects.create(
        organization=world.a.organization,
        studio=world.a.studio,
        client=world.a.client,
        amount=Decimal("50.00"),
        currency="USD",
        status="succeeded",
        created_at=dt.datetime(2026, 2, 10, 17, tzinfo=dt.UTC),
    )
    html = _get(client, world.a.owner, "owner:metrics").content.decode()  # this month
    assert "vs Feb 1\u201315 (to date)" in html
    assert '<p class="metric-card__value">11</p>' in html  # the card: the whole month
    # Revenue so far, $125.50 (Mar 3 and 12), against February 1-15's $50.00; against the
    # whole of February ($120.00) it would be +5%.
    assert "+151%" in html
