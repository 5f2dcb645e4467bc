"""Benchmark the Stripe webhook endpoint (prints figures; not a test).

    uv run python bench/payments.py [--events 1000] [--replays 5] [--threads 16]

`reformer serve` (with its in-process job worker) runs on a free port of 127.0.0.1 against a
database `reformer_bench_payments` (re-created on every run) on DATABASE_URL's server, or the
embedded one of this checkout. One organization is connected to the fake Stripe (the app's
stripe client is pointed at it with STRIPE_API_BASE) and has --events pending checkout
payments. Every payment gets one signed `checkout.session.completed` event; each event is
posted 1 + --replays times, all shuffled together and sent by --threads concurrent HTTP
clients (keep-alive). Printed:

- requests per second and distinct events per second at the endpoint, latency p50 / p99;
- the raw ceiling of the same stack in the same run: the same number of POSTs to an unknown
  endpoint token (one indexed SELECT, then 404), so what remains is our verify-and-store;
- the time until the worker has applied every event;
- proof of exactly one effect each: events stored, payments paid, packages granted (one per
  payment), receipts queued, and `check_ledger` over the organization.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reformer.settings")

BENCH_DB = "reformer_bench_payments"
SECRET_KEY = "sk_test_benchPaymentsKey00000000"
WEBHOOK_SECRET = "whsec_benchPaymentsSecret0000"
SERVER_LOG = Path("/tmp") / f"reformer-bench-payments-{os.getpid()}.log"


def configure() -> str:
    """Re-create the benchmark database, point Django at it, migrate. Returns its URL."""
    import psycopg

    server = os.environ.get("DATABASE_URL")
    if server:
        head, _, tail = server.rpartition("/")
        query = tail.partition("?")[2]
        suffix = f"?{query}" if query else ""
        admin, url = f"{head}/postgres{suffix}", f"{head}/{BENCH_DB}{suffix}"
    else:  # the embedded server of this checkout (unix socket: the URL names the folder)
        from reformer import embedded_db

        pgdata = Path(os.environ.get("REFORMER_DATA_DIR", ROOT / "var")).resolve() / "postgres"
        admin = embedded_db.database_url(pgdata, "postgres")
        url = None
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    if url is None:
        url = embedded_db.database_url(pgdata, BENCH_DB)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


def seed(events: int, fake) -> tuple[str, list[dict]]:
    """One connected organization, `events` clients each with a pending checkout payment;
    returns the webhook path and one signed-to-be event per payment."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from reformer.accounts.models import Membership, User
    from reformer.billing.models import PackageProduct, Payment
    from reformer.payments import secrets as key_store
    from reformer.payments.models import StripeAccount
    from reformer.studios.models import Organization, Studio

    org = Organization.objects.create(name="Bench Pilates", slug="bench-pilates")
    studio = Studio.objects.create(organization=org, name="Bench Main", time_zone="UTC")
    product = PackageProduct.objects.create(
        organization=org,
        name="10-Class Package",
        kind="class_pack",
        credits=10,
        validity_days=90,
        price=Decimal("150.00"),
    )
    password = make_password(None)
    users = User.objects.bulk_create(
        User(email=f"client{i}@bench.example.com", name=f"Client {i}", password=password)
        for i in range(events)
    )
    members = Membership.objects.bulk_create(
        Membership(user=user, organization=org, role="client") for user in users
    )
    now = timezone.now()
    payments = Payment.objects.bulk_create(
        Payment(
            organization=org,
            studio=studio,
            client=member,
            product=product,
            amount=product.price,
            currency="USD",
            created_at=now,
        )
        for member in members
    )
    account = StripeAccount.objects.create(
        organization=org,
        secret_key_encrypted=key_store.encrypt(SECRET_KEY),
        webhook_secret_encrypted=key_store.encrypt(WEBHOOK_SECRET),
        secret_key_last4=SECRET_KEY[-4:],
        webhook_secret_last4=WEBHOOK_SECRET[-4:],
        mode="test",
    )
    fake.add_account(SECRET_KEY, webhook_secret=WEBHOOK_SECRET)
    event_list = []
    for payment in payments:
        session = fake.add_paid_session(
            SECRET_KEY, metadata={"reformer_payment": str(payment.pk)}, amount=15000
        )
        Payment.objects.filter(pk=payment.pk).update(provider_id=session["id"])
        event_list.append(
            {
                "id": f"evt_bench_{payment.pk}_{secrets.token_hex(4)}",
                "object": "event",
                "type": "checkout.session.completed",
                "created": int(time.time()),
                "livemode": False,
                "data": {"object": session},
            }
        )
    return f"/webhooks/stripe/{account.webhook_token}/", event_list


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(url: str, port: int, fake_url: str) -> subprocess.Popen:
    from django.conf import settings

    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": settings.SECRET_KEY,  # the keys were encrypted under it
        "STRIPE_API_BASE": fake_url,
        "LOG_LEVEL": "WARNING",
    }
    command = [str(Path(sys.executable).parent / "reformer"), "serve", "--port", str(port)]
    # The server's log (the ceiling's 404s each log a line) goes to a file, shown on failure.
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=SERVER_LOG.open("w")
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"reformer serve exited during start: see {SERVER_LOG}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.1)  # waiting for the port to open (a condition, polled)
    server.terminate()
    raise SystemExit("reformer serve did not start")


