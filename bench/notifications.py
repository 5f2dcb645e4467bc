"""Benchmark the whole reminder path: 10,000 reminders falling due at once.

    uv run python bench/notifications.py [--reminders 10000] [--workers 1,2] [--concurrency 8]

Path measured: when the workers are up and polling, the periodic job is deferred as the
minute would (`notifications.queue_due_reminders`); a worker runs it: it finds the due
bookings, builds each reminder, writes the outbox rows and their batch jobs; worker processes
(`tests/fakes/run_worker.py`, the real procrastinate worker) claim, render and send each batch
through the real anymail Resend backend to a local fake of Resend's API, which answers like
Resend and then posts a Svix-signed `email.delivered` webhook to the app (uvicorn serving
reformer.asgi), whose anymail view verifies it and marks the message delivered.

Printed per worker count: messages per second end to end (due -> accepted by the provider),
p50/p99 from due time to provider accept, when the last delivery webhook was applied, and
the CPU seconds each part used (workers, app, fake provider, PostgreSQL): on a shared machine
the wall-clock figures follow the load, the CPU figures much less. The same-run ceiling: how
fast the fake provider alone takes requests (8 threads). BENCH_PROFILE_DIR=/some/dir records
the workers and the app with py-spy (`uv tool install py-spy`).

It creates (or reuses) a database `reformer_bench_notify` on DATABASE_URL's server (or the
embedded one) and seeds its own data (bookings written in bulk, not through book_session).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reformer.settings")

BENCH_DB = "reformer_bench_notify"
ROOMS = 200


def configure() -> str:
    """Point Django at the benchmark database (created if missing); return its URL."""
    import django
    from django.conf import settings

    django.setup()
    database = settings.DATABASES["default"]
    database["NAME"] = BENCH_DB
    _create_database()
    import logging
    from urllib.parse import urlparse, urlunparse

    logging.getLogger("reformer").setLevel(logging.ERROR)
    return urlunparse(urlparse(settings.DATABASE_URL)._replace(path=f"/{BENCH_DB}"))


def _create_database() -> None:
    import psycopg
    from django.db import connections

    params = connections["default"].get_connection_params()
    params = {k: v for k, v in params.items() if k not in ("cursor_factory", "context", "pool")}
    params["dbname"] = "postgres"
    with psycopg.connect(**params, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def seed(reminders: int) -> dt.datetime:
    """`reminders` clients, each booked (two days ago) into one of 200 classes that all start
    24 h from now: their 24-hour email reminders all fall due now. Returns the class start."""
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from reformer.accounts.models import Membership, User
    from reformer.bookings.models import Booking
    from reformer.notifications.models import StudioMessaging
    from reformer.scheduling.models import ClassSession, ClassType
    from reformer.studios.models import Organization, Room, Studio, StudioPolicy

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE accounts_user, studios_organization, core_auditevent, core_adminalert, "
            "notifications_providercircuit, notifications_earlyproviderevent, "
            "procrastinate_jobs, procrastinate_events, procrastinate_periodic_defers CASCADE"
        )
    now = timezone.now()
    start = (now + dt.timedelta(hours=24, seconds=1)).replace(microsecond=0)
    org = Organization.objects.create(name="Bench Pilates", slug="bench", time_zone="Europe/London")
    studio = Studio.objects.create(
        organization=org,
        name="Bench Studio",
        address="1 Bench Road, London",
        time_zone="Europe/London",
    )
    StudioPolicy.objects.create(organization=org, studio=studio)
    StudioMessaging.objects.create(
        organization=org, studio=studio, reminder_plan=[{"hours": 24, "channel": "email"}]
    )
    # One class type per room: a studio has one class of a type at a given time.
    class_types = ClassType.objects.bulk_create(
        ClassType(organization=org, name=f"Reformer Flow {i}") for i in range(ROOMS)
    )
    per_class = -(-reminders // ROOMS)
    rooms = Room.objects.bulk_create(
        Room(organization=org, studio=studio, name=f"Room {i}", capacity=per_class)
        for i in range(ROOMS)
    )
    sessions = ClassSession.objects.bulk_create(
        ClassSession(
            organization=org,
            studio=studio,
            room=room,
            class_type=class_type,
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=50),
            capacity=per_class,
        )
        for room, class_type in zip(rooms, class_types, strict=True)
    )
    users = User.objects.bulk_create(
        User(email=f"client{i}@bench.example.com", name=f"Client {i}", password="!")
        for i in range(reminders)
    )
    members = Membership.objects.bulk_create(
        Membership(user=user, organization=org, role="client") for user in users
    )
    Booking.objects.bulk_create(
        Booking(
            organization=org,
            session=sessions[i % ROOMS],
            client=member,
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=50),
            reference=f"B{i:09d}",
        )
        for i, member in enumerate(members)
    )
    Booking.objects.update(created_at=now - dt.timedelta(days=2))
    ClassSession.objects.filter(organization=org).update(booked_count=per_class)
    return start


def reset_outbox() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE notifications_message, notifications_messageevent, "
            "notifications_earlyproviderevent, notifications_providercircuit, "
            "procrastinate_jobs, procrastinate_events CASCADE"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.1)


def provider_env(database_url: str, fake, site_url: str) -> dict:
    from tests.fakes.providers import RESEND_SECRET

    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "EMAIL_PROVIDER": "resend",
        "RESEND_API_KEY": "re_test_key",
        "RESEND_API_URL": fake.url,
        "RESEND_SIGNING_SECRET": RESEND_SECRET,
        "SITE_URL": site_url,
        "LOG_LEVEL": "ERROR",
    }


def start_app(env: dict, port: int, log: Path) -> subprocess.Popen:
    app_env = {**env, "DATABASE_POOL_SIZE": "8", "REFORMER_IN_PROCESS_WORKER": "0"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "reformer.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "off",
            "--log-level",
            "warning",
        ],
        env=app_env,
        cwd=ROOT,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
    )
    import urllib.request

    def up() -> bool:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
            return True
        except Exception:
            return process.poll() is not None

    wait_for(up, 60, "the app server")
    return process


def ceiling(fake, requests_count: int, threads: int = 8) -> float:
    """Requests per second the fake provider takes on its own (keep-alive, 8 threads)."""
    import json

    import requests

    fake.send_webhooks = False
    counter = iter(range(requests_count))
    lock = threading.Lock()

    def post() -> None:
        session = requests.Session()
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            session.post(
                f"{fake.url}/emails",
                data=json.dumps(
                    {"to": [f"c{i}@x.example"], "from": "a@b.example", "subject": "s", "text": "t"}
                ),
                headers={"Authorization": "Bearer re_test_key", "Content-Type": "application/json"},
            )

    began = time.perf_counter()
    workers = [threading.Thread(target=post) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    fake.accepted.clear()
    fake.send_webhooks = True
    return requests_count / elapsed


def _profile(pid: int, name: str) -> subprocess.Popen | None:
    """`py-spy record` on a process when BENCH_PROFILE_DIR is set (a developer's tool:
    `uv tool install py-spy`; not a dependency). Samples only the thread holding the GIL,
    so each stack's share is its share of the process's Python CPU. Raw collapsed stacks."""
    folder = os.environ.get("BENCH_PROFILE_DIR")
    if not folder:
        return None
    output = f"{folder}/{name}.txt"
    command = ["py-spy", "record", "--pid", str(pid), "--gil", "--nonblocking", "-f", "raw"]
    return subprocess.Popen(
        [*command, "-o", output],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def run(workers: int, concurrency: int, reminders: int, env: dict, fake, app, log: Path) -> dict:
    from django.db import connection

    from reformer.notifications.jobs import queue_due_reminders
    from reformer.notifications.models import Message

    reset_outbox()
    fake.accepted.clear()
    fake.webhooks_sent = 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM procrastinate_workers")
        last_worker = cursor.fetchone()[0]
    processes = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "tests/fakes/run_worker.py"), str(concurrency)],
            env=env,
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
        )
        for _ in range(workers)
    ]
    profilers = [_profile(p.pid, f"worker{i + 1}-of-{workers}") for i, p in enumerate(processes)]
    try:
        # Started, connected and polling (a busy machine takes a while to import Django).
        wait_for(lambda: _registered_workers(last_worker) >= workers, 300, "the workers")
        cpu = CpuMeter(processes, app)
        due = time.time()
        # What the periodic job does when the minute comes: one job, run by a worker, finds
        # the due bookings and queues their reminders (each chunk of 500 commits, and can be
        # sent, at once).
        queue_due_reminders.defer(timestamp=int(due))
        wait_for(lambda: len(fake.accepted) >= reminders, 900, "every reminder accepted")
        accepted_at = time.time()
        used_out = cpu.used()
        wait_for(
            lambda: Message.objects.filter(status="delivered").count() >= reminders,
            900,
            "every delivery webhook applied",
        )
        delivered_at = time.time()
        used = cpu.used()
    finally:
        for profiler in profilers:
            if profiler is not None:
                profiler.send_signal(signal.SIGINT)
                profiler.wait(60)
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)
    queued = Message.objects.count()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT max(e.at) FROM procrastinate_events e "
            "JOIN procrastinate_jobs j ON j.id = e.job_id "
            "WHERE j.task_name = 'notifications.queue_due_reminders' AND e.type = 'succeeded'"
        )
        last_queued = cursor.fetchone()[0]
    latencies = sorted(a.at - due for a in fake.accepted)
    last = latencies[-1]
    return {
        "workers": workers,
        "queued": queued,
        "queue_seconds": last_queued.timestamp() - due,
        "per_second": queued / last,
        "p50": statistics.median(latencies),
        "p99": latencies[int(len(latencies) * 0.99) - 1],
        "all_accepted": accepted_at - due,
        "all_delivered": delivered_at - due,
        "duplicates": len(fake.accepted) - len({a.key for a in fake.accepted}),
        "cpu_out": used_out,
        "cpu": used,
    }


def _registered_workers(after_id: int) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM procrastinate_workers WHERE id > %s", [after_id])
        return cursor.fetchone()[0]


class CpuMeter:
    """CPU seconds each part used from now on: the workers, the app (webhooks), this process
    (the fake provider and its webhook senders) and the embedded PostgreSQL server."""

    def __init__(self, workers: list[subprocess.Popen], app: subprocess.Popen) -> None:
        import psutil

        self.workers = [psutil.Process(p.pid) for p in workers]
        self.app = psutil.Process(app.pid)
        self.me = psutil.Process()
        self.postgres = _postmaster()
        self.start = self._now()

    @staticmethod
    def _own(process) -> float:
        times = process.cpu_times()
        return times.user + times.system

    def _server(self) -> float:
        if self.postgres is None:
            return float("nan")
        times = self.postgres.cpu_times()
        total = times.user + times.system + times.children_user + times.children_system
        for child in self.postgres.children():
            with contextlib.suppress(Exception):
                total += self._own(child)
        return total

    def _now(self) -> dict:
        return {
            "workers": sum(self._own(w) for w in self.workers),
            "app": self._own(self.app),
            "fake": self._own(self.me),
            "postgres": self._server(),
        }

    def used(self) -> dict:
        end = self._now()
        return {part: end[part] - self.start[part] for part in end}


def _postmaster():
    """The embedded PostgreSQL server's main process, or None (a server elsewhere)."""
    import psutil
    from django.conf import settings

    if not getattr(settings, "EMBEDDED_DATABASE", False):
        return None
    pid_file = settings.DATA_DIR / "postgres" / "postmaster.pid"
    with contextlib.suppress(Exception):
        return psutil.Process(int(pid_file.read_text().splitlines()[0]))
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--concurrency", type=int, default=8, help="jobs at once per worker")
    args = parser.parse_args()

    database_url = configure()
    print(f"Seeding {args.reminders} bookings in 200 classes ...", flush=True)
    seed(args.reminders)
    log = Path("/tmp/reformer-bench-notifications.log")
    log.write_text("")
    header = (
        f"{'workers':>7} {'queue':>8} {'msgs/s':>8} {'p50 s':>7} {'p99 s':>7} "
        f"{'accepted':>9} {'delivered':>10} {'dupes':>6} {'webhook errors':>15}"
    )
    cpu_lines = []
    for index, workers in enumerate(int(w) for w in args.workers.split(",")):
        # A fresh fake provider and app server for each run.
        with provider_and_app(database_url, log) as (fake, env, app):
            if index == 0:
                raw = ceiling(fake, min(args.reminders, 5000))
                print(f"Ceiling: the fake provider alone takes {raw:,.0f} requests/s (8 threads)\n")
                print(header, flush=True)
            r = run(workers, args.concurrency, args.reminders, env, fake, app, log)
            print(
                f"{r['workers']:>7} {r['queue_seconds']:>7.1f}s {r['per_second']:>8.0f} "
                f"{r['p50']:>7.1f} {r['p99']:>7.1f} {r['all_accepted']:>8.1f}s "
                f"{r['all_delivered']:>9.1f}s {r['duplicates']:>6} {fake.webhook_failures:>15}",
                flush=True,
            )
            cpu_lines.append(
                f"{r['workers']:>7}   "
                + "   ".join(
                    f"{part} {r['cpu_out'][part]:.1f}/{r['cpu'][part]:.1f}"
                    for part in ("workers", "app", "fake", "postgres")
                )
                + f"   (load {os.getloadavg()[0]:.1f})"
            )
    print(
        f"\n{args.concurrency} jobs at once per worker process; times from the moment the "
        "reminders fell due; 'queue' = the periodic job finding, building and queueing them; "
        "'delivered' = the provider's signed delivery webhooks all applied by the app "
        "(one uvicorn process)."
    )
    print(
        "\nCPU seconds used until every reminder was accepted / until every webhook was "
        "applied (fake = the fake provider and its webhook senders, in this process):"
    )
    print("\n".join(cpu_lines))
    print(f"Machine load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.")


@contextlib.contextmanager
def provider_and_app(database_url: str, log: Path):
    from tests.fakes.providers import FakeProviders

    port = free_port()
    site_url = f"http://127.0.0.1:{port}"
    fake = FakeProviders(webhook_base_url=site_url, send_webhooks=True).start(webhook_senders=8)
    env = provider_env(database_url, fake, site_url)
    app = start_app(env, port, log)
    profiler = _profile(app.pid, f"app-{port}")
    try:
        yield fake, env, app
    finally:
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(60)
        app.terminate()
        app.wait(30)
        fake.stop()


if __name__ == "__main__":
    main()
