"""The figures of a business report, gathered from the analytics queries into plain JSON
(stored on the Report, rendered to PDF, or written as CSV when the PDF fails).

Definitions follow the dashboard and analytics (docs/architecture.md): bookings hold a
place; the cancellation rate is cancelled / (held + cancelled) of the period's classes;
attendance and no-show rates are over started classes; utilisation is places booked /
capacity; new clients attended their first class in the period; lost clients booked in
the previous period of the same length but have nothing in this one.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection

from reformer.accounts.models import Membership, Role
from reformer.analytics import clients, instructors, queries, revenue
from reformer.analytics.insight_filters import AnalyticsQuery, comparison_period
from reformer.analytics.periods import Period
from reformer.analytics.tables import ratio
from reformer.core.timezones import local_day_bounds, local_today, zone
from reformer.scheduling.models import ClassSession
from reformer.studios.models import Organization, Studio

TOP = 5


class NoOwner(Exception):
    """An organization without an active owner has nobody to report to."""


def owner_of(organization: Organization) -> Membership:
    owner = (
        Membership.objects.select_related("organization", "user")
        .filter(organization=organization, role=Role.OWNER, active=True)
        .order_by("pk")
        .first()
    )
    if owner is None:
        raise NoOwner(organization.pk)
    return owner


def _query(owner: Membership, studio: Studio | None, period: Period) -> AnalyticsQuery:
    scope = queries.metrics_scope(owner, studio_id=studio.pk if studio else None)
    return AnalyticsQuery(scope=scope, period=period, compare="none")


def _money(amounts: dict[str, Decimal] | None) -> dict[str, str] | None:
    if amounts is None:
        return None
    return {currency: f"{amount:.2f}" for currency, amount in sorted(amounts.items())}


def _booking_counts(q: AnalyticsQuery) -> tuple[int, int]:
    start, end = q.bounds()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT COUNT(*) FILTER (WHERE b.status IN ('confirmed', 'attended', 'no_show')),
                   COUNT(*) FILTER (WHERE b.status IN ('cancelled', 'late_cancelled'))
              FROM bookings_booking b JOIN scheduling_classsession s ON s.id = b.session_id
             WHERE b.organization_id = %s AND s.studio_id = ANY(%s)
               AND b.starts_at >= %s AND b.starts_at < %s
            """,
            [q.organization_id, q.scope.studio_ids, start, end],
        )
        held, cancelled = cursor.fetchone()
    return held, cancelled


def _lost_clients(q: AnalyticsQuery) -> int:
    previous = comparison_period(q.period, "previous")
    assert previous is not None
    start, _ = q.bounds()
    pstart, _ = q.bounds(previous)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT COUNT(*) FROM (
              SELECT b.client_id
                FROM bookings_booking b JOIN scheduling_classsession s ON s.id = b.session_id
               WHERE b.organization_id = %s AND s.studio_id = ANY(%s)
                 AND b.status IN ('confirmed', 'attended', 'no_show')
                 AND b.starts_at >= %s
               GROUP BY b.client_id
              HAVING COUNT(*) FILTER (WHERE b.starts_at < %s) > 0
                 AND COUNT(*) FILTER (WHERE b.starts_at >= %s) = 0
            ) lost
            """,
            [q.organization_id, q.scope.studio_ids, pstart, start, start],
        )
        return cursor.fetchone()[0]


def _daily_bookings(q: AnalyticsQuery) -> dict[int, int]:
    """Bookings holding a place per day of the period (1-based day index)."""
    start, end = q.bounds()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT (b.starts_at AT TIME ZONE %s)::date, COUNT(*)
              FROM bookings_booking b JOIN scheduling_classsession s ON s.id = b.session_id
             WHERE b.organization_id = %s AND s.studio_id = ANY(%s)
               AND b.status IN ('confirmed', 'attended', 'no_show')
               AND b.starts_at >= %s AND b.starts_at < %s
             GROUP BY 1
            """,
            [q.scope.time_zone, q.organization_id, q.scope.studio_ids, start, end],
        )
        return {(day - q.period.start).days + 1: n for day, n in cursor.fetchall()}