def post_all(port: int, path_for, bodies: list[tuple[str, str]], threads: int):
    """POST every (path, payload) once, signed, from `threads` keep-alive clients."""
    from reformer.integrations.stripe.signing import sign

    work: queue.Queue = queue.Queue()
    for item in bodies:
        work.put(item)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, codes = [], {}
        while True:
            try:
                path, payload = work.get_nowait()
            except queue.Empty:
                break
            headers = {
                "Content-Type": "application/json",
                "Stripe-Signature": sign(payload, WEBHOOK_SECRET),
            }
            started = time.perf_counter()
            conn.request("POST", path_for(path), body=payload, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            codes[response.status] = codes.get(response.status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for code, count in codes.items():
                statuses[code] = statuses.get(code, 0) + count

    started = time.perf_counter()
    pool = [threading.Thread(target=client) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return time.perf_counter() - started, latencies, statuses


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--replays", type=int, default=5)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()

    from reformer.integrations.stripe.fake import FakeStripe

    fake = FakeStripe().start()
    url = configure()
    webhook_path, event_list = seed(args.events, fake)
    bodies = [(webhook_path, json.dumps(e)) for e in event_list for _ in range(1 + args.replays)]
    random.Random(7).shuffle(bodies)
    port = free_port()
    server = start_server(url, port, fake.base_url)
    try:
        from django.db import connection

        connection.close()  # the server's worker and requests need the connections
        # Warm up (imports, connection pool) with a few requests to the unknown endpoint.
        post_all(port, lambda p: "/webhooks/stripe/unknown/", bodies[:50], args.threads)
        ceiling_time, ceiling_lat, ceiling_codes = post_all(
            port, lambda p: "/webhooks/stripe/unknown/", bodies, args.threads
        )
        elapsed, latencies, statuses = post_all(port, lambda p: p, bodies, args.threads)
        applied_at = wait_until_applied(args.events, started=time.perf_counter())
        report(
            args,
            bodies,
            elapsed,
            latencies,
            statuses,
            ceiling_time,
            ceiling_lat,
            ceiling_codes,
            applied_at,
            elapsed,
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        fake.stop()


def wait_until_applied(events: int, *, started: float, timeout: float = 600) -> float:
    """Seconds after the last POST until the worker has applied every stored event."""
    from reformer.billing.models import WebhookEvent

    deadline = started + timeout
    while time.perf_counter() < deadline:
        if not WebhookEvent.objects.filter(processed_at__isnull=True).exists():
            return time.perf_counter() - started
        time.sleep(0.2)  # polling a condition, not pacing the work
    raise SystemExit(f"the worker did not apply every event in time: see {SERVER_LOG}")


def report(
    args,
    bodies,
    elapsed,
    latencies,
    statuses,
    ceiling_time,
    ceiling_lat,
    ceiling_codes,
    applied_after,
    post_time,
) -> None:
    from django.db.models import Count

    from reformer.billing.models import ClientPackage, Payment, WebhookEvent
    from reformer.bookings.integrity import check_integrity
    from reformer.notifications.models import Message

    n = len(bodies)
    print(
        f"Stripe webhooks: {args.events} events x {1 + args.replays} deliveries = {n} POSTs, "
        f"{args.threads} concurrent clients, reformer serve on 127.0.0.1"
    )
    print(
        f"  endpoint:      {n / elapsed:8.0f} requests/s, {args.events / elapsed:6.0f} distinct "
        f"events/s; p50 {statistics.median(latencies) * 1000:.1f} ms, "
        f"p99 {percentile(latencies, 99) * 1000:.1f} ms; statuses {statuses}"
    )
    print(
        f"  raw ceiling:   {n / ceiling_time:8.0f} requests/s (unknown endpoint, 404); "
        f"p50 {statistics.median(ceiling_lat) * 1000:.1f} ms, "
        f"p99 {percentile(ceiling_lat, 99) * 1000:.1f} ms; statuses {ceiling_codes}"
    )
    print(
        f"  all events applied by the worker {applied_after:.1f} s after the last POST "
        f"({args.events / (post_time + applied_after):.0f} events/s end to end)"
    )
    stored = WebhookEvent.objects.count()
    paid = Payment.objects.filter(status="succeeded").count()
    packages = ClientPackage.objects.count()
    most = (
        Payment.objects.values("client_id").annotate(n=Count("client__packages")).order_by("-n")
    ).first()
    receipts = Message.objects.filter(kind="payment_receipt").count()
    report_ = check_integrity()
    one_each = stored == paid == packages == receipts == args.events and most["n"] == 1
    print(
        f"  effects: {stored} events stored, {paid} payments paid, {packages} packages, "
        f"{receipts} receipts; most packages for one client: {most['n']}"
    )
    print(f"  check_ledger: {report_.summary()}")
    print(f"  exactly one effect per event: {'YES' if one_each and report_.ok else 'NO'}")


if __name__ == "__main__":
    main()
