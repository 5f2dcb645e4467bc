"""Benchmark the client's browse page and its live availability (prints figures; not a test).

    uv run python bench/browse.py [--sessions 5000] [--clients 1000] [--requests 100]
                                  [--rounds 5] [--parts browse,live] [--profile FILE]

1. Server time of the browse page (p50, p99) for a studio with --sessions upcoming classes in
   the next 30 days; "Next 7 days" matches about 1,200 of them and the page shows its first
   window of 200. Measured in-process through the whole Django stack (middleware, view,
   queries, templates) on a connection pool as `reformer serve` has, for the full page and
   for the htmx partial of a filter change; cards come from the per-process card cache
   (web/client/browse_cards.py) except in the "no card cached" case. Beside the wall time,
   the CPU time of the thread that ran each request (the machine's load hardly changes it;
   wall minus CPU is the database and the wait for a core) and, in the same run, the raw
   ceiling: a bare view returning the 7-day page's bytes through the same middleware
   (session, user, membership: 3 queries). --profile FILE writes a cProfile of the 7-day
   page and prints its CPU split by phase (browse_profile.py).
2. Live availability: uvicorn serves the app on 127.0.0.1 in a subprocess (with its lifespan,
   as `reformer serve`: the warm-up); --clients websocket clients, each a signed-in client
   with the browse page's subscriptions, connect; then, --rounds times, one more client books
   the same class over HTTP (each booking is a new state, so a new card for every socket)
   and every socket is waited for. Printed per round, in ms after the POST was sent: the
   booking's answer, when its event was handed to the channel layer (after its commit), when
   the server handed the first and the last socket its frame (the server records it;
   one machine, one monotonic clock), when the clients saw it (first, p50, p100), the
   fan-out (publish to last frame handed over) and the event loop's own CPU time over it,
   which the machine's load does not inflate. The clients are bare sans-I/O protocols
   (live_clients.py), cheap enough that what they see is what the server sent.

Seeds its own data in a database `reformer_bench_browse` (re-created on every run) on
DATABASE_URL's server (default: this checkout's embedded server in ./var).

Live events carry the class's public state (bookings/class_state.py), so the fan-out reads
the database once per booking, not once per socket (tests/web/test_live_fanout.py pins it).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reformer.settings")

from browse_profile import RAW_PATH, install_raw_view, profile, timed  # noqa: E402
from live_trace import PROFILE_ENV, TRACE_ENV  # noqa: E402

BENCH_DB = "reformer_bench_browse"

TZ = "America/New_York"
ROOMS = 12
SPOTS_PER_ROOM = 12
# Clients with credits who book the target class in turn (one booking per round of part 2).
BOOKERS = 8


def _embedded_server() -> str:
    """The checkout's own embedded server (./var/postgres), as the tests and `serve` use."""
    from reformer import embedded_db

    return embedded_db.database_url(ROOT / "var" / "postgres")


def configure() -> str:
    """Re-create the benchmark database, point Django at it, migrate. Returns its URL."""
    import psycopg

    server = os.environ.get("DATABASE_URL") or _embedded_server()
    parts = urlsplit(server)
    url = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


