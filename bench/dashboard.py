"""Owner dashboard server time with two years of history (~1M bookings, three studios).

    uv run python bench/dashboard.py [--reseed] [--runs 40]

Creates (once) the database `reformer_bench_dashboard` on DATABASE_URL's server, migrates
it and seeds it with SQL `generate_series`: three studios (two in New York, one in
London) with three rooms each, ten classes a day per room from two years ago to four weeks
ahead, about fifteen bookings per class, payments. Then it times the metric queries and
the dashboard views (Django test client, no network) and prints p50/p99 per case.
Prints figures; it is not a test. `--explain` also prints the plans of the main queries.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BENCH_DB = "reformer_bench_dashboard"
DAYS_BACK, DAYS_AHEAD = 730, 28
CLIENTS = 5000


def _bench_url() -> tuple[str, str]:
    base = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    parsed = urlparse(base)
    admin = urlunparse(parsed._replace(path="/postgres"))
    return admin, urlunparse(parsed._replace(path=f"/{BENCH_DB}"))


def _ensure_database(admin_url: str, reseed: bool) -> None:
    """Create the bench database if needed (dropped first with --reseed)."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if exists and reseed:
            conn.execute(f'DROP DATABASE "{BENCH_DB}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


SEED_SQL = (Path(__file__).parent / "dashboard_seed.sql").read_text()


def seed() -> None:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Reads are what this measures: the overlap guard (a GiST exclusion constraint) is
        # dropped in this throwaway database so a million rows go in quickly.
        cursor.execute(
            "ALTER TABLE bookings_booking DROP CONSTRAINT IF EXISTS booking_no_client_overlap"
        )
        # Nor does a seed need the analytics triggers listing changed clients (the bench
        # rebuilds the rollups from scratch).
        cursor.execute(
            "ALTER TABLE bookings_booking DISABLE TRIGGER bookings_booking_visits_added_or_removed"
        )
        cursor.execute(SEED_SQL, {"back": DAYS_BACK, "ahead": DAYS_AHEAD, "clients": CLIENTS})
        cursor.execute(
            "ALTER TABLE bookings_booking ENABLE TRIGGER bookings_booking_visits_added_or_removed"
        )
        cursor.execute("SELECT count(*) FROM bookings_booking")
        bookings = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM scheduling_classsession")
        sessions = cursor.fetchone()[0]
    print(
        f"seeded {bookings:,} bookings in {sessions:,} classes "
        f"in {time.perf_counter() - started:.1f} s"
    )


def timed(label: str, fn, runs: int) -> None:
    fn()  # warm up (plans, caches)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p99 = samples[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))]
    print(f"  {label:<48} p50 {statistics.median(samples):7.1f} ms   p99 {p99:7.1f} ms")


def run(runs: int, explain: bool) -> None:
    import datetime as dt

    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from reformer.accounts.models import Membership
    from reformer.analytics import queries
    from reformer.analytics.periods import Period, preset_period
    from reformer.core.timezones import local_today
    from reformer.studios.models import Studio

    setup_test_environment()
    owner = Membership.objects.select_related("organization", "user").get(role="owner")
    manager = Membership.objects.select_related("organization", "user").get(role="manager")
    today = local_today(owner.organization.time_zone)
    month = preset_period("this_month", today)
    last_30 = preset_period("last_30_days", today)
    all_time = Period(
        "custom", today - dt.timedelta(days=DAYS_BACK), today + dt.timedelta(DAYS_AHEAD)
    )
    scope = queries.metrics_scope(owner)
    studio = Studio.objects.order_by("pk").first()
    studio_scope = queries.metrics_scope(owner, studio_id=studio.pk)
    manager_scope = queries.metrics_scope(manager)

    print("queries (analytics.queries):")
    timed("summary, this month, all studios", lambda: queries.summary(scope, month), runs)
    timed("summary, last 30 days, one studio", lambda: queries.summary(studio_scope, last_30), runs)
    timed("summary, this month, manager", lambda: queries.summary(manager_scope, month), runs)
    timed(
        "summary, all time (2 years)", lambda: queries.summary(scope, all_time), max(5, runs // 4)
    )
    for interval in ("day", "week", "month"):
        timed(
            f"booking_series {interval}", lambda i=interval: queries.booking_series(scope, i), runs
        )
    timed("booking_series day, one studio", lambda: queries.booking_series(studio_scope), runs)
    timed(
        "daily_rows, all time (CSV)", lambda: queries.daily_rows(scope, all_time), max(5, runs // 4)
    )
    timed("upcoming_sessions page 1", lambda: list(queries.upcoming_sessions(scope)[:10]), runs)
    timed("instructor_overview", lambda: list(queries.instructor_overview(owner)), runs)

    client = Client()
    client.force_login(owner.user)
    all_time_query = f"?range=custom&from={all_time.start}&to={all_time.end}"

    def get(path: str):
        def fetch():
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            if response.streaming:
                b"".join(response.streaming_content)

        return fetch

    print("views (Django test client, server time):")
    timed("dashboard page shell", get("/owner/"), runs)
    timed("metrics panel, this month", get("/owner/metrics/"), runs)
    timed("metrics panel, all time", get("/owner/metrics/" + all_time_query), max(5, runs // 4))
    timed("chart panel, daily", get("/owner/chart/"), runs)
    timed("chart panel, monthly", get("/owner/chart/?interval=month"), runs)
    timed("schedule panel", get("/owner/schedule/"), runs)
    timed(
        "CSV export, all time daily", get("/owner/export.csv" + all_time_query + "&kind=daily"), 5
    )

    if explain:
        start, end = all_time.utc_bounds(scope.time_zone)
        with connection.cursor() as cursor:
            for label, qs in [
                ("series day", _series_sql(scope)),
                ("summary bookings, month", _summary_sql(scope, month)),
            ]:
                sql, params = qs
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                print(f"\nEXPLAIN {label}:")
                print("\n".join(row[0] for row in cursor.fetchall()))
        del start, end


def _series_sql(scope):
    import datetime as dt

    from django.db.models import Count
    from django.db.models.functions import TruncDay
    from django.utils import timezone

    from reformer.bookings.models import Booking
    from reformer.core.timezones import zone

    qs = (
        Booking.objects.filter(
            organization_id=scope.actor.organization_id,
            created_at__gte=timezone.now() - dt.timedelta(days=30),
            status__in=list(Booking.HOLDING),
        )
        .annotate(bucket=TruncDay("created_at", tzinfo=zone(scope.time_zone)))
        .values("bucket")
        .annotate(n=Count("id"))
        .order_by()
    )
    return qs.query.sql_with_params()


def _summary_sql(scope, period):
    from django.db.models import Count, Q

    from reformer.bookings.models import Booking

    start, end = period.utc_bounds(scope.time_zone)
    qs = (
        Booking.objects.filter(
            organization_id=scope.actor.organization_id,
            session__studio_id__in=scope.studio_ids,
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .values("session__studio_id")
        .annotate(bookings=Count("id", filter=Q(status__in=list(Booking.HOLDING))))
        .order_by()
    )
    return qs.query.sql_with_params()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reseed", action="store_true", help="drop and seed the database again")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()

    admin_url, bench_url = _bench_url()
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
    print(f"database {BENCH_DB}")
    run(args.runs, args.explain)


if __name__ == "__main__":
    main()
