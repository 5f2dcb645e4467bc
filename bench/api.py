"""The public API beside the web views, over real HTTP, in the same run; and the export.

    uv run python bench/api.py [--requests 240] [--levels 1,4,16] [--pool 8] [--no-big]

1. Serves the ASGI app under uvicorn on 127.0.0.1 (a free port, the psycopg pool on, as
   `reformer serve` runs it) against its own database `reformer_bench_api`, seeds one
   organization (a studio, 40 classes over two weeks, a client with a package and a key
   per booking), then at 1, 4 and 16 concurrent clients times:
   - schedule listing: GET /api/v1/classes (JSON, key) vs GET /classes/ (the HTML class
     browser, signed-in client), with the raw ceiling: the same rows read by one SQL
     query on a pooled connection, no HTTP;
   - booking: POST /api/v1/bookings vs POST /classes/<id>/book/ (each request a different
     client, so every one books).
2. Export: the demo organization (`reformer demo` data) and, unless --no-big, the
   ~1M-booking dataset of bench/dashboard.py (seeded once into `reformer_bench_export`):
   time, zip size and peak memory (RSS sampled every 20 ms, above the starting RSS).

Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reformer.settings")

API_DB = "reformer_bench_api"
BIG_DB = "reformer_bench_export"
CSRF = "benchcsrfbenchcsrfbenchcsrfbench"  # a 32-character CSRF secret, cookie and header


def configure(database_name: str, pool_size: int) -> None:
    import django
    from django.conf import settings

    django.setup()
    database = settings.DATABASES["default"]
    database["NAME"] = database_name
    _create_database(database_name)
    if pool_size:
        database["OPTIONS"]["pool"] = {"min_size": 1, "max_size": pool_size, "timeout": 60}
    database["CONN_MAX_AGE"] = 0
    import logging

    logging.getLogger("django.request").setLevel(logging.ERROR)
    logging.getLogger("reformer").setLevel(logging.ERROR)


def _create_database(name: str) -> None:
    import psycopg
    from django.db import connections

    params = connections["default"].get_connection_params()
    params = {k: v for k, v in params.items() if k not in ("cursor_factory", "context", "pool")}
    params["dbname"] = "postgres"
    with psycopg.connect(**params, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- seeding ------------------------------------------------------------------------------------


def seed_api_world(clients_needed: int):
    """A fresh organization: 40 classes of 100 places over 14 days, `clients_needed`
    clients each with a 10-credit package and an API key."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from reformer.accounts.models import ClientProfile, Membership, User
    from reformer.api.keys import create_api_key
    from reformer.billing.models import ClientPackage, PackageProduct
    from reformer.scheduling.models import ClassSession, ClassType
    from reformer.studios.models import Organization, Room, Studio

    stamp = int(time.time())
    org = Organization.objects.create(name=f"API bench {stamp}", slug=f"api-bench-{stamp}")
    studio = Studio.objects.create(organization=org, name="Main", time_zone="America/New_York")
    room = Room.objects.create(organization=org, studio=studio, name="Room", capacity=100)
    class_type = ClassType.objects.create(organization=org, name="Reformer", default_capacity=100)
    owner_user = User.objects.create(email=f"owner{stamp}@bench.test", name="Owner")
    owner = Membership.objects.create(user=owner_user, organization=org, role="owner")
    start = (timezone.now() + dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    sessions = ClassSession.objects.bulk_create(
        ClassSession(
            organization=org,
            studio=studio,
            room=room,
            class_type=class_type,
            starts_at=start + dt.timedelta(hours=8 * i),
            ends_at=start + dt.timedelta(hours=8 * i, minutes=50),
            capacity=100,
        )
        for i in range(40)
    )
    product = PackageProduct.objects.create(
        organization=org, name="10 pack", kind="class_pack", credits=10, price=100
    )
    users = User.objects.bulk_create(
        User(email=f"c{i}.{stamp}@bench.test", name=f"Client {i}", password="!")
        for i in range(clients_needed)
    )
    members = Membership.objects.bulk_create(
        Membership(user=u, organization=org, role="client") for u in users
    )
    ClientProfile.objects.bulk_create(
        ClientProfile(organization=org, membership=m) for m in members
    )
    now = timezone.now()
    ClientPackage.objects.bulk_create(
        ClientPackage(
            organization=org,
            client=m,
            product=product,
            credits_total=10,
            credits_remaining=10,
            starts_at=now - dt.timedelta(days=1),
            expires_at=now + dt.timedelta(days=60),
            source="purchase",
        )
        for m in members
    )
    people = []
    for member in members:
        member.user = next(u for u in users if u.pk == member.user_id)
        key = create_api_key(
            owner,
            name=f"k{member.pk}",
            scopes=["schedule:read", "bookings:write"],
            acts_as=member,
            rate_limit_per_minute=100_000,
        ).secret
        session = SessionStore()
        session["_auth_user_id"] = str(member.user_id)
        session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        session["_auth_user_hash"] = member.user.get_session_auth_hash()
        session.create()
        people.append((key, session.session_key))
    return org, [s.pk for s in sessions], people


# --- the server ---------------------------------------------------------------------------------


class Server:
    def __init__(self) -> None:
        import uvicorn

        from reformer.asgi import application

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            application, host="127.0.0.1", port=self.port, lifespan="off", log_level="error"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


# --- timing -------------------------------------------------------------------------------------


def run_level(concurrency: int, calls: list) -> dict:
    """Run the calls (each returns an HTTP status) on `concurrency` threads."""
    import requests

    lock = threading.Lock()
    queue = list(reversed(calls))
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    def worker() -> None:
        session = requests.Session()
        while True:
            with lock:
                if not queue:
                    return
                call = queue.pop()
            started = time.perf_counter()
            status = call(session)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(latencies) / wall,
        "p50": statistics.median(latencies) * 1000,
        "p95": latencies[int(0.95 * (len(latencies) - 1))] * 1000,
        "statuses": statuses,
    }