def seed(sessions: int, clients: int) -> dict:
    """One organization, one studio with 12 rooms of 12 reformers, `sessions` upcoming
    classes (hourly 06:00-21:00 local in every room, partly booked), a browsing client with
    20 bookings, `clients` clients for the websockets and BOOKERS clients who book."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from reformer.accounts.models import Membership, User
    from reformer.billing.models import ClientPackage, PackageProduct
    from reformer.bookings.models import Booking
    from reformer.core.timezones import local_to_utc, local_today
    from reformer.scheduling.models import ClassSession, ClassType
    from reformer.studios.models import Organization, Room, Spot, Studio, StudioPolicy

    rng = random.Random(7)
    org = Organization.objects.create(name="Bench Pilates", slug="bench", time_zone=TZ)
    studio = Studio.objects.create(organization=org, name="Bench Main", time_zone=TZ)
    StudioPolicy.objects.create(organization=org, studio=studio, booking_window_days=30)
    rooms = [
        Room.objects.create(
            organization=org, studio=studio, name=f"Room {i + 1}", capacity=SPOTS_PER_ROOM
        )
        for i in range(ROOMS)
    ]
    Spot.objects.bulk_create(
        Spot(organization=org, room=room, label=f"Reformer {n + 1}", row=n // 4, column=n % 4)
        for room in rooms
        for n in range(SPOTS_PER_ROOM)
    )
    # A studio runs one class of a type at a time (session_unique_slot): a type per room.
    kinds = ("Reformer Flow", "Tower", "Jumpboard", "Mat", "Barre", "Cardio Sculpt")
    types = [
        ClassType.objects.create(organization=org, name=f"{kind} {level}")
        for kind in kinds
        for level in ("I", "II")
    ]
    password = make_password(None)
    staff = User.objects.bulk_create(
        User(email=f"instructor{i}@bench.test", name=f"Instructor {i}", password=password)
        for i in range(ROOMS)
    )
    instructors = Membership.objects.bulk_create(
        Membership(user=user, organization=org, role="instructor") for user in staff
    )

    now = timezone.now()
    rows: list[ClassSession] = []
    today = local_today(TZ)
    for day in range(31):
        for hour in range(6, 22):
            start = local_to_utc(today + dt.timedelta(days=day), dt.time(hour), TZ)
            if start <= now or start >= now + dt.timedelta(days=30):
                continue
            for index, room in enumerate(rooms):
                booked = rng.choice([0, 3, 6, 9, 11, SPOTS_PER_ROOM])
                rows.append(
                    ClassSession(
                        organization=org,
                        studio=studio,
                        room=room,
                        class_type=types[(hour + index) % ROOMS],
                        instructor=instructors[index],
                        starts_at=start,
                        ends_at=start + dt.timedelta(minutes=50),
                        capacity=SPOTS_PER_ROOM,
                        booked_count=booked,
                    )
                )
    created = ClassSession.objects.bulk_create(rows[:sessions])

    people = User.objects.bulk_create(
        User(email=f"client{i}@bench.test", name=f"Client {i}", password=password)
        for i in range(clients + 1 + BOOKERS)
    )
    members = Membership.objects.bulk_create(
        Membership(user=user, organization=org, role="client") for user in people
    )
    product = PackageProduct.objects.create(
        organization=org, name="Ten", kind="class_pack", credits=10, price=Decimal("200")
    )
    for member in members[: 1 + BOOKERS]:
        ClientPackage.objects.create(
            organization=org,
            client=member,
            product=product,
            credits_total=10,
            credits_remaining=10,
            starts_at=now - dt.timedelta(days=1),
            expires_at=now + dt.timedelta(days=60),
            source="purchase",
        )
    # The browsing client holds 20 places spread over the month (never two at one time).
    browser_member = members[0]
    open_sessions = [s for s in created if s.booked_count < s.capacity]
    mine, taken_times = [], set()
    for s in open_sessions[:: max(1, len(open_sessions) // 20)]:
        if s.starts_at not in taken_times and len(mine) < 20:
            mine.append(s)
            taken_times.add(s.starts_at)
    Booking.objects.bulk_create(
        Booking(
            organization=org,
            session=s,
            client=browser_member,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            status="confirmed",
        )
        for s in mine
    )
    taken = {s.pk for s in mine}
    for s in mine:
        ClassSession.objects.filter(pk=s.pk).update(booked_count=s.booked_count + 1)
    target = next(
        s
        for s in created
        if s.booked_count == 0 and s.pk not in taken and s.starts_at > now + dt.timedelta(hours=2)
    )
    return {
        "studio": studio,
        "sessions": len(created),
        "browser": browser_member,
        "bookers": members[1 : 1 + BOOKERS],
        "watchers": members[1 + BOOKERS :],
        "target": target,
    }


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def measure_browse(world: dict, requests: int, profile_path: Path | None = None) -> dict:
    """The page through the test client, on a connection pool sized as `reformer serve`
    sizes it (a connection per request would add its set-up and a cold catalog cache to
    every figure, which the server does not pay). Beside the cases, the raw ceiling (the
    7-day page's bytes from a bare view through the same middleware) and, with
    `profile_path`, the CPU split of the 7-day page (browse_profile.py)."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from reformer.cli import pool_per_process
    from reformer.web.client import browse_cards

    connection.close()
    settings.DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": 2,
        "max_size": pool_per_process(1),
        "timeout": 30,
    }
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(world["browser"].user)
    results = {}
    cases = {
        "full page, Next 7 days": ({"when": "week"}, {}),
        "htmx partial, Next 7 days": (
            {"when": "week"},
            {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "browse"},
        ),
        "full page, Tomorrow": ({"when": "tomorrow"}, {}),
        "full page, Next 30 days": ({"when": "month"}, {}),
        # Every card rendered afresh: the first viewer after all 200 classes changed.
        "full page, 7 days, no card cached": ({"when": "week"}, {}),
    }
    page = client.get("/classes/", {"when": "week"}).content
    install_raw_view(page)
    cases["raw ceiling: bare view, same size"] = (None, {})
    for name, (params, headers) in cases.items():
        cold = "no card cached" in name

        def get(params=params, headers=headers):
            if params is None:
                response = client.get(RAW_PATH)
            else:
                response = client.get("/classes/", params, **headers)
            assert response.status_code == 200
            return response

        for _ in range(5):
            get()
        queries = QueryCounter()
        with connection.execute_wrapper(queries):
            response = get()
        shown = response.content.decode().count('data-state="')
        walls, cpus = timed(get, requests, browse_cards.clear if cold else None)
        results[name] = {
            "shown": shown,
            "bytes": len(response.content),
            "queries": queries.count,
            "p50": statistics.median(walls),
            "p99": walls[min(len(walls) - 1, round(len(walls) * 0.99) - 1)],
            "cpu": statistics.median(cpus),
        }
    if profile_path is not None:
        week = {"when": "week"}
        results["split"] = profile(lambda: client.get("/classes/", week), requests, profile_path)
    connection.close()
    connection.close_pool()
    del settings.DATABASES["default"]["OPTIONS"]["pool"]
    return results


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _session_key(user) -> str:
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return store.session_key


