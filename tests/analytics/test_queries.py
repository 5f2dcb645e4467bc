from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from reformer.analytics import queries
from reformer.analytics.periods import Period, PeriodError, parse_period, preset_period
from reformer.billing.models import Payment
from reformer.bookings.models import Booking
from reformer.core.errors import NotFound, PermissionDenied
from reformer.scheduling import queries as scheduling_queries
from tests import factories
from tests.analytics import dataset
from tests.analytics.dataset import NOW

MARCH = Period("custom", dt.date(2026, 3, 1), dt.date(2026, 3, 31))
FEBRUARY = Period("custom", dt.date(2026, 2, 1), dt.date(2026, 2, 28))


@pytest.fixture
def data(world):
    with time_machine.travel(NOW, tick=False):
        yield dataset.build(world.a)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_it_computes_the_four_metrics_for_all_studios(world, data):
    scope = queries.metrics_scope(world.a.owner)
    total = queries.summary(scope, MARCH, now=NOW).total
    assert total.bookings == 11
    assert (total.attended, total.no_shows) == (5, 3)
    assert total.attendance_rate == pytest.approx(5 / 8)
    # Utilisation counts the classes held so far (s1, s3): s2 and s6 are still to come.
    assert (total.booked_places, total.capacity) == (8, 15)
    assert total.utilisation == pytest.approx(8 / 15)
    assert total.revenue == {"USD": Decimal("125.50")}


def test_it_breaks_the_metrics_down_per_studio(world, data):
    scope = queries.metrics_scope(world.a.owner)
    rows = {studio.name: m for studio, m in queries.summary(scope, MARCH, now=NOW).by_studio}
    assert list(rows) == ["alpha Annex", "alpha Main"]
    main, annex = rows["alpha Main"], rows["alpha Annex"]
    assert (main.bookings, main.attendance_rate, main.utilisation) == (7, 0.75, 4 / 10)
    assert (annex.bookings, annex.attendance_rate, annex.utilisation) == (4, 0.5, 4 / 5)
    # Every payment carries its studio; the fully refunded one counts for nothing.
    assert main.revenue == {"USD": Decimal("100.00")}
    assert annex.revenue == {"USD": Decimal("25.50")}


def test_it_cuts_periods_at_local_midnight(world, data):
    scope = queries.metrics_scope(world.a.owner)
    february = queries.summary(scope, FEBRUARY, now=NOW).total
    # s5 starts Mar 1 04:30 UTC, Feb 28 23:30 in New York; the 70.00 payment likewise.
    assert (february.bookings, february.attendance_rate) == (1, 1.0)
    assert (february.booked_places, february.capacity) == (1, 10)
    assert february.revenue == {"USD": Decimal("70.00")}


def test_it_reports_in_the_selected_studio_time_zone(world, data):
    world.a.studio.time_zone = "UTC"
    world.a.studio.save()
    scope = queries.metrics_scope(world.a.owner, studio_id=world.a.studio.pk)
    assert scope.time_zone == "UTC"
    # In UTC, s5 (Mar 1 04:30) is in March and s6 (Apr 1 03:30) is not.
    march = queries.summary(scope, MARCH, now=NOW).total
    assert march.bookings == 4 + 2 + 1
    assert march.attended == 3 + 1


def test_it_filters_by_studio_with_its_own_revenue(world, data):
    scope = queries.metrics_scope(world.a.owner, studio_id=world.a.other_studio.pk)
    summary = queries.summary(scope, MARCH, now=NOW)
    assert [s.name for s, _ in summary.by_studio] == ["alpha Annex"]
    assert (summary.total.bookings, summary.total.utilisation) == (4, 0.8)
    assert summary.total.revenue == {"USD": Decimal("25.50")}


def test_partial_refunds_count_net(world, data):
    Payment.objects.filter(amount=Decimal("100.00")).update(amount_refunded=Decimal("40.00"))
    scope = queries.metrics_scope(world.a.owner)
    assert queries.summary(scope, MARCH, now=NOW).total.revenue == {"USD": Decimal("85.50")}


def test_it_limits_a_manager_to_their_studios(world, data):
    scope = queries.metrics_scope(world.a.manager)
    assert [s.name for s in scope.studios] == ["alpha Main"]
    total = queries.summary(scope, MARCH, now=NOW).total
    assert (total.bookings, total.revenue) == (7, {"USD": Decimal("100.00")})
    with pytest.raises(PermissionDenied):
        queries.metrics_scope(world.a.manager, studio_id=world.a.other_studio.pk)