def _by_class_type(q: AnalyticsQuery) -> list[list[object]]:
    start, end = q.bounds()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT ct.name, COUNT(*), SUM(s.booked_count), SUM(s.capacity)
              FROM scheduling_classsession s JOIN scheduling_classtype ct ON ct.id = s.class_type_id
             WHERE s.organization_id = %s AND s.studio_id = ANY(%s) AND s.status = 'scheduled'
               AND s.starts_at >= %s AND s.starts_at < %s
             GROUP BY ct.name ORDER BY SUM(s.booked_count) DESC, ct.name
            """,
            [q.organization_id, q.scope.studio_ids, start, end],
        )
        return [
            [name, n, int(booked), int(capacity), ratio(int(booked), int(capacity))]
            for name, n, booked, capacity in cursor.fetchall()
        ]


def _top_slots(q: AnalyticsQuery) -> list[list[object]]:
    """The most booked weekly slots: class type, local weekday and time, bookings, classes,
    studio and its time zone. A slot is one studio's: Monday 9:00 in London and Monday 9:00
    in New York are different classes at different moments."""
    start, end = q.bounds()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT ct.name, to_char(s.starts_at AT TIME ZONE st.time_zone, 'FMDay HH24:MI'),
                   SUM(s.booked_count), COUNT(*), st.name, st.time_zone
              FROM scheduling_classsession s
              JOIN scheduling_classtype ct ON ct.id = s.class_type_id
              JOIN studios_studio st ON st.id = s.studio_id
             WHERE s.organization_id = %s AND s.studio_id = ANY(%s) AND s.status = 'scheduled'
               AND s.starts_at >= %s AND s.starts_at < %s
             GROUP BY 1, 2, st.id ORDER BY 3 DESC, 1, 2, 5 LIMIT %s
            """,
            [q.organization_id, q.scope.studio_ids, start, end, TOP],
        )
        return [
            [name, slot, int(booked), n, studio, zone]
            for name, slot, booked, n, studio, zone in cursor.fetchall()
        ]


def _headline(q: AnalyticsQuery) -> dict:
    summary = queries.summary(q.scope, q.period)
    total = summary.total
    held, cancelled = _booking_counts(q)
    segments = clients.segments(q)
    return {
        "revenue": _money(total.revenue if revenue.revenue_attributable(q) else None),
        "bookings": held,
        "cancellations": cancelled,
        "cancellation_rate": ratio(cancelled, held + cancelled),
        "attended": total.attended,
        "no_shows": total.no_shows,
        "attendance_rate": total.attendance_rate,
        "no_show_rate": ratio(total.no_shows, total.attended + total.no_shows),
        "utilisation": total.utilisation,
        "classes": total.sessions,
        "active_clients": segments.active,
        "new_clients": segments.new,
        "lost_clients": _lost_clients(q),
        "by_studio": [
            [studio.name, m.bookings, m.attendance_rate, m.utilisation, m.sessions]
            for studio, m in summary.by_studio
        ],
    }


def _has_history_before(q: AnalyticsQuery, day: dt.date) -> bool:
    before = local_day_bounds(day, q.scope.time_zone)[0]
    return ClassSession.objects.filter(
        organization_id=q.organization_id, studio_id__in=q.scope.studio_ids, starts_at__lt=before
    ).exists()


def build(organization: Organization, studio: Studio | None, period: Period) -> dict:
    """Every figure of the report, as JSON-ready values."""
    owner = owner_of(organization)
    q = _query(owner, studio, period)
    headline = _headline(q)
    last_year_period = comparison_period(period, "last_year")
    assert last_year_period is not None  # "last_year" always has one
    # Classes ran during the same period last year: there is a year to compare with.
    has_last_year = _has_history_before(q, last_year_period.end + dt.timedelta(days=1))
    last_year = None
    daily_last_year: dict[int, int] = {}
    if has_last_year:
        ly = _query(owner, studio, last_year_period)
        last_year = _headline(ly)
        daily_last_year = _daily_bookings(ly)
    by_kind = revenue.revenue_panel(
        AnalyticsQuery(q.scope, period, "none", interval="month"), "kind"
    )
    by_product = revenue.revenue_panel(
        AnalyticsQuery(q.scope, period, "none", interval="month"), "product"
    )
    daily = _daily_bookings(q)
    team = instructors.performance(q)
    has_data = bool(headline["bookings"] or headline["classes"] or headline["revenue"])
    return {
        "organization": organization.name,
        "brand": organization.brand_colour,
        "studio": studio.name if studio else None,
        "studios": len(q.scope.studios),
        "time_zone": q.scope.time_zone,
        # Each studio's times are in its own zone: the cover says so when they differ.
        "time_zones": sorted({s.time_zone for s in q.scope.studios}),
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        # Made before the period ended (it runs to today): the figures are "to date".
        "to_date": period.end >= local_today(q.scope.time_zone),
        "has_data": has_data,
        "has_last_year": has_last_year,
        "headline": headline,
        "last_year": last_year,
        "revenue_by_kind": [[n, f"{sum(v):.2f}"] for n, v in by_kind.series.items()],
        "revenue_by_product": [[n, f"{sum(v):.2f}"] for n, v in by_product.series.items()][:8],
        "daily_bookings": {
            "days": period.days,
            "this": [daily.get(d, 0) for d in range(1, period.days + 1)],
            "last_year": [daily_last_year.get(d, 0) for d in range(1, period.days + 1)]
            if has_last_year
            else None,
        },
        "class_types": _by_class_type(q),
        "top_slots": _top_slots(q),
        # Everyone who taught: a table of the first five hid the rest without a word.
        "instructors": [
            [r.member.user.display_name, r.classes, r.fill_rate, r.attended, r.no_show_rate]
            for r in team
        ],
    }


def month_before(day: dt.date) -> Period:
    """The calendar month before the one containing `day`."""
    end = day.replace(day=1) - dt.timedelta(days=1)
    return Period("custom", end.replace(day=1), end)


def local_now(organization: Organization, now: dt.datetime) -> dt.datetime:
    return now.astimezone(zone(organization.time_zone))