def _book_over_http(base: str, session_key: str, session_id: int) -> tuple[float, float]:
    """GET the booking dialog (for the CSRF cookie), then POST the booking; returns the
    moments the POST was sent and its answer arrived (perf_counter)."""
    cookie = f"sessionid={session_key}"
    with urllib.request.urlopen(
        urllib.request.Request(f"{base}/classes/{session_id}/book/", headers={"Cookie": cookie})
    ) as response:
        token = next(
            part.split("=", 1)[1]
            for header in response.headers.get_all("Set-Cookie")
            for part in header.split(";")
            if part.strip().startswith("csrftoken=")
        )
    request = urllib.request.Request(
        f"{base}/classes/{session_id}/book/",
        data=b"spot=auto",
        method="POST",
        headers={
            "Cookie": f"{cookie}; csrftoken={token}",
            "X-CSRFToken": token,
            "HX-Request": "true",
            "HX-Target": "book-dialog-body",
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"{base}/classes/",
        },
    )
    sent = time.perf_counter()
    with urllib.request.urlopen(request) as response:
        assert response.headers.get("HX-Redirect"), "the booking was refused"
    return sent, time.perf_counter()


async def measure_live(world: dict, url: str, pool: int, rounds: int) -> dict:
    """Serve the app, open a websocket per watcher, then `rounds` times: one booker books the
    target class over HTTP and every socket is waited for (each booking is a new state of the
    class, so a new card). Returns the figures of each round."""
    from asgiref.sync import sync_to_async
    from live_clients import LeanClients

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    trace_path = Path(tempfile.mkstemp(prefix="bench-live-", suffix=".json")[1])
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", TRACE_ENV: str(trace_path)}
    command = [sys.executable, str(Path(__file__).resolve()), "--serve", str(port)]
    server = subprocess.Popen([*command, "--pool", str(pool)], cwd=ROOT, env=env)
    booked = []
    try:
        for _ in range(600):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                await asyncio.sleep(0.1)
        keys = await sync_to_async(lambda: [_session_key(m.user) for m in world["watchers"]])()
        booker_keys = await sync_to_async(
            lambda: [_session_key(m.user) for m in world["bookers"]]
        )()
        target = world["target"]
        marker = f'id="session-{target.pk}"'
        ws_url = f"ws://127.0.0.1:{port}/ws/live/?user=me&toasts=1&studio={world['studio'].pk}"
        received: dict[int, float] = {}
        # The card says how many places are left: a round waits for its own booking's card.
        wanted = ""

        def on_text(index: int, text: str) -> None:
            if index not in received and marker in text and wanted in text:
                received[index] = time.perf_counter()

        clients = LeanClients(on_text)
        started = time.perf_counter()
        await clients.connect(ws_url, base, [f"sessionid={key}" for key in keys])
        connect_seconds = time.perf_counter() - started
        await asyncio.sleep(1)  # every consumer has joined its groups

        results = []
        for round_ in range(rounds):
            received.clear()
            wanted = f"{target.capacity - round_ - 1} spots left"
            sent, answered = await asyncio.to_thread(
                _book_over_http, base, booker_keys[round_], target.pk
            )
            booked.append(world["bookers"][round_])
            deadline = time.perf_counter() + 60
            while len(received) < len(clients.sockets) and time.perf_counter() < deadline:
                await asyncio.sleep(0.01)
            delays = sorted((moment - sent) * 1000 for moment in received.values())
            results.append({"sent": sent, "delays": delays, "answer": (answered - sent) * 1000})
            await asyncio.sleep(1)  # past the coalescing window: the next booking goes at once
        clients.close()
        await asyncio.sleep(0.5)  # the server has written its record
    finally:
        server.terminate()
        server.wait(timeout=20)
        await sync_to_async(cancel_bookings)(world, booked)
    trace = json.loads(trace_path.read_text() or "{}")
    trace_path.unlink()
    moments = [result.pop("sent") for result in results] + [float("inf")]
    for result, sent, next_sent in zip(results, moments, moments[1:], strict=False):
        # The server's clock is this machine's monotonic clock, as perf_counter is on Linux.
        def during(rows, sent=sent, next_sent=next_sent):
            return [row for row in rows if sent < row[0] < next_sent]

        sends = during(trace.get("sends", []))
        groups = during(trace.get("group_sends", []))
        published = [m for m in trace.get("published", []) if sent < m < next_sent]
        result["server_sends"] = sorted((m - sent) * 1000 for m, _ in sends)
        # The booking's thread handed its first event over (ms after the POST was sent).
        result["published"] = (published[0] - sent) * 1000 if published else None
        # CPU time of the loop thread from its first group send to its last frame.
        result["loop_cpu"] = (sends[-1][1] - groups[0][1]) * 1000 if sends and groups else None
    return {"clients": len(clients.sockets), "connect_s": connect_seconds, "rounds": results}