def test_it_shows_revenue_to_a_manager_of_every_studio(world, data):
    world.a.manager.studios.add(world.a.other_studio)
    world.a.manager._studio_ids_in_scope = None
    assert queries.metrics_scope(world.a.manager).shows_revenue


def test_it_refuses_other_roles_and_other_tenants(world):
    for role in ("front_desk", "instructor", "client"):
        with pytest.raises(PermissionDenied):
            queries.metrics_scope(world.a.members[role])
    with pytest.raises(NotFound):
        queries.metrics_scope(world.a.owner, studio_id=world.b.studio.pk)
    with pytest.raises(NotFound):
        queries.metrics_scope(world.a.owner, studio_id=999_999)


def test_it_keeps_tenants_apart(world, data):
    scope = queries.metrics_scope(world.b.owner)
    total = queries.summary(scope, MARCH, now=NOW).total
    assert (total.bookings, total.capacity, total.revenue) == (0, 0, {})


def test_it_returns_zeros_and_no_rates_without_data(world, frozen):
    scope = queries.metrics_scope(world.b.owner)
    total = queries.summary(scope, MARCH).total
    assert (total.bookings, total.attended, total.booked_places) == (0, 0, 0)
    assert total.attendance_rate is None and total.utilisation is None
    assert not queries.has_any_activity(scope)
    assert queries.booking_series(scope).total == 0


def test_it_counts_bookings_made_per_local_day(world, data):
    scope = queries.metrics_scope(world.a.owner)
    series = queries.booking_series(scope, "day", now=NOW)
    assert len(series.counts) == 30
    assert series.days[-1] == dt.date(2026, 3, 15) and series.labels[-1] == "Mar 15"
    assert series.days[0] == dt.date(2026, 2, 14)
    counts = dict(zip(series.days, series.counts, strict=True))
    # s2's two bookings were made at 03:30 UTC on Mar 15: the evening of Mar 14 locally.
    assert counts[dt.date(2026, 3, 14)] == 2
    assert counts[dt.date(2026, 3, 15)] == 1
    assert series.total == 3


def test_it_counts_bookings_made_per_week_and_month(world, data):
    scope = queries.metrics_scope(world.a.owner)
    weekly = queries.booking_series(scope, "week", now=NOW)
    assert len(weekly.days) == 12 and weekly.days[-1] == dt.date(2026, 3, 9)
    assert weekly.counts[-1] == 3
    # The bookings made on Jan 2 fall in the week of Monday Dec 29.
    assert weekly.days[1] == dt.date(2025, 12, 29) and weekly.counts[1] == 9
    monthly = queries.booking_series(scope, "month", now=NOW)
    assert monthly.days[0] == dt.date(2025, 4, 1) and monthly.days[-1] == dt.date(2026, 3, 1)
    assert monthly.labels[-1] == "Mar 2026"
    # The January bookings are in the January bucket, the recent ones in March.
    counts = dict(zip(monthly.days, monthly.counts, strict=True))
    assert counts[dt.date(2026, 3, 1)] == 3
    assert counts[dt.date(2026, 1, 1)] == 3 + 1 + 2 + 2 + 1


def test_it_filters_the_series_by_studio(world, data):
    scope = queries.metrics_scope(world.a.owner, studio_id=world.a.other_studio.pk)
    assert queries.booking_series(scope, "month", now=NOW).total == 4


def test_it_lists_each_day_of_the_period(world, data):
    scope = queries.metrics_scope(world.a.owner)
    rows = queries.daily_rows(scope, MARCH, now=NOW)
    assert len(rows) == 31
    by_day = {row.day: row.metrics for row in rows}
    assert by_day[dt.date(2026, 3, 2)].bookings == 4
    assert by_day[dt.date(2026, 3, 2)].attendance_rate == 0.75
    assert by_day[dt.date(2026, 3, 31)].bookings == 1
    assert by_day[dt.date(2026, 3, 5)].capacity == 0  # the cancelled class does not count
    assert by_day[dt.date(2026, 3, 3)].revenue == {"USD": Decimal("100.00")}
    assert by_day[dt.date(2026, 3, 4)].revenue == {}
    assert sum(m.bookings for m in by_day.values()) == 11


def test_it_lists_upcoming_classes_of_the_next_week(world, data):
    scope = queries.metrics_scope(world.a.owner)
    upcoming = list(queries.upcoming_sessions(scope, now=NOW))
    assert [s.pk for s in upcoming] == [data.sessions["s2"].pk]
    manager_scope = queries.metrics_scope(world.a.manager)
    later = NOW + dt.timedelta(days=14)
    assert [s.pk for s in queries.upcoming_sessions(manager_scope, now=later)] == [
        data.sessions["s6"].pk
    ]


