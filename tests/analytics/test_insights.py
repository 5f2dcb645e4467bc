"""PHX-25 panels against hand-computed values on the small known dataset (dataset.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reformer.analytics import clients, conversion, instructors, revenue, rollups, utilisation
from reformer.analytics.insight_filters import analytics_query, comparison_period
from reformer.analytics.periods import Period
from reformer.billing.models import Payment
from reformer.bookings.models import Booking
from reformer.core.errors import NotFound
from tests import factories
from tests.analytics import dataset
from tests.analytics.dataset import NOW

UTC = dt.UTC
MARCH = Period("custom", dt.date(2026, 3, 1), dt.date(2026, 3, 31))


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def data(world, frozen):
    return dataset.build(world.a)


def _q(world, period=MARCH, **kwargs):
    return analytics_query(world.a.owner, period, **kwargs)


def test_comparison_periods():
    assert comparison_period(MARCH, "previous") == Period(
        "custom", dt.date(2026, 1, 29), dt.date(2026, 2, 28)
    )
    leap = Period("custom", dt.date(2028, 2, 29), dt.date(2028, 3, 1))
    assert comparison_period(leap, "last_year") == Period(
        "custom", dt.date(2027, 2, 28), dt.date(2027, 3, 1)
    )
    assert comparison_period(MARCH, "none") is None


def test_revenue_by_product_and_kind_with_the_previous_period(world, data):
    panel = revenue.revenue_panel(_q(world, interval="month"), "product")
    # March local: 100.00 (Mar 3) + 25.50 (Mar 12); 70.00 was Feb 28 local: comparison.
    assert panel.totals == {"USD": Decimal("125.50")}
    assert panel.compare_totals == {"USD": Decimal("70.00")}
    assert panel.change("USD") == pytest.approx((125.5 - 70) / 70)
    assert panel.series == {"Other payments": [Decimal("125.50")]}
    assert panel.compare_series == [Decimal("70.00")]
    product = factories.PackageProductFactory(organization=world.a.organization, name="Intro 3")
    Payment.objects.create(
        organization=world.a.organization,
        client=world.a.client,
        product=product,
        amount=Decimal("45.00"),
        status="succeeded",
        created_at=dt.datetime(2026, 3, 14, 15, tzinfo=UTC),
    )
    daily = revenue.revenue_panel(_q(world), "product")
    assert len(daily.buckets) == 31
    assert daily.series["Intro 3"][13] == Decimal("45.00")
    assert daily.series["Other payments"][2] == Decimal("100.00")
    kinds = revenue.revenue_panel(_q(world, interval="month"), "kind")
    assert kinds.series == {"Other": [Decimal("125.50")], "Class pack": [Decimal("45.00")]}
    by_studio = revenue.revenue_panel(_q(world, interval="month"), "studio")
    # Payments carry their studio (issue 11); those recorded without one stay organization-wide.
    assert sum(values[0] for values in by_studio.series.values()) == Decimal("170.50")
    assert revenue.WHOLE_ORGANIZATION not in by_studio.series or len(by_studio.series) > 1
    drill = revenue.revenue_rows(_q(world), dt.date(2026, 3, 14), "Intro 3")
    assert [row[2:4] for row in drill.rows] == [["Intro 3", "45.00"]]


def test_revenue_of_one_studio_counts_only_its_payments(world, data):
    assert revenue.payments_have_studio()
    whole = revenue.revenue_panel(_q(world))
    panel = revenue.revenue_panel(_q(world, studio_id=world.a.studio.pk))
    assert panel.available
    assert sum(panel.totals.values(), Decimal(0)) <= sum(whole.totals.values(), Decimal(0))


def test_last_year_comparison(world, data):
    Payment.objects.create(
        organization=world.a.organization,
        client=world.a.client,
        amount=Decimal("50.00"),
        status="succeeded",
        created_at=dt.datetime(2025, 3, 20, 15, tzinfo=UTC),
    )
    panel = revenue.revenue_panel(_q(world, compare="last_year"))
    assert panel.compare_totals == {"USD": Decimal("50.00")}
    assert panel.change("USD") == pytest.approx(1.51)


def test_heatmap_by_local_weekday_and_hour_across_the_clock_change(world, data):
    heat = utilisation.heatmap(_q(world))
    cells = {(c.weekday, c.hour): (c.booked, c.capacity, c.classes) for c in heat.cells}
    # s1 Mon 2 Mar 09:00 EST, s2 Fri 20 Mar 09:00 EDT, s3 Tue 10 Mar 09:00 EDT (Annex),
    # s6 Tue 31 Mar 23:30 EDT; s4 is cancelled, s5 is 28 Feb local.
    assert cells == {(0, 9): (4, 10, 1), (4, 9): (2, 10, 1), (1, 9): (4, 5, 1), (1, 23): (1, 10, 1)}
    assert heat.cell(1, 9).band == "high" and heat.cell(0, 9).band == "low"
    assert utilisation.band(0.5) == "medium" and utilisation.band(0.79) == "medium"
    annex = utilisation.heatmap(_q(world, studio_id=world.a.other_studio.pk))
    assert [(c.weekday, c.hour) for c in annex.cells] == [(1, 9)]
    taught = utilisation.heatmap(_q(world, instructor_id=world.a.instructor.pk))
    assert {(c.weekday, c.hour) for c in taught.cells} == {(4, 9), (1, 23)}
    drill = utilisation.slot_classes(_q(world), 1, 9)
    assert drill.rows == [
        ["2026-03-10 09:00", "alpha Annex", "Reformer Flow", "Not assigned", 4, 5, "80.0%"]
    ]


def test_filters_from_another_organization_are_not_found(world, data):
    with pytest.raises(NotFound):
        _q(world, class_type_id=world.b.class_type.pk)
    with pytest.raises(NotFound):
        _q(world, instructor_id=world.b.instructor.pk)
    with pytest.raises(NotFound):
        _q(world, studio_id=world.b.studio.pk)


def test_segments_for_march(world, data):
    seg = clients.segments(_q(world))
    assert (seg.active, seg.new, seg.returning, seg.churned) == (4, 2, 4, 0)
    assert seg.retention_rate == 1.0
    # Someone who came in November 2025 and never again has churned by the end of March.
    gone = factories.MembershipFactory(organization=world.a.organization, role="client")
    room = factories.RoomFactory(studio=world.a.studio, name="Old room")
    old = _past_session(world.a, dt.datetime(2025, 11, 20, 15, tzinfo=UTC), room=room)
    _attend(world.a, old, gone)
    direct = clients.segments(_q(world))
    assert (direct.active, direct.new, direct.returning, direct.churned) == (4, 2, 4, 1)
    rollups.refresh(world.a.organization.pk, now=NOW)
    assert clients.segments(_q(world)) == direct


def test_retention_cohorts_match_with_and_without_the_rollup(world, data):
    direct = clients.retention(_q(world))
    assert [(c.month, c.size, c.retained) for c in direct.cohorts] == [
        (dt.date(2026, 2, 1), 1, {1: 1, 2: None, 3: None, 6: None}),
        (dt.date(2026, 3, 1), 2, {1: None, 2: None, 3: None, 6: None}),
    ]
    rollups.refresh(world.a.organization.pk, now=NOW)
    with CaptureQueriesContext(connection) as captured:
        rolled = clients.retention(_q(world))
    assert [(c.month, c.size, c.retained) for c in rolled.cohorts] == [
        (c.month, c.size, c.retained) for c in direct.cohorts
    ]
    assert len(captured) <= 5
    # A late change to a rolled-up month is caught by the full rebuild.
    rollups.refresh(world.a.organization.pk, now=NOW, full=True)
    assert clients.retention(_q(world)).cohorts[0].size == 1


def _past_session(tenant, starts_at, capacity=4, room=None):
    return factories.ClassSessionFactory(
        room=room or tenant.room,
        class_type=tenant.class_type,
        instructor=tenant.instructor,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=50),
        capacity=capacity,
    )


def _attend(tenant, session, client, status="attended"):
    Booking.objects.create(
        organization=tenant.organization,
        session=session,
        client=client,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        status=status,
    )


def test_instructor_performance(world, data):
    tenant, people = world.a, data.clients
    first = _past_session(tenant, dt.datetime(2026, 3, 3, 15, tzinfo=UTC))
    second = _past_session(tenant, dt.datetime(2026, 3, 5, 15, tzinfo=UTC))
    for who, status in ((people[1], "attended"), (people[2], "attended"), (people[3], "no_show")):
        _attend(tenant, first, who, status)
    for who in (people[1], people[4]):
        _attend(tenant, second, who)
    first.booked_count, second.booked_count = 3, 2
    first.save(), second.save()
    (row,) = instructors.performance(_q(world))
    assert row.member == tenant.instructor
    assert (row.classes, row.booked, row.capacity) == (2, 5, 8)
    assert row.fill_rate == 5 / 8 and row.no_show_rate == 1 / 5
    assert (row.clients, row.returning) == (3, 1)


def test_at_risk_regulars(world, data):
    tenant = world.a
    regular = factories.MembershipFactory(organization=tenant.organization, role="client")
    room = factories.RoomFactory(studio=tenant.studio, name="Quiet room")
    for day in (1, 3, 5, 8):  # four visits in February, the last 35 days before NOW
        session = factories.ClassSessionFactory(
            room=room,
            class_type=tenant.class_type,
            starts_at=dt.datetime(2026, 2, day, 12, tzinfo=UTC),
            ends_at=dt.datetime(2026, 2, day, 13, tzinfo=UTC),
        )
        _attend(tenant, session, regular)
    at_risk = clients.at_risk(_q(world))
    assert [(c.member, c.visits, c.days_away) for c in at_risk] == [(regular, 4, 35)]


def test_intro_conversion(world, data):
    february = Period("custom", dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    result = conversion.conversion(_q(world, february))
    assert [(r.product, r.clients, r.converted) for r in result.rows] == [("Other payments", 1, 1)]
    assert conversion.conversion(_q(world)).rows == []