def raw_listing_ceiling(org_id: int, runs: int) -> float:
    """Per-request ms of the listing's rows read straight from the database (no HTTP)."""
    from django.db import connection
    from django.utils import timezone

    sql = (
        "SELECT s.id, s.starts_at, s.ends_at, s.capacity, s.booked_count, t.name, st.name "
        "FROM scheduling_classsession s JOIN scheduling_classtype t ON t.id = s.class_type_id "
        "JOIN studios_studio st ON st.id = s.studio_id WHERE s.organization_id = %s "
        "AND s.starts_at >= %s AND s.starts_at < %s AND s.status = 'scheduled' "
        "ORDER BY s.starts_at, s.id LIMIT 51"
    )
    now = timezone.now()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for _ in range(runs):
            cursor.execute(sql, [org_id, now, now + dt.timedelta(days=14)])
            cursor.fetchall()
    return (time.perf_counter() - started) / runs * 1000


def bench_http(requests_per_case: int, levels: list[int], pool: int) -> None:
    configure(API_DB, pool)
    migrate()
    bookings_needed = requests_per_case * len(levels) * 2
    org, session_ids, people = seed_api_world(bookings_needed)
    print(f"seeded organization {org.slug}: {len(session_ids)} classes, {len(people)} clients")
    with Server() as server:
        base = server.url

        def api_list(key):
            return lambda s: (
                s.get(
                    f"{base}/api/v1/classes", headers={"Authorization": f"Bearer {key}"}
                ).status_code
            )

        def web_list(cookie):
            return lambda s: s.get(f"{base}/classes/", cookies={"sessionid": cookie}).status_code

        def api_book(key, session_id):
            return lambda s: (
                s.post(
                    f"{base}/api/v1/bookings",
                    json={"class_id": session_id},
                    headers={"Authorization": f"Bearer {key}"},
                ).status_code
            )

        def web_book(cookie, session_id):
            return lambda s: (
                s.post(
                    f"{base}/classes/{session_id}/book/",
                    data={},
                    cookies={"sessionid": cookie, "csrftoken": CSRF},
                    headers={"X-CSRFToken": CSRF, "Referer": base + "/"},
                    allow_redirects=False,
                ).status_code
            )

        ceiling = raw_listing_ceiling(org.pk, 200)
        print(
            f"\nschedule listing (40 classes, first page of 50); raw SQL ceiling {ceiling:.2f} ms"
        )
        print(f"{'clients':>8} {'via':>5} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}  statuses")
        reader_key, reader_cookie = people[0]
        for level in levels:
            for via, make in (("api", api_list(reader_key)), ("web", web_list(reader_cookie))):
                run_level(level, [make] * 10)  # warm up
                result = run_level(level, [make] * requests_per_case)
                print(
                    f"{level:>8} {via:>5} {result['rps']:>8.1f} {result['p50']:>8.1f} "
                    f"{result['p95']:>8.1f}  {result['statuses']}"
                )
        print("\nbooking (every request a different client, 40 classes of 100)")
        print(f"{'clients':>8} {'via':>5} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}  statuses")
        people_left = iter(people)
        for level in levels:
            for via in ("api", "web"):
                calls = []
                for index in range(requests_per_case):
                    key, cookie = next(people_left)
                    session_id = session_ids[index % len(session_ids)]
                    calls.append(
                        api_book(key, session_id) if via == "api" else web_book(cookie, session_id)
                    )
                result = run_level(level, calls)
                print(
                    f"{level:>8} {via:>5} {result['rps']:>8.1f} {result['p50']:>8.1f} "
                    f"{result['p95']:>8.1f}  {result['statuses']}"
                )
    from reformer.bookings.integrity import check_integrity

    report = check_integrity(organization_id=org.pk)
    print(f"integrity after the run: {'ok' if report.ok else report.problems[:3]}")