def test_it_lists_active_instructors_with_upcoming_class_counts(world, data):
    annex_only = factories.MembershipFactory(
        organization=world.a.organization, role="instructor", studios=[world.a.other_studio]
    )
    factories.MembershipFactory(organization=world.a.organization, role="instructor", active=False)
    rows = {
        m.pk: m.upcoming_count
        for m in scheduling_queries.instructor_overview(world.a.owner, now=NOW)
    }
    assert rows == {world.a.instructor.pk: 2, annex_only.pk: 0}
    manager_rows = scheduling_queries.instructor_overview(world.a.manager, now=NOW)
    assert [m.pk for m in manager_rows] == [world.a.instructor.pk]
    with pytest.raises(PermissionDenied):
        scheduling_queries.instructor_overview(world.a.front_desk)


@pytest.mark.parametrize(
    ("preset", "start", "end"),
    [
        ("this_month", dt.date(2026, 3, 1), dt.date(2026, 3, 31)),
        ("last_30_days", dt.date(2026, 2, 14), dt.date(2026, 3, 15)),
        ("last_month", dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
    ],
)
def test_it_resolves_the_presets(preset, start, end):
    period = preset_period(preset, dt.date(2026, 3, 15))
    assert (period.start, period.end) == (start, end)


def test_it_parses_a_custom_range_and_refuses_a_reversed_one():
    today = dt.date(2026, 3, 15)
    period = parse_period({"range": "custom", "from": "2026-01-01", "to": "2026-01-31"}, today)
    assert (period.start, period.end, period.days) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 1, 31),
        31,
    )
    assert parse_period({}, today).preset == "this_month"
    assert parse_period({"range": "bogus"}, today).preset == "this_month"
    with pytest.raises(PeriodError):
        parse_period({"range": "custom", "from": "2026-02-01", "to": "2026-01-01"}, today)
    with pytest.raises(PeriodError):
        parse_period({"range": "custom", "from": "yesterday"}, today)


def test_it_bounds_a_period_at_local_midnights_across_daylight_saving():
    start, end = MARCH.utc_bounds("America/New_York")
    assert start == dt.datetime(2026, 3, 1, 5, tzinfo=dt.UTC)  # EST
    assert end == dt.datetime(2026, 4, 1, 4, tzinfo=dt.UTC)  # EDT


def test_the_period_chart_adds_up_to_the_bookings_card(world, data):
    scope = queries.metrics_scope(world.a.owner)
    total = queries.summary(scope, MARCH, now=NOW).total
    for interval in ("day", "week", "month"):
        series = queries.period_series(scope, MARCH, interval)
        assert series.total == total.bookings == 11
    daily = queries.period_series(scope, MARCH, "day")
    assert len(daily.counts) == 31 and daily.days[0] == MARCH.start
    assert daily.counts[-1] == 1  # s6, Mar 31 23:30 in New York (April in UTC)
    assert [d.isoformat() for d in queries.period_series(scope, MARCH, "week").days][:2] == [
        "2026-02-23",
        "2026-03-02",
    ]


def test_the_comparison_is_the_month_before_or_as_many_days_before():
    this_month = preset_period("this_month", dt.date(2026, 3, 15))
    assert queries.previous_period(this_month) == Period(
        "custom", dt.date(2026, 2, 1), dt.date(2026, 2, 28)
    )
    week = preset_period("last_7_days", dt.date(2026, 3, 15))
    before = queries.previous_period(week)
    assert (before.start, before.end) == (dt.date(2026, 3, 2), dt.date(2026, 3, 8))


