"""Push fan-out (PHX-26): one class-cancelled event to 1,000 subscribed devices through
the outbox, against the local fake push service.

    uv run python bench/pwa.py [--devices 1000] [--threads 2]

Measured: queueing (the 1,000 cancellation emails plus one push message per device, in
the outbox's one INSERT) and sending the push messages the way `send_batch` jobs do
(`batch.deliver_batch`, 50 a batch, `--threads` batches at once in this process, not the
procrastinate worker): render the payload, encrypt it for the device (aes128gcm), sign the
VAPID token, POST to the fake, record. Every delivery's VAPID signature is checked and a
sample decrypted afterwards. Uses the database of bench/notifications.py
(`reformer_bench_notify`), whose tables it empties first. Prints figures; not a test.
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
    args = parser.parse_args()
    configure()
    from django.conf import settings
    from django.db import connection, transaction

    from reformer.integrations.webpush.fake import FakePushService
    from reformer.notifications import batch
    from reformer.notifications.actions import OutgoingMessage, queue_many
    from reformer.notifications.models import Message

    settings.PUSH_ALLOW_HTTP_ENDPOINTS = True
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


if __name__ == "__main__":
    main()
