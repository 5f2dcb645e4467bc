"""The 7 a.m. rush over real HTTP and websockets (prints figures; not a test).

    uv run python bench/rush.py [--viewers 300] [--bookers 300] [--classes 10] [--places 20]
                                [--processes 1,2]

`--viewers` signed-in clients keep the schedule open (a websocket each, subscribed like the
browse page; bare sans-I/O clients, live_clients.py, so the benchmark's own process is not
what delays them); then `--bookers` clients each book one of `--classes` classes of `--places`
places that all open at the same moment, concurrently over HTTP (the booking dialog, then the
POST, as the browser sends them). Runs once per value of `--processes`: `reformer serve
--workers N --no-worker` against Redis (REDIS_URL, default redis://127.0.0.1:6379/0).
The issue's full rush is `--viewers 1000 --bookers 500 --classes 25`; the default is kept
short for a shared machine.

Prints, per run: the booking answers (p50, p99, and what they were: booked, 409 full, 503
busy), how long after a class's last booking was answered every viewer showed it full (p50,
p99 over viewers x classes), database transactions per booking (everything the server did,
fan-out included: pg_stat_database), and oversold places (must be 0); then where the time
went (rush_probe.py): CPU seconds of the web processes, this benchmark's clients and bookers,
PostgreSQL and everyone else on the machine, each web process's event loop lag, and the
server's log (a 503's cause: its traceback). Seeds its own database
`reformer_bench_rush` on DATABASE_URL's server (default: this checkout's embedded server).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browse
from live_clients import LeanClients
from rush_probe import CpuMeter, loop_lag, postmaster_of, server_log

from reformer.web.loop_lag import LOOP_LAG_ENV

ROOT = browse.ROOT
TZ = browse.TZ
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CARD = re.compile(r'id="session-(\d+)"[^>]*data-state="(\w+)"')


def seed(viewers: int, bookers: int, classes: int, places: int) -> dict:
    """Classes of `places` places starting tomorrow 07:00 (one room and type each), viewers,
    and bookers with a 10-credit package each."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from reformer.accounts.models import Membership, User
    from reformer.billing.models import ClientPackage, PackageProduct
    from reformer.core.timezones import local_to_utc, local_today
    from reformer.scheduling.models import ClassSession, ClassType
    from reformer.studios.models import Organization, Room, Studio, StudioPolicy

    org = Organization.objects.create(name="Rush Pilates", slug="rush", time_zone=TZ)
    studio = Studio.objects.create(organization=org, name="Rush Main", time_zone=TZ)
    StudioPolicy.objects.create(organization=org, studio=studio, booking_window_days=30)
    start = local_to_utc(local_today(TZ) + dt.timedelta(days=1), dt.time(7), TZ)
    sessions = []
    for n in range(classes):
        room = Room.objects.create(organization=org, studio=studio, name=f"Room {n}", capacity=99)
        kind = ClassType.objects.create(organization=org, name=f"Reformer {n}")
        sessions.append(
            ClassSession.objects.create(
                organization=org,
                studio=studio,
                room=room,
                class_type=kind,
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=50),
                capacity=places,
            )
        )
    password = make_password(None)
    people = User.objects.bulk_create(
        User(email=f"rush{i}@bench.test", name=f"Rush {i}", password=password)
        for i in range(viewers + bookers)
    )
    members = Membership.objects.bulk_create(
        Membership(user=user, organization=org, role="client") for user in people
    )
    product = PackageProduct.objects.create(
        organization=org, name="Ten", kind="class_pack", credits=10, price=Decimal("200")
    )
    now = timezone.now()
    ClientPackage.objects.bulk_create(
        ClientPackage(
            organization=org,
            client=member,
            product=product,
            credits_total=10,
            credits_remaining=10,
            starts_at=now - dt.timedelta(days=1),
            expires_at=now + dt.timedelta(days=60),
            source="purchase",
        )
        for member in members[viewers:]
    )
    return {
        "studio": studio.pk,
        "sessions": [s.pk for s in sessions],
        "viewers": [browse._session_key(m.user) for m in members[:viewers]],
        "bookers": [browse._session_key(m.user) for m in members[viewers:]],
    }