def test_a_running_period_is_compared_to_date():
    today = dt.date(2026, 3, 31)
    this_month = preset_period("this_month", dt.date(2026, 3, 6))
    so_far, before = queries.compared_periods(this_month, dt.date(2026, 3, 6))
    assert (so_far.start, so_far.end) == (dt.date(2026, 3, 1), dt.date(2026, 3, 6))
    assert (before.start, before.end) == (dt.date(2026, 2, 1), dt.date(2026, 2, 6))
    # Late in a long month, the shorter month before is taken whole, never past its end.
    so_far, before = queries.compared_periods(this_month, dt.date(2026, 3, 30))
    assert (before.start, before.end) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    # On its last day, and for a finished or a future period, the whole period is compared.
    assert queries.compared_periods(this_month, today)[0] == this_month
    last_week = preset_period("last_7_days", today)
    assert queries.compared_periods(last_week, today) == (
        last_week,
        queries.previous_period(last_week),
    )
    later = Period("custom", dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    assert queries.compared_periods(later, today)[0] == later


def test_one_busy_day_does_not_flatten_the_chart():
    days = [dt.date(2026, 3, 1) + dt.timedelta(days=n) for n in range(30)]
    counts = [3, 4, 5, 2, 6] * 6
    calm = queries.Series("day", [str(d) for d in days], days, counts)
    assert calm.scale_cap is None and calm.outliers == []
    counts[12] = 240
    spiky = queries.Series("day", [str(d) for d in days], days, counts)
    assert spiky.scale_cap == 12  # twice the busiest ordinary day
    assert spiky.outliers == [(str(days[12]), 240)]


# ------------------------------------------------ PHX-13: each studio in its own time zone


def _studio_in_london(world, data):
    """Annex moves to London; a payment and a class fall on different months there than in
    New York (the organization's zone)."""
    annex = world.a.other_studio
    annex.time_zone = "Europe/London"
    annex.save()
    org = world.a.organization

    def pay(at: dt.datetime, amount: str, studio) -> None:
        Payment.objects.create(
            organization=org,
            studio=studio,
            client=world.a.client,
            amount=Decimal(amount),
            currency="USD",
            status="succeeded",
            created_at=at,
        )

    # Mar 1 02:00 in London (March), Feb 28 21:00 in New York (February).
    pay(dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC), "40.00", annex)
    # Recorded without a studio: counted in the organization's zone (Feb 28 22:00: February).
    pay(dt.datetime(2026, 3, 1, 3, 0, tzinfo=dt.UTC), "7.00", None)
    pay(dt.datetime(2026, 3, 9, 15, 0, tzinfo=dt.UTC), "3.00", None)
    # Mar 31 23:30 UTC: Apr 1 00:30 in London (BST), Mar 31 19:30 in New York.
    late = factories.ClassSessionFactory(
        room=data.annex_room,
        class_type=world.a.class_type,
        starts_at=dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 4, 1, 0, 20, tzinfo=dt.UTC),
        capacity=5,
    )
    Booking.objects.create(
        organization=org,
        session=late,
        client=world.a.client,
        starts_at=late.starts_at,
        ends_at=late.ends_at,
        status="confirmed",
    )
    return annex


def test_a_studio_counts_the_same_whether_picked_or_among_all(world, data, frozen):
    # PHX-13: the comparison row of a London studio cut the month in New York's zone and
    # the studio's own view in London's, so one studio showed two revenues for a month.
    annex = _studio_in_london(world, data)
    everything = queries.summary(queries.metrics_scope(world.a.owner), MARCH, now=NOW)
    alone = queries.summary(
        queries.metrics_scope(world.a.owner, studio_id=annex.pk), MARCH, now=NOW
    )
    among = dict(everything.by_studio)[annex]
    assert among == alone.total
    assert among.revenue == {"USD": Decimal("65.50")}  # 25.50 + the 40.00 of Mar 1 (London)
    assert among.bookings == 4  # the class of Apr 1 (London) is April's
    # The total is the rows plus what no studio recorded (3.00 on Mar 9; the 7.00 of
    # Feb 28 in New York is February's).
    rows = sum((m.revenue["USD"] for _, m in everything.by_studio), Decimal(0))
    assert everything.total.revenue == {"USD": rows + Decimal("3.00")}
    assert everything.total.bookings == sum(m.bookings for _, m in everything.by_studio)


def test_the_daily_rows_add_up_to_the_summary_with_studios_in_two_zones(world, data, frozen):
    _studio_in_london(world, data)
    scope = queries.metrics_scope(world.a.owner)
    total = queries.summary(scope, MARCH, now=NOW).total
    days = queries.daily_rows(scope, MARCH, now=NOW)
    assert sum(d.metrics.bookings for d in days) == total.bookings
    assert sum(d.metrics.sessions for d in days) == total.sessions
    assert (
        sum((d.metrics.revenue or {}).get("USD", Decimal(0)) for d in days)
        == (total.revenue or {})["USD"]
    )
    # The London payment of Mar 1 02:00 is on London's Mar 1.
    assert days[0].metrics.revenue == {"USD": Decimal("40.00")}
    series = queries.period_series(scope, MARCH)
    assert series.total == total.bookings
