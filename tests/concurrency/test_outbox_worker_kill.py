"""A worker killed (SIGKILL) in the middle of sending, then restarted: every due message is
delivered exactly once at the provider. Real worker processes, the real anymail Resend
backend and twilio-python client, and a local fake of both providers that accepts a
message and only then answers (the window in which a kill leaves us not knowing)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from reformer.notifications import recovery
from reformer.notifications.actions import OutgoingMessage, queue_many, queue_sms
from reformer.notifications.models import Message, RecipientSettings
from tests import factories
from tests.fakes.providers import (
    MESSAGING_SERVICE,
    RESEND_SECRET,
    TWILIO_SID,
    TWILIO_TOKEN,
    FakeProviders,
)

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

WORKER = Path(__file__).resolve().parents[1] / "fakes" / "run_worker.py"
EMAILS = 30
TEXTS = 12


def test_database_url() -> str:
    """The URL of the database the tests run on (settings' URL, with the test name)."""
    url = urlparse(settings.DATABASE_URL)
    return urlunparse(url._replace(path=f"/{connection.settings_dict['NAME']}"))


test_database_url.__test__ = False  # a helper, not a test


def start_worker(fake: FakeProviders, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "REFORMER_DATA_DIR": str(settings.DATA_DIR),
        "EMAIL_PROVIDER": "resend",
        "RESEND_API_KEY": "re_test_key",
        "RESEND_API_URL": fake.url,
        "RESEND_SIGNING_SECRET": RESEND_SECRET,
        "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_MESSAGING_SERVICE_SID": MESSAGING_SERVICE,
        "TWILIO_API_BASE_URL": fake.url,
        "SITE_URL": "http://127.0.0.1:9",
    }
    output = log.open("a")
    return subprocess.Popen(
        [sys.executable, str(WORKER), "1"], env=env, stdout=output, stderr=subprocess.STDOUT
    )


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_a_worker_killed_mid_send_then_restarted_sends_everything_exactly_once(
    clean_job_tables, tmp_path
):
    fake = FakeProviders().start(webhook_senders=0)
    # Each message is accepted, then answered 80 ms later: a kill mostly lands in between.
    fake.faults["resend"].answer_delay = 0.08
    fake.faults["twilio"].answer_delay = 0.08
    org = factories.OrganizationFactory()
    with transaction.atomic():
        # The emails are queued together (sent in batches), the texts one by one.
        queue_many(
            [
                OutgoingMessage(
                    recipient=factories.UserFactory(email=f"e{i}@example.com"),
                    kind="booking_confirmed",
                    idempotency_key=f"kill-e{i}",
                    organization_id=org.pk,
                    subject="Booked",
                    body=f"Body {i}",
                )
                for i in range(EMAILS)
            ]
        )
        for i in range(TEXTS):
            user = factories.UserFactory(email=f"t{i}@example.com", notify_sms=True)
            RecipientSettings.objects.create(
                user=user, sms_phone=f"+1415555{i:04d}", sms_confirmed_at=timezone.now()
            )
            queue_sms(user, "test_message", idempotency_key=f"kill-t{i}", organization=org)
    log = tmp_path / "worker.log"
    worker = start_worker(fake, log)
    try:
        # Kill it while it is in the middle of a send, a third of the way through.
        wait_for(lambda: len(fake.accepted) >= (EMAILS + TEXTS) // 3, 60, "the first sends")
        wait_for(lambda: Message.objects.filter(status="sending").exists(), 10, "a send in flight")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
        in_flight = list(Message.objects.filter(status="sending").values_list("pk", flat=True))
        assert in_flight, "the kill did not land mid-send"
        # A restarted worker's periodic recovery job does this once the send is stale.
        resolved, _requeued = recovery.recover_outbox(older_than=timezone.timedelta(0))
        assert resolved == len(in_flight)
        worker = start_worker(fake, log)
        wait_for(
            lambda: Message.objects.filter(status="sent").count() == EMAILS + TEXTS,
            120,
            "every message to be sent",
        )
    finally:
        worker.kill()
        worker.wait(10)
        fake.stop()
    emails = Counter(a.key for a in fake.emails())
    texts = Counter((a.to, a.body) for a in fake.texts())
    assert len(emails) == EMAILS and set(emails.values()) == {1}, log.read_text()[-2000:]
    assert len(texts) == TEXTS and set(texts.values()) == {1}
    # Every stored provider id is the one the provider accepted.
    accepted_ids = {a.id for a in fake.accepted}
    assert set(Message.objects.values_list("provider_id", flat=True)) == accepted_ids