def _transactions(url: str) -> int:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database "
            "WHERE datname = current_database()"
        ).fetchone()
        conn.execute("SELECT pg_stat_clear_snapshot()")
        return int(row[0])


def _book(base: str, key: str, session_id: int) -> tuple[float, str]:
    """(seconds from the POST until its answer, what the answer was: "booked", or the HTTP
    status of a refusal: 409 full, 503 busy...). A refusal is an answer too."""
    started = time.perf_counter()
    try:
        sent, answered = browse._book_over_http(base, key, session_id)
        return answered - sent, "booked"
    except urllib.error.HTTPError as error:
        return time.perf_counter() - started, str(error.code)
    except (AssertionError, OSError) as error:
        return time.perf_counter() - started, type(error).__name__


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(len(ordered) * share) - 1))]


async def rush(world: dict, url: str, processes: int, probe: dict) -> dict:
    port = browse._free_port()
    base = f"http://127.0.0.1:{port}"
    lag_prefix = f"{tempfile.gettempdir()}/rush-loop-lag-{port}"
    log = Path(tempfile.gettempdir()) / f"rush-server-{port}.log"
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": REDIS_URL, "LOG_LEVEL": "WARNING"}
    env["REDIS_PREFIX"] = f"reformer-rush-{os.getpid()}"  # never another run's live events
    env[LOOP_LAG_ENV] = lag_prefix
    command = [sys.executable, "-c", "from reformer.cli import main; main()", "serve"]
    command += ["--port", str(port), "--no-worker", "--workers", str(processes)]
    with log.open("w") as output:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
    meter = CpuMeter(server.pid, postmaster_of(url))
    try:
        while True:
            try:
                with browse.socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError("reformer serve exited") from None
                await asyncio.sleep(0.2)
        ws_url = f"ws://127.0.0.1:{port}/ws/live/?user=me&studio={world['studio']}"
        full_at: dict[tuple[int, int], float] = {}

        def on_text(index: int, text: str) -> None:
            for session_id, state in CARD.findall(text):
                if state == "full":
                    full_at.setdefault((index, int(session_id)), time.perf_counter())

        clients = LeanClients(on_text)
        await clients.connect(ws_url, base, [f"sessionid={key}" for key in world["viewers"]])
        await asyncio.sleep(1)  # every consumer has joined its groups
        before = _transactions(url)
        meter.start()
        rush_started = time.monotonic()
        sessions = world["sessions"]
        last_answer: dict[int, float] = {}
        answers: list[float] = []

        outcomes: Counter[str] = Counter()

        def one(n: int) -> None:
            session_id = sessions[n % len(sessions)]
            took, outcome = _book(base, world["bookers"][n], session_id)
            outcomes[outcome] += 1
            answers.append(took)
            if outcome == "booked":
                last_answer[session_id] = max(last_answer.get(session_id, 0), time.perf_counter())

        with ThreadPoolExecutor(max_workers=16) as pool:
            await asyncio.gather(
                *(
                    asyncio.get_running_loop().run_in_executor(pool, one, n)
                    for n in range(len(world["bookers"]))
                )
            )
        spent = _transactions(url) - before
        deadline = time.perf_counter() + 10
        wanted = len(clients.sockets) * len(last_answer)
        while len(full_at) < wanted and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        cpu = meter.stop()
        rush_ended = time.monotonic()
        clients.close()
        delays = [
            max(0.0, moment - last_answer[session_id])
            for (_, session_id), moment in full_at.items()
            if session_id in last_answer
        ]
        return {
            "booked": outcomes["booked"],
            "outcomes": outcomes,
            "answers": answers,
            "delays": delays,
            "shown": len(full_at),
            "wanted": wanted,
            "transactions_per_booking": spent / max(1, outcomes["booked"]),
            "cpu": cpu,
            "postgres_found": meter.postmaster is not None,
            "span": rush_ended - rush_started,
            "window": (rush_started, rush_ended),
        }
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:  # still draining connections: enough for a bench
            server.kill()
            server.wait(timeout=10)
        probe["log"] = server_log(log)
        probe["log_path"] = log
        probe["lag_prefix"] = lag_prefix


