"""Analytics panels, exports, the monthly PDF and calendar feeds on two years of history.

    uv run python bench/analytics.py [--reseed] [--runs 20]

Uses the database of bench/dashboard.py (`reformer_bench_dashboard`: three studios, ~1M
bookings over two years, seeded once with SQL), adds nine instructors (one per room) the
first time, and prints p50/p99 per case: every analytics panel (query functions and the
htmx views through Django's test client), every export format, the rollup refresh, one
monthly report (figures + PDF) and calendar feeds. With no DATABASE_URL the worktree's
embedded PostgreSQL is used. Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dashboard import BENCH_DB, _ensure_database, seed, timed


def _urls() -> tuple[str, str]:
    from urllib.parse import urlparse, urlunparse

    base = os.environ.get("DATABASE_URL")
    if not base:
        from reformer import embedded_db

        base = embedded_db.database_url(Path(__file__).resolve().parent.parent / "var" / "postgres")
    parsed = urlparse(base)
    return urlunparse(parsed._replace(path="/postgres")), urlunparse(
        parsed._replace(path=f"/{BENCH_DB}")
    )


def _add_instructors() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM accounts_membership WHERE role = 'instructor'")
        if cursor.fetchone()[0]:
            return
        started = time.perf_counter()
        cursor.execute(
            """
            INSERT INTO accounts_user (password, email, name, phone, photo,
                notify_class_reminders, notify_booking_confirmations, notify_promotional_email,
                notify_sms, is_active, is_staff, is_superuser, date_joined)
            SELECT '!', 'teacher' || r.id || '@bench.test', 'Teacher ' || r.id, '', '', true,
                   true, false, false, true, false, false, now()
              FROM studios_room r;
            INSERT INTO accounts_membership (user_id, organization_id, role, active, bio,
                created_at)
            SELECT u.id, o.id, 'instructor', true, '', now()
              FROM accounts_user u, studios_organization o WHERE u.email LIKE 'teacher%%';
            ALTER TABLE scheduling_classsession
                DISABLE TRIGGER scheduling_classsession_visits_changed;
            UPDATE scheduling_classsession s SET instructor_id = m.id
              FROM accounts_membership m JOIN accounts_user u ON u.id = m.user_id
             WHERE u.email = 'teacher' || s.room_id || '@bench.test';
            ALTER TABLE scheduling_classsession
                ENABLE TRIGGER scheduling_classsession_visits_changed;
            ANALYZE;
            """
        )
        print(f"added instructors in {time.perf_counter() - started:.1f} s")


def run(runs: int) -> None:
    import datetime as dt

    from django.test import Client
    from django.test.utils import setup_test_environment

    from reformer.accounts.models import Membership
    from reformer.analytics import (
        clients,
        conversion,
        instructors,
        revenue,
        rollups,
        table_exports,
        utilisation,
    )
    from reformer.analytics.insight_filters import AnalyticsQuery
    from reformer.analytics.periods import Period, preset_period
    from reformer.analytics.queries import metrics_scope
    from reformer.bookings.models import Booking
    from reformer.calendars import actions as calendar_actions
    from reformer.calendars import feeds
    from reformer.core.timezones import local_today
    from reformer.reports import data as report_data
    from reformer.reports import render
    from reformer.studios.models import Organization, Studio
    from reformer.web.owner import analytics_views

    setup_test_environment()
    analytics_views.EXPORTS_PER_MINUTE = 10**9  # the bench exports far more than a person
    owner = Membership.objects.select_related("organization", "user").get(role="owner")
    organization = owner.organization
    today = local_today(organization.time_zone)
    last_30 = preset_period("last_30_days", today)
    last_12m = preset_period("last_12_months", today)
    two_years = Period("custom", today - dt.timedelta(days=729), today)
    scope = metrics_scope(owner)
    few = max(5, runs // 4)

    started = time.perf_counter()
    rollups.refresh(organization.pk, full=True)
    print(f"rollup full rebuild: {(time.perf_counter() - started) * 1000:.0f} ms")
    timed(
        "rollup refresh (recent months, the 10-min job)",
        lambda: rollups.refresh(organization.pk),
        few,
    )

    print("panels (query functions):")
    for label, period in (
        ("last 30 days", last_30),
        ("12 months", last_12m),
        ("2 years", two_years),
    ):
        q = AnalyticsQuery(
            scope, period, "previous", interval="day" if period is last_30 else "month"
        )
        n = runs if period is last_30 else few
        timed(f"revenue by product, {label}", lambda q=q: revenue.revenue_panel(q, "product"), n)
        timed(f"utilisation heatmap, {label}", lambda q=q: utilisation.heatmap(q), n)
        timed(f"retention cohorts, {label}", lambda q=q: clients.retention(q), n)
        timed(f"segments, {label}", lambda q=q: clients.segments(q), n)
        timed(f"instructor performance, {label}", lambda q=q: instructors.performance(q), n)
        timed(f"intro conversion, {label}", lambda q=q: conversion.conversion(q), n)
    q30 = AnalyticsQuery(scope, last_30, "previous")
    timed("at-risk clients", lambda: clients.at_risk(q30), runs)
    timed("heatmap drill-down (one cell)", lambda: utilisation.slot_classes(q30, 0, 9), runs)

    client = Client()
    client.force_login(owner.user)

    def get(path: str):
        def fetch():
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        return fetch

    print("views (Django test client, server time):")
    timed("analytics page shell", get("/owner/analytics/"), runs)
    range_2y = f"range=custom&from={two_years.start}&to={two_years.end}"
    for name in analytics_views.PANELS:
        timed(f"panel {name}, last 30 days", get(f"/owner/analytics/panels/{name}/"), runs)
        timed(
            f"panel {name}, 2 years",
            get(f"/owner/analytics/panels/{name}/?{range_2y}&interval=month"),
            few,
        )
    for fmt in table_exports.FORMATS:
        timed(
            f"export utilisation .{fmt}, 2 years",
            get(f"/owner/analytics/export/utilisation.{fmt}?{range_2y}"),
            few,
        )
        timed(
            f"export revenue .{fmt}, 12 months daily",
            get(f"/owner/analytics/export/revenue.{fmt}?range=last_12_months"),
            few,
        )

    print("monthly report:")
    month = report_data.month_before(today)
    timed(
        "figures (report_data.build), all studios",
        lambda: report_data.build(organization, None, month),
        few,
    )
    figures = report_data.build(organization, None, month)
    timed("PDF (render_pdf)", lambda: render.render_pdf(figures), few)
    timed(
        "figures + PDF, one studio",
        lambda: render.render_pdf(report_data.build(organization, Studio.objects.first(), month)),
        few,
    )

    print("calendar feeds:")
    busiest = (
        Booking.objects.filter(organization=organization, starts_at__gte=owner.created_at)
        .values("client_id")
        .order_by()
        .first()
    )
    member = Membership.objects.get(pk=busiest["client_id"]) if busiest else owner
    feed = calendar_actions.create_feed(member)
    body = feeds.person_feed(feed, base_url="https://bench.test")
    print(f"  client feed: {body.events} events, {len(body.body):,} bytes")
    timed(
        "client feed (120-day window), unchanged",
        lambda: feeds.person_feed(feed, base_url="https://bench.test"),
        runs,
    )
    teacher = Membership.objects.filter(role="instructor").first()
    teacher_feed = calendar_actions.create_feed(teacher)
    built = feeds.person_feed(teacher_feed, base_url="https://bench.test")
    print(f"  instructor feed: {built.events} events, {len(built.body):,} bytes")
    timed(
        "instructor feed, unchanged",
        lambda: feeds.person_feed(teacher_feed, base_url="https://bench.test"),
        runs,
    )
    studio = Studio.objects.filter(organization=organization).first()
    built = feeds.studio_feed(studio, base_url="https://bench.test")
    print(f"  studio feed: {built.events} events, {len(built.body):,} bytes")
    timed(
        "public studio feed (67 days), unchanged",
        lambda: feeds.studio_feed(studio, base_url="https://bench.test"),
        few,
    )
    timed(
        "feed over HTTP, 304 (If-None-Match)",
        lambda: Client().get(f"/calendar/feed/{feed.token}.ics", HTTP_IF_NONE_MATCH=body.etag),
        runs,
    )
    del Organization


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    admin_url, bench_url = _urls()
    _ensure_database(admin_url, args.reseed)
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reformer.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from reformer.studios.models import Organization

    if not Organization.objects.filter(slug="bench").exists():
        seed()
    _add_instructors()
    print(f"database {BENCH_DB}")
    run(args.runs)


if __name__ == "__main__":
    main()
