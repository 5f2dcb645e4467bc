"""The installed app (PHX-26): push fan-out, and the client schedule over a slow network.

    uv run python bench/pwa.py [--devices 1000] [--threads 2] [--load]

Fan-out: one class-cancelled event to 1,000 subscribed devices through the outbox, against
the local fake push service.

Measured: queueing (the 1,000 cancellation emails plus one push message per device, in
the outbox's one INSERT) and sending the push messages the way `send_batch` jobs do
(`batch.deliver_batch`, 50 a batch, `--threads` batches at once in this process, not the
procrastinate worker): render the payload, encrypt it for the device (aes128gcm), sign the
VAPID token, POST to the fake, record. Every delivery's VAPID signature is checked and a
sample decrypted afterwards. Uses the database of bench/notifications.py
(`reformer_bench_notify`), whose tables it empties first. Prints figures; not a test.

--load: this week's schedule (`/classes/?when=week`, 35 classes) for a signed-in client,
served by uvicorn in this process, loaded by Chromium over an emulated slow 4G link
(DevTools: 150 ms latency, 1.6 Mbit/s down, 750 kbit/s up): first and repeat load without
the service worker (HTTP cache only), then with it (first load registers and precaches;
repeat loads come through it). Time: navigation start to the load event.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.notifications import configure


def seed(devices: int, fake):
    from django.core.management import call_command
    from django.db import connection

    from reformer.accounts.models import User
    from reformer.notifications.models import PushSubscription
    from reformer.studios.models import Organization

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE accounts_user, studios_organization, core_auditevent, core_adminalert, "
            "notifications_message, notifications_messageevent, notifications_pushsubscription, "
            "procrastinate_jobs, procrastinate_events RESTART IDENTITY CASCADE"
        )
    organization = Organization.objects.create(name="Bench Studio", slug="bench-studio")
    users = User.objects.bulk_create(
        User(email=f"client{i}@bench.test", name=f"Client {i}", password="!")
        for i in range(devices)
    )
    subscribers = [fake.subscriber() for _ in users]
    PushSubscription.objects.bulk_create(
        PushSubscription(
            user=user,
            endpoint=device.endpoint,
            p256dh=device.p256dh,
            auth=device.auth,
            device="Chrome on Android",
        )
        for user, device in zip(users, subscribers, strict=True)
    )
    return organization, users


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--load", action="store_true", help="the schedule load instead")
    args = parser.parse_args()
    configure()
    from django.conf import settings
    from django.db import connection, transaction

    from reformer.integrations.webpush.fake import FakePushService
    from reformer.notifications import batch
    from reformer.notifications.actions import OutgoingMessage, queue_many
    from reformer.notifications.models import Message

    settings.PUSH_ALLOW_HTTP_ENDPOINTS = True
    settings.PUSH_ALLOW_PRIVATE_HOSTS = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    fake = FakePushService().start()
    organization, users = seed(args.devices, fake)
    context = {
        "class_name": "Reformer Flow",
        "when": "Mon 7 Dec 2026, 18:00 EST",
        "studio_name": "Bench Studio",
        "reason": "Instructor ill",
    }

    started = time.perf_counter()
    with transaction.atomic():
        queue_many(
            [
                OutgoingMessage(
                    recipient=user,
                    kind="session_cancelled",
                    idempotency_key=f"session-cancelled:1:booking:{user.pk}",
                    organization_id=organization.pk,
                    subject="Class cancelled: Reformer Flow, Mon 7 Dec",
                    context=context,
                )
                for user in users
            ]
        )
    queued_s = time.perf_counter() - started
    pushes = list(
        Message.objects.filter(channel="push", status="queued").values_list("pk", flat=True)
    )
    print(f"queued {len(pushes)} push + {len(users)} email messages in {queued_s * 1000:.0f} ms")

    chunks = [pushes[i : i + batch.BATCH_SIZE] for i in range(0, len(pushes), batch.BATCH_SIZE)]
    timings: list[float] = []

    def send(chunk: list[int]) -> None:
        try:
            begun = time.perf_counter()
            batch.deliver_batch(chunk)
            timings.append(time.perf_counter() - begun)
        finally:
            connection.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(args.threads) as pool:
        list(pool.map(send, chunks))
    sent_s = time.perf_counter() - started
    sent = Message.objects.filter(channel="push", status="sent").count()
    print(
        f"sent {sent}/{len(pushes)} through the fake in {sent_s:.2f} s "
        f"({sent / sent_s:.0f}/s, {args.threads} threads); batch of {batch.BATCH_SIZE}: "
        f"p50 {statistics.median(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms"
    )
    for delivery in fake.deliveries:
        fake.vapid_claims(delivery)  # raises on a bad signature
    sample = fake.decrypt(fake.deliveries[0]).decode()
    print(f"{len(fake.deliveries)} deliveries, every VAPID signature valid; sample: {sample}")
    fake.stop()


def load_bench(runs: int = 5) -> None:
    import datetime as dt
    import socket
    import tempfile
    import threading
    from importlib import import_module

    import uvicorn
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
    from tests.conftest import build_tenant
    from tests.factories import make_session

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE accounts_user, studios_organization, core_auditevent, core_adminalert, "
            "procrastinate_jobs, procrastinate_events RESTART IDENTITY CASCADE"
        )
    tenant = build_tenant("loadbench")
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=2)
    for day in range(7):
        for hour in range(5):
            make_session(tenant, starts_at=start + dt.timedelta(days=day, hours=hour * 2))
    user = tenant.client.user
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    connection.close()

    from reformer.asgi import application

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=port, lifespan="off", log_level="error")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    url = f"{base}/classes/?when=week"
    slow = {
        "offline": False,
        "latency": 150,
        "downloadThroughput": 1_600_000 / 8,
        "uploadThroughput": 750_000 / 8,
    }

    def measure(page) -> float:
        page.goto(url, wait_until="load")
        return page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")

    # Warm the server (templates, first queries) so neither run pays for it.
    import urllib.request

    warm = urllib.request.Request(
        url, headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={store.session_key}"}
    )
    for _ in range(3):
        urllib.request.urlopen(warm).read()

    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        for label, workers in (
            ("without service worker", "block"),
            ("with service worker", "allow"),
        ):
            context = playwright.chromium.launch_persistent_context(
                f"{profile}/{workers}",
                executable_path=CHROMIUM,
                headless=True,
                args=CHROMIUM_ARGS,
                service_workers=workers,
            )
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": store.session_key, "url": base}]
            )
            page = context.pages[0] if context.pages else context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions", slow)
            first = measure(page)
            if workers == "allow":
                page.evaluate("navigator.serviceWorker.ready.then(() => true)")
            repeats = [measure(page) for _ in range(runs)]
            print(
                f"schedule {label}: first {first:.0f} ms, repeat p50 "
                f"{statistics.median(repeats):.0f} ms (min {min(repeats):.0f}, n={runs})"
            )
            context.close()
    server.should_exit = True


if __name__ == "__main__":
    if "--load" in sys.argv:
        configure()
        load_bench()
    else:
        main()