def oversold(session_ids: list[int]) -> int:
    from django.db.models import Count, Q

    from reformer.bookings.models import Booking
    from reformer.scheduling.models import ClassSession

    rows = ClassSession.objects.filter(pk__in=session_ids).annotate(
        held=Count("bookings", filter=Q(bookings__status__in=Booking.HOLDING))
    )
    return sum(max(0, row.held - row.capacity) for row in rows)


def reset(session_ids: list[int]) -> None:
    """Cancel every booking so the next run starts from empty classes."""
    from reformer.bookings.actions import cancel_booking
    from reformer.bookings.models import Booking

    for booking in Booking.objects.filter(session_id__in=session_ids, status="confirmed"):
        cancel_booking(booking.client, booking)


def _print_probe(result: dict, probe: dict) -> None:
    cpu, span, booked = result["cpu"], result["span"], max(1, result["booked"])
    ours = cpu["web"] + cpu["clients"] + cpu["bookers"] + cpu["postgres"]
    print(
        f"  CPU seconds over the {span:.1f} s from the first booking to the last viewer "
        f"current (2 cores = {2 * span:.1f} s): "
        + ", ".join(f"{name} {seconds:.1f}" for name, seconds in cpu.items())
        + f"; web per booking {cpu['web'] / booked * 1000:.0f} ms, PostgreSQL per booking "
        + (
            f"{cpu['postgres'] / booked * 1000:.0f} ms"
            if result["postgres_found"]
            else "not measured (its processes are not on this machine)"
        )
        + f"; others on the machine {max(0.0, cpu['machine'] - ours):.1f}"
    )
    lags = loop_lag(probe["lag_prefix"], *result["window"])
    if lags:
        print(
            "  event loop lag per web process (p99 / max): "
            + ", ".join(f"{p99 * 1000:.0f} / {worst * 1000:.0f} ms" for p99, worst in lags.values())
        )
    if probe["log"]:
        print(f"  server log ({probe['log_path']}), most frequent lines:")
        for line, count in probe["log"].most_common(6):
            print(f"    {count:>5} x {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", type=int, default=300)
    parser.add_argument("--bookers", type=int, default=300)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--places", type=int, default=20)
    parser.add_argument("--processes", default="1,2")
    args = parser.parse_args()
    browse.BENCH_DB = "reformer_bench_rush"
    url = browse.configure()
    started = time.perf_counter()
    world = seed(args.viewers, args.bookers, args.classes, args.places)
    print(
        f"Seeded {args.classes} classes of {args.places} places, {args.viewers} viewers and "
        f"{args.bookers} bookers in {time.perf_counter() - started:.1f} s.\n"
    )
    for processes in (int(value) for value in args.processes.split(",")):
        probe: dict = {}
        result = asyncio.run(rush(world, url, processes, probe))
        answers, delays = result["answers"], result["delays"]
        print(f"{processes} web process{'es' if processes > 1 else ''}:")
        print(
            f"  bookings: {result['booked']} of {len(world['bookers'])} got a place; every answer "
            f"p50 {statistics.median(answers) * 1000:.0f} ms, "
            f"p99 {_percentile(answers, 0.99) * 1000:.0f} ms (answers: "
            + ", ".join(f"{name} {count}" for name, count in result["outcomes"].most_common())
            + ")"
        )
        if delays:
            print(
                f"  viewers showing each class full after its last booking was answered: "
                f"{result['shown']}/{result['wanted']}; p50 {statistics.median(delays) * 1000:.0f}"
                f" ms, p99 {_percentile(delays, 0.99) * 1000:.0f} ms"
            )
        print(
            f"  database transactions per booking (all server work, fan-out included): "
            f"{result['transactions_per_booking']:.1f}"
        )
        print(f"  oversold places: {oversold(world['sessions'])}")
        _print_probe(result, probe)
        print()
        reset(world["sessions"])


if __name__ == "__main__":
    main()
