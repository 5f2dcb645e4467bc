"""Benchmark `book_session`: throughput and latency, spread over many classes and all on one
hot class, plus "500 clients at once for a 20-place class".

    uv run python bench/booking.py [--pool 8] [--bookings 3000] [--threads 1,4,16,64]

It creates (or reuses) a database `reformer_bench` on DATABASE_URL's server (or the embedded
one), seeds its own data, and prints a table. The client threads share one bounded
connection pool (Django's psycopg pool, --pool connections): on 2 cores throughput collapses
past ~16 busy connections, so 64 threads queue for a connection instead of all hitting the
database at once, as a web server with a bounded pool would.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import random
import statistics
import sys
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reformer.settings")

from booking_phases import phase_breakdown, print_phases

BENCH_DB = "reformer_bench"


def configure(pool_size: int, *, prepared: bool = False) -> None:
    """Point Django at the benchmark database (created if missing) with a bounded pool."""
    import django
    from django.conf import settings

    url = os.environ.get("DATABASE_URL")
    if url:
        head, _, tail = url.rpartition("/")
        query = tail.partition("?")[2]
        os.environ["DATABASE_URL"] = f"{head}/{BENCH_DB}" + (f"?{query}" if query else "")
    django.setup()
    database = settings.DATABASES["default"]
    database["NAME"] = BENCH_DB
    _create_database(database)
    database["OPTIONS"]["pool"] = {"min_size": pool_size, "max_size": pool_size, "timeout": 60}
    if prepared:
        # Server-side binding lets PostgreSQL keep each statement's plan per connection
        # (Django's default sends literal SQL, planned on every call).
        database["OPTIONS"].update(server_side_binding=True, prepare_threshold=2)
    database["CONN_MAX_AGE"] = 0
    # Keep the log quiet: the 63 losers of a race are expected, not warnings.
    import logging

    logging.getLogger("reformer").setLevel(logging.ERROR)


def _create_database(database: dict) -> None:
    import psycopg
    from django.db import connections

    params = connections["default"].get_connection_params()
    params = {k: v for k, v in params.items() if k not in ("cursor_factory", "context", "pool")}
    params["dbname"] = "postgres"
    with psycopg.connect(**params, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def serve_live_events() -> None:
    """Run an event loop in a thread and bind it as the websocket server's loop, as the ASGI
    server does in production, so live events are handed to it (not a new loop per event)."""
    import asyncio

    from reformer.core import live

    bind = getattr(live, "bind_event_loop", None)
    if bind is None:
        return
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    loop.call_soon_threadsafe(bind, loop)
    time.sleep(0.1)


# The same booking transaction as the action, as bare SQL on psycopg (no Django, no audit,
# no outbox, no job): the ceiling the action is compared with.
RAW_SQL = [
    """UPDATE scheduling_classsession SET booked_count = booked_count + 1
        WHERE id = %(session)s AND status = 'scheduled' AND starts_at > now()
          AND booked_count < capacity RETURNING booked_count""",
    """INSERT INTO bookings_booking (organization_id, session_id, client_id, client_package_id,
              spot_id, starts_at, ends_at, status, is_late, cancel_reason, credit_returned,
              source, reference, created_at)
       SELECT s.organization_id, s.id, %(client)s, %(package)s,
              (SELECT spot.id FROM studios_spot spot WHERE spot.room_id = s.room_id
                  AND spot.active AND NOT EXISTS (SELECT 1 FROM bookings_booking t
                      WHERE t.session_id = s.id AND t.spot_id = spot.id
                        AND t.status IN ('confirmed', 'attended', 'no_show'))
                ORDER BY spot."row", spot."column", spot.label, spot.id LIMIT 1),
              s.starts_at, s.ends_at, 'confirmed', false, '', false, 'web', %(reference)s, now()
         FROM scheduling_classsession s WHERE s.id = %(session)s RETURNING id""",
    """WITH spent AS (UPDATE billing_clientpackage SET credits_remaining = credits_remaining - 1
                  WHERE id = %(package)s AND credits_remaining > 0
              RETURNING id, organization_id)
       INSERT INTO billing_creditledger (organization_id, client_package_id, booking_id, delta,
              reason, note, at)
       SELECT organization_id, id, currval('bookings_booking_id_seq'), -1, 'booking', '', now()
         FROM spent""",
]


def run_raw(threads: int, requests: list[tuple], pool_size: int, *, prepared: bool) -> dict:
    import psycopg_pool
    from django.db import connections

    params = connections["default"].get_connection_params()
    params = {k: v for k, v in params.items() if k not in ("cursor_factory", "context", "pool")}
    # Django's params turn psycopg's preparing off, so the raw transaction's statements are
    # planned every time, as Django's are; `prepared`: psycopg's default, planned once per
    # connection from their fifth run (as the booking's own statements are:
    # core.batched_reads.planned_cursor).
    if prepared:
        params["prepare_threshold"] = 5
    pool = psycopg_pool.ConnectionPool(kwargs=params, min_size=pool_size, max_size=pool_size)
    pool.wait()
    packages = {}
    with pool.connection() as conn:
        for client_id, package_id in conn.execute(
            "SELECT client_id, id FROM billing_clientpackage"
        ):
            packages[client_id] = package_id
    work = iter(requests)
    lock = threading.Lock()
    latencies: list[float] = []
    booked = [0]
    start_together = threading.Barrier(threads + 1)

    def worker() -> None:
        mine = []
        start_together.wait()
        while True:
            with lock:
                item = next(work, None)
            if item is None:
                break
            client, session = item
            began = time.perf_counter()
            args = {
                "session": session.pk,
                "client": client.pk,
                "package": packages[client.pk],
                "reference": f"R{client.pk}S{session.pk}"[:12],
            }
            with pool.connection() as conn, conn.transaction():
                if conn.execute(RAW_SQL[0], args).fetchone():
                    conn.execute(RAW_SQL[1], args)
                    conn.execute(RAW_SQL[2], args)
            mine.append(time.perf_counter() - began)
        with lock:
            latencies.extend(mine)
            booked[0] += len(mine)

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    start_together.wait()
    began = time.perf_counter()
    for thread in workers:
        thread.join()
    elapsed = time.perf_counter() - began
    pool.close()
    latencies.sort()
    return {
        "per_second": booked[0] / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "outcomes": {"booked": booked[0]},
    }


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


SPREAD_SESSIONS = 2000
ROOMS = 20


def seed(clients_needed: int):
    """One organization: 20 rooms of 10 spots with 100 classes each (2,000), a hot class
    with room for every benchmark booking, a 20-place class for the rush, and clients with
    a 50-credit pack each."""
    from django.db import connection
    from django.utils import timezone

    from reformer.accounts.models import ClientProfile, Membership, User
    from reformer.billing.models import ClientPackage, PackageProduct
    from reformer.scheduling.models import ClassSession, ClassType
    from reformer.studios.models import Organization, Room, Spot, Studio, StudioPolicy

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE accounts_user, studios_organization, core_auditevent, core_adminalert, "
            "procrastinate_jobs, procrastinate_events, procrastinate_periodic_defers CASCADE"
        )
    now = timezone.now()
    org = Organization.objects.create(name="Bench Pilates", slug="bench")
    studio = Studio.objects.create(
        organization=org, name="Bench Studio", address="1 Bench Road", time_zone="Europe/London"
    )
    StudioPolicy.objects.create(organization=org, studio=studio, booking_window_days=60)
    first = (now + dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)

    def room_with_spots(name: str, capacity: int, spots: int) -> Room:
        room = Room.objects.create(organization=org, studio=studio, name=name, capacity=capacity)
        Spot.objects.bulk_create(
            Spot(organization=org, room=room, label=f"Reformer {i + 1}", row=i // 5, column=i % 5)
            for i in range(spots)
        )
        return room

    sessions = []
    for r in range(ROOMS):
        room = room_with_spots(f"Room {r}", 10, 10)
        class_type = ClassType.objects.create(organization=org, name=f"Reformer {r}")
        sessions += [
            ClassSession(
                organization=org,
                studio=studio,
                room=room,
                class_type=class_type,
                starts_at=first + dt.timedelta(hours=h),
                ends_at=first + dt.timedelta(hours=h, minutes=50),
                capacity=10,
            )
            for h in range(SPREAD_SESSIONS // ROOMS)
        ]
    ClassSession.objects.bulk_create(sessions)
    hot_type = ClassType.objects.create(organization=org, name="Hot Class")
    later = first + dt.timedelta(days=10)
    hot = ClassSession.objects.create(
        organization=org,
        studio=studio,
        room=room_with_spots("Hot Room", 100000, 20),
        class_type=hot_type,
        starts_at=later,
        ends_at=later + dt.timedelta(minutes=50),
        capacity=100000,
    )
    rush_start = later + dt.timedelta(hours=2)
    rush = ClassSession.objects.create(
        organization=org,
        studio=studio,
        room=room_with_spots("Rush Room", 20, 20),
        class_type=hot_type,
        starts_at=rush_start,
        ends_at=rush_start + dt.timedelta(minutes=50),
        capacity=20,
    )
    users = User.objects.bulk_create(
        User(email=f"client{i}@bench.example.com", name=f"Client {i}", password="!")
        for i in range(clients_needed)
    )
    members = Membership.objects.bulk_create(
        Membership(user=u, organization=org, role="client") for u in users
    )
    ClientProfile.objects.bulk_create(
        ClientProfile(organization=org, membership=m) for m in members
    )
    product = PackageProduct.objects.create(
        organization=org, name="50 classes", kind="class_pack", credits=50, price=Decimal("500")
    )
    ClientPackage.objects.bulk_create(
        ClientPackage(
            organization=org,
            client=m,
            product=product,
            credits_total=50,
            credits_remaining=50,
            starts_at=now - dt.timedelta(days=1),
            expires_at=now + dt.timedelta(days=365),
            # Granted, not bought: a purchase without its Payment row fails check_integrity.
            source=ClientPackage.Source.STAFF_GRANT,
        )
        for m in members
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    clients = list(
        Membership.objects.filter(organization=org).select_related("user").order_by("pk")
    )
    spread = list(ClassSession.objects.filter(capacity=10).order_by("pk"))
    return clients, spread, hot, rush


def reset() -> None:
    """Forget every booking between runs so each run starts from the same state."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE bookings_waitlistentry, bookings_booking, billing_creditledger, "
            "notifications_message, core_auditevent, procrastinate_jobs, procrastinate_events "
            "CASCADE"
        )
        cursor.execute("UPDATE scheduling_classsession SET booked_count = 0, waiting_count = 0")
        cursor.execute("UPDATE billing_clientpackage SET credits_remaining = credits_total")
        cursor.execute("VACUUM ANALYZE bookings_booking")
    connection.close()


