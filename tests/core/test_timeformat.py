"""Dates and times as the studio expects them (core/timeformat.py, the `|when` filter)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.urls import reverse

from reformer.core import timeformat
from reformer.core.errors import DomainError
from reformer.core.timezones import local_to_utc, zone
from reformer.studios.actions import update_organization
from reformer.studios.models import Organization
from tests.factories import make_session

NY, LONDON = "America/New_York", "Europe/London"


def _org(time_zone: str, locale: str = "") -> Organization:
    return Organization(name="Test", slug="t", time_zone=time_zone, locale=locale)


def _at(day: dt.date, hour: int, minute: int, tz: str) -> dt.datetime:
    return local_to_utc(day, dt.time(hour, minute), tz).astimezone(zone(tz))


def test_a_us_studio_gets_a_twelve_hour_clock_and_month_first_dates():
    us = timeformat.locale_of(_org(NY))
    moment = _at(dt.date(2026, 6, 3), 17, 30, NY)
    assert us.code == "en-US"
    assert timeformat.when(moment, "time", us) == "5:30\N{NO-BREAK SPACE}PM"
    assert timeformat.when(moment, "day", us) == "Wed, Jun 3"
    assert timeformat.when(moment, "date", us) == "Jun 3, 2026"
    assert timeformat.when(moment, "day_time", us) == "Wed, Jun 3, 5:30\N{NO-BREAK SPACE}PM"
    assert timeformat.when(_at(dt.date(2026, 6, 3), 0, 5, NY), "time", us).startswith("12:05")
    assert timeformat.when(_at(dt.date(2026, 6, 3), 12, 0, NY), "time", us) == (
        "12:00\N{NO-BREAK SPACE}PM"
    )


def test_a_uk_studio_gets_a_twenty_four_hour_clock_and_day_first_dates():
    uk = timeformat.locale_of(_org(LONDON))
    moment = _at(dt.date(2026, 6, 3), 17, 30, LONDON)
    assert uk.code == "en-GB"
    assert timeformat.when(moment, "time", uk) == "17:30"
    assert timeformat.when(moment, "day", uk) == "Wed 3 Jun"
    assert timeformat.when(moment, "date_long", uk) == "Wednesday 3 June 2026"
    assert timeformat.when(moment, "day_time", uk) == "Wed 3 Jun, 17:30"


def test_the_organization_choice_wins_over_the_time_zone():
    chosen = timeformat.locale_of(_org(NY, locale="en-GB"))
    assert timeformat.when(_at(dt.date(2026, 6, 3), 17, 30, NY), "time", chosen) == "17:30"
    assert timeformat.locale_of(_org("Australia/Sydney")).clock24 is False
    assert timeformat.locale_of(_org("Europe/Berlin")).code == "en-150"


def test_the_zone_is_named_only_where_a_studio_is_not_in_the_home_zone():
    us = timeformat.locale_of(_org(NY))
    home = _at(dt.date(2026, 6, 3), 17, 30, NY)
    away = _at(dt.date(2026, 6, 3), 17, 30, LONDON)
    assert timeformat.when(home, "time", us) == "5:30\N{NO-BREAK SPACE}PM"
    assert timeformat.when(away, "time", us) == "5:30\N{NO-BREAK SPACE}PM BST"
    assert timeformat.when(home, "time", us, name_zone=True).endswith("EDT")


def test_daylight_saving_changes_the_zone_name_but_never_the_wall_clock_time():
    us = timeformat.locale_of(_org(NY))
    uk = timeformat.locale_of(_org(LONDON))
    # A 7:00 class the Saturday before and the Monday after New York springs forward.
    before = local_to_utc(dt.date(2026, 3, 7), dt.time(7), NY)
    after = local_to_utc(dt.date(2026, 3, 9), dt.time(7), NY)
    assert after - before != dt.timedelta(days=2)  # the UTC gap is an hour short
    with timeformat.activate(us):
        assert timeformat.when(before, "time") == "7:00\N{NO-BREAK SPACE}AM"
        assert timeformat.when(after, "time") == "7:00\N{NO-BREAK SPACE}AM"
        assert timeformat.when(before, "time", name_zone=True).endswith("EST")
        assert timeformat.when(after, "time", name_zone=True).endswith("EDT")
    # London in winter is UTC+0 yet still "GMT", not treated as a UTC value.
    winter = _at(dt.date(2026, 1, 5), 18, 0, LONDON)
    assert timeformat.when(winter, "time", uk, name_zone=True) == "18:00 GMT"
    assert timeformat.when(winter, "time", us) == "6:00\N{NO-BREAK SPACE}PM GMT"


def test_a_moment_still_in_utc_is_shown_in_the_home_zone():
    us = timeformat.locale_of(_org(NY))
    utc = dt.datetime(2026, 6, 3, 21, 30, tzinfo=dt.UTC)
    assert timeformat.when(utc, "day_time", us) == "Wed, Jun 3, 5:30\N{NO-BREAK SPACE}PM"


def test_the_template_filter_follows_the_active_organization():
    template = Template('{{ moment|when:"time" }} {{ start|until:end }}')
    start = _at(dt.date(2026, 6, 3), 17, 30, NY)
    context = Context({"moment": start, "start": start, "end": start + dt.timedelta(minutes=50)})
    with timeformat.activate(_org(NY)):
        assert template.render(context) == (
            "5:30\N{NO-BREAK SPACE}PM 5:30\N{NO-BREAK SPACE}PM\N{EN DASH}6:20\N{NO-BREAK SPACE}PM"
        )
    with timeformat.activate(_org(NY, locale="en-GB")):
        assert template.render(context) == "17:30 17:30\N{EN DASH}18:20"


@pytest.mark.django_db
def test_pages_follow_the_organization_setting(world, client):
    org = world.a.organization
    start = local_to_utc(dt.date.today() + dt.timedelta(days=3), dt.time(17, 30), NY)
    session = make_session(world.a, starts_at=start)
    client.force_login(world.a.owner.user)
    url = reverse("staff:session_detail", args=[session.pk])
    assert "17:30" in client.get(url).content.decode()  # the factory's en-GB
    update_organization(
        world.a.owner,
        org,
        name=org.name,
        time_zone=org.time_zone,
        brand_colour=org.brand_colour,
        public_description="",
        locale="",
    )
    html = client.get(url).content.decode()
    assert "5:30\N{NO-BREAK SPACE}PM" in html and "17:30" not in html


@pytest.mark.django_db
def test_an_unknown_locale_is_refused_and_nothing_changes(world):
    org = world.a.organization
    with pytest.raises(DomainError) as refused:
        update_organization(
            world.a.owner,
            org,
            name=org.name,
            time_zone=org.time_zone,
            brand_colour=org.brand_colour,
            public_description="",
            locale="xx-YY",
        )
    assert refused.value.data["field"] == "locale"
    org.refresh_from_db()
    assert org.locale == "en-GB"
