"""The ClientVisits rollup behind segments and instructor performance: its figures are those
of a direct computation over the bookings, after the job and after actions change data."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import time_machine
from django.db import connection, transaction

from reformer.analytics import clients, instructors, queries, rollups
from reformer.analytics.insight_filters import analytics_query
from reformer.analytics.models import ClientVisits, RollupState, VisitsChanged
from reformer.analytics.periods import Period
from reformer.analytics.queries import metrics_scope
from reformer.bookings.actions.attendance import mark_attendance, undo_attendance
from reformer.bookings.models import Booking
from tests import factories

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
STATUSES = ["attended", "attended", "no_show", "cancelled", "attended", "late_cancelled"]
PERIODS = [
    Period("custom", dt.date(2026, 3, 1), dt.date(2026, 3, 31)),
    Period("custom", dt.date(2026, 2, 10), dt.date(2026, 3, 14)),  # not month-aligned
    Period("custom", dt.date(2025, 11, 1), dt.date(2026, 3, 15)),
    Period("custom", dt.date(2025, 12, 20), dt.date(2025, 12, 20)),  # one day
]


@pytest.fixture
def history(world):
    """Four clients, two instructors, two studios, a class every 4 days from November to
    two weeks after NOW, with a spread of outcomes."""
    tenant = world.a
    org = tenant.organization
    second = factories.MembershipFactory(organization=org, role="instructor")
    annex_room = factories.RoomFactory(studio=tenant.other_studio, name="Annex", capacity=6)
    people = [factories.MembershipFactory(organization=org, role="client") for _ in range(3)]
    people.append(tenant.client)
    with time_machine.travel(NOW, tick=False):
        counter = itertools.count()
        day = dt.datetime(2025, 11, 2, 14, tzinfo=UTC)
        while day < NOW + dt.timedelta(days=14):
            i = next(counter)
            session = factories.ClassSessionFactory(
                room=annex_room if i % 3 == 0 else tenant.room,
                class_type=tenant.class_type,
                instructor=second if i % 2 else tenant.instructor,
                starts_at=day,
                ends_at=day + dt.timedelta(minutes=50),
                capacity=6,
            )
            for k, client in enumerate(people):
                if (i + k) % 4 == 3:
                    continue
                status = "confirmed" if day > NOW else STATUSES[(i * 3 + k) % len(STATUSES)]
                Booking.objects.create(
                    organization=org,
                    session=session,
                    client=client,
                    starts_at=session.starts_at,
                    ends_at=session.ends_at,
                    status=status,
                )
            day += dt.timedelta(days=4)
    return people


def _figures(world):
    out = []
    for period in PERIODS:
        q = analytics_query(world.a.owner, period)
        rows = instructors.performance(q, now=NOW)
        out.append(
            (
                clients.segments(q),
                [
                    (r.member.pk, r.attended, r.no_shows, r.clients, r.returning)
                    for r in sorted(rows, key=lambda r: r.member.pk)
                ],
            )
        )
    one_studio = analytics_query(world.a.owner, PERIODS[2], studio_id=world.a.studio.pk)
    out.append((clients.segments(one_studio), instructors.performance(one_studio, now=NOW)))
    # Studios side by side over a long period counts bookings from the rollup too.
    long = queries.summary(metrics_scope(world.a.owner), PERIODS[2], now=NOW)
    out.append((long.total, long.by_studio))
    return out


def _direct(world):
    """The same figures straight from the bookings: no rollup state, so nothing is read
    from the rollups (undone afterwards)."""
    with transaction.atomic():
        RollupState.objects.filter(organization=world.a.organization).delete()
        figures = _figures(world)
        transaction.set_rollback(True)
    return figures


def test_figures_match_a_direct_computation_after_full_and_incremental_refreshes(world, history):
    org_id = world.a.organization.pk
    direct = _direct(world)
    assert direct[0][0].active > 0 and direct[0][1]
    rollups.refresh(org_id, now=NOW - dt.timedelta(days=20), full=True)
    assert ClientVisits.objects.filter(organization_id=org_id).exists()
    assert _figures(world) == direct
    rollups.refresh(org_id, now=NOW)  # appends the 20 days since
    assert _figures(world) == direct
    rows = ClientVisits.objects.filter(organization_id=org_id)
    assert all(r.booked_at == sorted(r.booked_at) for r in rows)
    assert max(max(r.booked_at) for r in rows) < NOW
    # Asked about an earlier moment (a clock set back), the rollup is rebuilt up to it.
    rollups.refresh(org_id, now=NOW - dt.timedelta(days=30))
    assert _figures(world) == direct


def test_the_rollup_is_what_answers(world, history):
    org_id = world.a.organization.pk
    rollups.refresh(org_id, now=NOW, full=True)
    VisitsChanged.objects.all().delete()
    before = clients.segments(analytics_query(world.a.owner, PERIODS[2]))
    ClientVisits.objects.filter(organization_id=org_id, client=history[0]).update(
        booked_at=[], attended_at=[], no_show_at=[]
    )
    after = clients.segments(analytics_query(world.a.owner, PERIODS[2]))
    assert after.active == before.active - 1


def test_an_attendance_mark_shows_at_once_and_the_job_catches_up(world, history):
    tenant = world.a
    org_id = tenant.organization.pk
    rollups.refresh(org_id, now=NOW, full=True)
    VisitsChanged.objects.all().delete()
    no_show = Booking.objects.filter(status="no_show", starts_at__lt=NOW).earliest("starts_at")
    attended = (
        Booking.objects.filter(status="attended", starts_at__lt=NOW)
        .exclude(client=no_show.client)
        .latest("starts_at")
    )
    with time_machine.travel(NOW, tick=False):
        mark_attendance(tenant.owner, no_show, "attended")
        undo_attendance(tenant.owner, attended)
    # The trigger listed both clients; their rows are read from the bookings until the job.
    assert set(VisitsChanged.objects.values_list("client_id", flat=True)) == {
        no_show.client_id,
        attended.client_id,
    }
    direct = _direct(world)
    assert _figures(world) == direct
    rollups.refresh(org_id, now=NOW)
    assert not VisitsChanged.objects.exists()
    assert _figures(world) == direct


def test_a_cancellation_and_a_removed_booking_show_at_once(world, history):
    org_id = world.a.organization.pk
    rollups.refresh(org_id, now=NOW, full=True)
    VisitsChanged.objects.all().delete()
    old = Booking.objects.filter(client=history[0], status="attended").order_by("starts_at")
    first, second = old[0], old[1]
    # Corrections made outside the actions (an import, an admin fix) are caught too.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE bookings_booking SET status = 'late_cancelled' WHERE id = %s", [first.pk]
        )
    Booking.objects.filter(pk=second.pk).delete()
    assert VisitsChanged.objects.filter(client_id=history[0].pk).exists()
    assert _figures(world) == _direct(world)


def test_a_substitute_instructor_moves_the_visits(world, history):
    tenant = world.a
    org_id = tenant.organization.pk
    rollups.refresh(org_id, now=NOW, full=True)
    VisitsChanged.objects.all().delete()
    past = Booking.objects.filter(status="attended", starts_at__lt=NOW).first().session
    substitute = factories.MembershipFactory(organization=tenant.organization, role="instructor")
    type(past).objects.filter(pk=past.pk).update(instructor=substitute)
    assert VisitsChanged.objects.exists()
    figures = _figures(world)
    assert figures == _direct(world)
    assert substitute.pk in [pk for pk, *_ in figures[2][1]]


def test_other_organizations_are_untouched(world, history):
    rollups.refresh(world.a.organization.pk, now=NOW, full=True)
    assert not ClientVisits.objects.filter(organization=world.b.organization).exists()
    q = analytics_query(world.b.owner, PERIODS[2])
    assert clients.segments(q).active == 0
    assert instructors.performance(q, now=NOW) == []