def cancel_bookings(world: dict, bookers: list) -> None:
    """Give the target class's places back (the next run books them again)."""
    from reformer.bookings.actions import cancel_booking
    from reformer.bookings.models import Booking

    for booker in bookers:
        for booking in Booking.objects.filter(
            session=world["target"], client=booker, status=Booking.Status.CONFIRMED
        ):
            cancel_booking(booker, booking)


def serve(port: int, pool: int) -> None:
    """The app under uvicorn, as `reformer serve` runs it; with `pool`, Django's psycopg
    connection pool (as `reformer serve` sets up) instead of a connection per request."""
    import django
    import uvicorn
    from django.conf import settings

    django.setup()
    if os.environ.get(TRACE_ENV):
        from live_trace import trace_live_sends

        trace_live_sends(os.environ[TRACE_ENV])
    if os.environ.get(PROFILE_ENV):
        from live_trace import profile_until_stopped

        profile_until_stopped(os.environ[PROFILE_ENV])
    if pool:
        settings.DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": 2,
            "max_size": pool,
            "timeout": 30,
        }
    from reformer.asgi import application

    uvicorn.run(
        application,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",  # the warm-up, as `reformer serve` (no job worker: not asked for)
        ws="websockets-sansio",
    )


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def _ms(value: float | None, unit: str = " ms") -> str:
    return "-" if value is None else f"{value:.0f}{unit}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument(
        "--pools",
        default="8",
        help="server connection pools to compare (0 = none; `reformer serve` uses 8)",
    )
    parser.add_argument(
        "--parts", default="browse,live", help="what to measure: browse, live or both"
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help=f"bookings measured in part 2 (at most {BOOKERS})"
    )
    parser.add_argument(
        "--profile", type=Path, help="write a cProfile of the 7-day page here, print its split"
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--pool", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.pool)
        return

    started = time.perf_counter()
    url = configure()
    world = seed(args.sessions, args.clients)
    print(
        f"Seeded {world['sessions']} upcoming classes and {args.clients + 1 + BOOKERS} clients "
        f"in {time.perf_counter() - started:.1f} s ({BENCH_DB}).\n"
    )

    parts = set(args.parts.split(","))
    if "browse" in parts:
        print(f"Browse page server time ({args.requests} requests each; load {_load()}):")
        print(
            f"  {'case':36} {'shown':>6} {'kB':>5} {'queries':>8} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'CPU p50 ms':>11}"
        )
        results = measure_browse(world, args.requests, args.profile)
        split = results.pop("split", None)
        for name, row in results.items():
            print(
                f"  {name:36} {row['shown']:>6} {row['bytes'] / 1000:>5.0f} {row['queries']:>8} "
                f"{row['p50']:>8.1f} {row['p99']:>8.1f} {row['cpu']:>11.1f}"
            )
        print(
            "  CPU = this thread's CPU time per request (the Python work, whatever the load); "
            "wall minus CPU is the database's time and waiting for a core."
        )
        if split:
            print(f"\n  CPU ms per request of the 7-day page by phase (cProfile: {args.profile}):")
            for phase, value in split.items():
                share = value / split["total"] * 100
                print(f"    {phase:30} {value:>6.1f}  {share:>3.0f}%")
        print(f"  load after: {_load()}")

    for pool in (int(value) for value in args.pools.split(",")) if "live" in parts else ():
        live = asyncio.run(measure_live(world, url, pool, args.rounds))
        setup = f"connection pool of {pool}" if pool else "a connection per request (no pool)"
        print(
            f"\nLive availability, server with {setup}: {live['clients']} websocket clients "
            f"connected in {live['connect_s']:.1f} s; then {args.rounds} bookings over HTTP, "
            "one at a time, each a new card for every socket. Milliseconds after the POST "
            "was sent:"
        )
        print(
            f"  {'round':>5} {'answer':>7} {'publish':>8} {'server sent: first':>19} "
            f"{'last':>6} {'clients saw: first':>19} {'p50':>6} {'p100':>6} {'seen':>6} "
            f"{'fan-out':>8} {'loop CPU':>9}"
        )
        fan_outs, cpus = [], []
        for number, row in enumerate(live["rounds"], start=1):
            delays, sends = row["delays"], row["server_sends"]
            fan_out = sends[-1] - row["published"] if sends and row["published"] else None
            if fan_out is not None and number > 1:
                fan_outs.append(fan_out)
                cpus.append(row["loop_cpu"])
            first_sent, last_sent = (sends[0], sends[-1]) if sends else (None, None)
            first_seen, last_seen = (delays[0], delays[-1]) if delays else (None, None)
            median_seen = statistics.median(delays) if delays else None
            print(
                f"  {number:>5} {row['answer']:>7.0f} {_ms(row['published'], ''):>8} "
                f"{_ms(first_sent, ''):>19} {_ms(last_sent, ''):>6} {_ms(first_seen, ''):>19} "
                f"{_ms(median_seen, ''):>6} {_ms(last_seen, ''):>6} {len(delays):>6} "
                f"{_ms(fan_out, ''):>8} {_ms(row['loop_cpu'], ''):>9}"
            )
        if fan_outs:
            print(
                f"  fan-out = from the booking's event handed to the channel layer (after its "
                f"commit) until the server handed the last socket its frame; rounds 2-"
                f"{args.rounds} (a warm process): median {statistics.median(fan_outs):.0f} ms, "
                f"worst {max(fan_outs):.0f} ms; loop CPU = the event loop thread's own CPU time "
                f"over that span (what the fan-out costs, whatever the machine's load): median "
                f"{statistics.median(cpus):.0f} ms"
            )


if __name__ == "__main__":
    main()