# --- export ---------------------------------------------------------------------------------------


def measure_export(organization) -> None:
    import tempfile

    import psutil

    from reformer.portability.export import write_export

    process = psutil.Process()
    baseline = process.memory_info().rss
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with tempfile.TemporaryDirectory() as folder:
        target = os.path.join(folder, "export.zip")
        started = time.perf_counter()
        counts = write_export(organization.pk, organization.name, target, lambda p, s: None)
        elapsed = time.perf_counter() - started
        size = os.path.getsize(target)
    done.set()
    sampler.join()
    rows = sum(counts.values())
    bookings = counts.get("bookings", 0)
    print(
        f"export of {organization.name!r}: {rows:,} rows ({bookings:,} bookings) in "
        f"{elapsed:.1f} s, zip {size / 1e6:.1f} MB, peak memory +{(peak - baseline) / 1e6:.0f} MB "
        f"(RSS {baseline / 1e6:.0f} -> {peak / 1e6:.0f} MB)"
    )


def export_in_child(database: str, slug: str) -> None:
    """Measure in a fresh process, so the peak memory is the export's alone."""
    import subprocess

    subprocess.run([sys.executable, __file__, "--export-child", database, slug], check=True)


def bench_demo_export() -> None:
    import io

    from reformer.demo import content
    from reformer.demo.loader import load_demo
    from reformer.studios.models import Organization

    if not Organization.objects.filter(slug=content.ORGANIZATION_SLUG).exists():
        load_demo(io.StringIO())
    export_in_child(API_DB, content.ORGANIZATION_SLUG)


def bench_big_export() -> None:
    from django.db import connection, connections

    connections.close_all()
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = BIG_DB
    _create_database(BIG_DB)
    migrate()
    from reformer.studios.models import Organization

    if not Organization.objects.filter(slug="bench").exists():
        seed_sql = (Path(__file__).parent / "dashboard_seed.sql").read_text()
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "ALTER TABLE bookings_booking DROP CONSTRAINT IF EXISTS booking_no_client_overlap"
            )
            cursor.execute(seed_sql, {"back": 730, "ahead": 28, "clients": 5000})
        print(f"seeded the 1M-booking dataset in {time.perf_counter() - started:.0f} s")
    export_in_child(BIG_DB, "bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=240, help="requests per case and level")
    parser.add_argument("--levels", default="1,4,16")
    parser.add_argument("--pool", type=int, default=8)
    parser.add_argument("--no-big", action="store_true", help="skip the 1M-booking export")
    parser.add_argument("--only-export", action="store_true")
    parser.add_argument("--export-child", nargs=2, metavar=("DATABASE", "SLUG"), help="internal")
    args = parser.parse_args()
    if args.export_child:
        database, slug = args.export_child
        configure(database, 0)
        from reformer.studios.models import Organization

        measure_export(Organization.objects.get(slug=slug))
        return
    levels = [int(level) for level in args.levels.split(",")]
    if args.only_export:
        configure(API_DB, 0)
        migrate()
    else:
        bench_http(args.requests, levels, args.pool)
    print()
    bench_demo_export()
    if not args.no_big:
        bench_big_export()


if __name__ == "__main__":
    main()
