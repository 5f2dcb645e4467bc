from __future__ import annotations

import pytest

from reformer.notifications.transports import email as email_transport
from reformer.notifications.transports import sms as sms_transport
from tests.fakes.providers import (
    MESSAGING_SERVICE,
    RESEND_SECRET,
    TWILIO_SID,
    TWILIO_TOKEN,
    FakeProviders,
)


@pytest.fixture
def fake_providers(settings):
    """Resend (through anymail) and Twilio (twilio-python) pointed at a local fake server."""
    fake = FakeProviders().start(webhook_senders=0)
    settings.EMAIL_PROVIDER = "resend"
    settings.EMAIL_BACKEND = "reformer.notifications.transports.resend_backend.EmailBackend"
    settings.ANYMAIL = {
        "RESEND_API_KEY": "re_test_key",
        "RESEND_API_URL": fake.url,
        "RESEND_SIGNING_SECRET": RESEND_SECRET,
    }
    settings.TWILIO_ACCOUNT_SID = TWILIO_SID
    settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.TWILIO_MESSAGING_SERVICE_SID = MESSAGING_SERVICE
    settings.TWILIO_API_BASE_URL = fake.url
    settings.SITE_URL = "http://testserver"
    yield fake
    fake.stop()
    # Per-thread clients hold sessions to this (now stopped) server.
    email_transport._local.__dict__.clear()
    sms_transport._local.__dict__.clear()