def run(threads: int, requests: list[tuple]) -> dict:
    """Book every (client, session) pair with `threads` threads; figures per outcome."""
    from django.db import connection

    from reformer.bookings.actions import book_session
    from reformer.core.errors import DomainError

    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    work = iter(requests)
    start_together = threading.Barrier(threads + 1)

    def worker() -> None:
        mine: list[float] = []
        seen: Counter[str] = Counter()
        start_together.wait()
        while True:
            with lock:
                item = next(work, None)
            if item is None:
                break
            client, session = item
            began = time.perf_counter()
            try:
                book_session(client, session)
                seen["booked"] += 1
            except DomainError as exc:
                seen[exc.code] += 1
            finally:
                connection.close()  # back to the pool, as at the end of a web request
            mine.append(time.perf_counter() - began)
        with lock:
            latencies.extend(mine)
            outcomes.update(seen)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    start_together.wait()
    began = time.perf_counter()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "per_second": outcomes["booked"] / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "outcomes": dict(outcomes),
        "elapsed": elapsed,
    }


def rush(clients: list, session) -> dict:
    """Every client starts at the same instant; how long until the last has an answer?"""
    from django.db import connection

    from reformer.bookings.actions import book_session
    from reformer.core.errors import DomainError

    answered: list[float] = []
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    start_together = threading.Barrier(len(clients) + 1)
    t0 = [0.0]

    def one(client) -> None:
        start_together.wait()
        try:
            book_session(client, session)
            outcome = "booked"
        except DomainError as exc:
            outcome = exc.code
        finally:
            connection.close()
        done = time.perf_counter()
        with lock:
            answered.append(done - t0[0])
            outcomes[outcome] += 1

    pool = [threading.Thread(target=one, args=(c,)) for c in clients]
    for thread in pool:
        thread.start()
    t0[0] = time.perf_counter()
    start_together.wait()
    for thread in pool:
        thread.join()
    answered.sort()
    return {
        "last": answered[-1],
        "p50": statistics.median(answered),
        "outcomes": dict(outcomes),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", type=int, default=8, help="database connections (default 8)")
    parser.add_argument("--bookings", type=int, default=3000, help="bookings per run")
    parser.add_argument("--threads", default="1,4,16,64")
    parser.add_argument(
        "--raw", action="store_true", help="also time the bare-SQL booking transaction"
    )
    parser.add_argument(
        "--raw-prepared",
        action="store_true",
        help="the raw SQL with prepared statements (psycopg's default; Django turns it off)",
    )
    parser.add_argument(
        "--phases-only", action="store_true", help="only the phase breakdown (and its raw line)"
    )
    parser.add_argument(
        "--prepared",
        action="store_true",
        help="server-side binding with prepared statements (not the project's default)",
    )
    args = parser.parse_args()
    configure(args.pool, prepared=args.prepared)
    migrate()
    serve_live_events()
    thread_counts = [int(t) for t in args.threads.split(",")]
    clients, spread, hot, rush_session = seed(max(args.bookings, 500))

    from django.db import connection

    from reformer.bookings.integrity import check_integrity

    print(
        f"PostgreSQL {connection.cursor().connection.info.server_version}, "
        f"{os.cpu_count()} CPUs, pool of {args.pool} connections, "
        f"{args.bookings} bookings per run\n"
    )
    print(f"{'case':<40}{'threads':>8}{'bookings/s':>12}{'p50 ms':>9}{'p99 ms':>9}  outcomes")
    rng = random.Random(7)
    raw_single: dict | None = None
    cases = (
        ("spread over 2,000 classes", lambda i: spread[rng.randrange(len(spread))]),
        ("one hot class", lambda i: hot),
    )
    if args.phases_only:
        thread_counts, cases = [1], cases[:1]
    for label, pick in cases:
        for threads in thread_counts:
            chosen = list(itertools.islice(clients, args.bookings))
            requests = [(client, pick(i)) for i, client in enumerate(chosen)]
            runs = [("book_session", lambda r=requests, t=threads: run(t, r))]
            if args.raw:
                runs.append(
                    (
                        "raw SQL",
                        lambda r=requests, t=threads: run_raw(
                            t, r, args.pool, prepared=args.raw_prepared
                        ),
                    )
                )
            for how, measure in runs:
                reset()
                figures = measure()
                if how == "raw SQL" and threads == 1 and label.startswith("spread"):
                    raw_single = figures
                if how == "book_session":
                    report = check_integrity()
                    assert report.ok, report.problems[:5]
                print(
                    f"{label + ' (' + how + ')':<40}{threads:>8}{figures['per_second']:>12.0f}"
                    f"{figures['p50']:>9.1f}{figures['p99']:>9.1f}  {figures['outcomes']}"
                )
    reset()
    chosen = list(itertools.islice(clients, min(args.bookings, 500)))
    requests = [(client, spread[rng.randrange(len(spread))]) for client in chosen]
    figures, clock, cpu = phase_breakdown(lambda: run(1, requests))
    print_phases(figures, clock, cpu, raw_single)
    if args.phases_only:
        return
    reset()
    result = rush(clients[:500], rush_session)
    report = check_integrity()
    assert report.ok, report.problems[:5]
    print(
        f"\n500 clients at once for a 20-place class: all answered after {result['last']:.2f} s "
        f"(median {result['p50']:.2f} s), {result['outcomes']}"
    )


if __name__ == "__main__":
    main()
