"""Email tracking webhooks (anymail's views, PHX-22): refused with 403 unless anymail can
verify them (its WEBHOOK_SECRET basic auth or the provider's signing secret), and a body
the provider's parser cannot read is a 400, never a 500. Nothing is recorded either way."""

from __future__ import annotations

import base64
import json

import pytest

from reformer.notifications.models import EarlyProviderEvent, MessageEvent
from tests.fakes.providers import RESEND_SECRET, resend_event, svix_headers

SECRET = "anymail:s3cret-webhook-pass"
AUTH = "Basic " + base64.b64encode(SECRET.encode()).decode()

# One plausible hard bounce per provider, for a message id we never sent.
BOUNCES = {
    "resend": resend_event("email.bounced", "re_forged", to="zoe@example.com"),
    "postmark": json.dumps(
        {
            "RecordType": "Bounce",
            "ID": 42,
            "Type": "HardBounce",
            "MessageID": "pm-forged",
            "Email": "zoe@example.com",
            "BouncedAt": "2026-06-01T09:00:00Z",
            "Description": "forged",
        }
    ),
    "brevo": json.dumps(
        {
            "event": "hard_bounce",
            "email": "zoe@example.com",
            "message-id": "<brevo-forged@example.com>",
            "date": "2026-06-01 09:00:00",
            "ts_event": 1780304400,
        }
    ),
    "mailjet": json.dumps(
        [
            {
                "event": "bounce",
                "time": 1780304400,
                "MessageID": 19421777835146490,
                "email": "zoe@example.com",
                "hard_bounce": True,
            }
        ]
    ),
    "sendgrid": json.dumps(
        [
            {
                "event": "bounce",
                "email": "zoe@example.com",
                "sg_message_id": "sg-forged.filter0001",
                "timestamp": 1780304400,
                "type": "bounce",
                "anymail_id": "sg-forged",
            }
        ]
    ),
    "mailgun": json.dumps(
        {
            "signature": {"token": "t", "timestamp": "1780304400", "signature": "00"},
            "event-data": {
                "event": "failed",
                "severity": "permanent",
                "timestamp": 1780304400,
                "id": "mg-forged",
                "recipient": "zoe@example.com",
                "message": {"headers": {"message-id": "mg-forged@example.com"}},
            },
        }
    ),
    "amazon_ses": json.dumps({"Type": "Notification", "MessageId": "ses-1", "Message": "{}"}),
}


def _post(client, esp: str, body: str | bytes, auth: str = "", signed: bool = False):
    client.raise_request_exception = False
    headers = svix_headers(body) if signed and isinstance(body, str) else {}
    if esp == "amazon_ses":
        headers |= {"x-amz-sns-message-type": "Notification", "x-amz-sns-message-id": "ses-1"}
    if auth:
        headers["Authorization"] = auth
    return client.post(
        f"/webhooks/anymail/{esp}/tracking/",
        data=body,
        content_type="application/json",
        headers=headers,
    )


def _nothing_recorded() -> bool:
    return not EarlyProviderEvent.objects.exists() and not MessageEvent.objects.exists()


@pytest.mark.parametrize("esp", list(BOUNCES))
def test_without_verification_configured_every_event_is_refused_and_nothing_recorded(
    db, client, settings, esp
):
    settings.ANYMAIL = {}  # no WEBHOOK_SECRET, no signing secret
    response = _post(client, esp, BOUNCES[esp], auth=AUTH, signed=True)
    assert response.status_code == 403
    assert _nothing_recorded()


@pytest.mark.parametrize("esp", ["postmark", "brevo", "mailjet", "sendgrid"])
def test_with_the_webhook_secret_only_the_right_basic_auth_is_accepted(db, client, settings, esp):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    assert _post(client, esp, BOUNCES[esp]).status_code == 400  # no credentials
    wrong = "Basic " + base64.b64encode(b"anymail:guess").decode()
    assert _post(client, esp, BOUNCES[esp], auth=wrong).status_code == 400
    assert _nothing_recorded()
    assert _post(client, esp, BOUNCES[esp], auth=AUTH).status_code == 200
    assert EarlyProviderEvent.objects.count() == 1  # recorded, waiting for its message


def test_resend_with_its_signing_secret_needs_no_basic_auth(db, client, settings):
    settings.ANYMAIL = {"RESEND_SIGNING_SECRET": RESEND_SECRET}
    body = BOUNCES["resend"]
    assert _post(client, "resend", body).status_code == 400  # unsigned
    assert _nothing_recorded()
    assert _post(client, "resend", body, signed=True).status_code == 200


# Not what any provider sends ("{}" is: an event of nothing, accepted and ignored).
JUNK = [b"not json", b"\xff\xfe\x00junk", b"[1, 2", b"42", b"[{}]", b'"text"', b"[[]]"]


@pytest.mark.parametrize("esp", ["postmark", "brevo", "mailjet", "sendgrid"])
@pytest.mark.parametrize("body", JUNK)
def test_a_junk_body_with_the_right_secret_is_a_400(db, client, settings, esp, body):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    assert _post(client, esp, body, auth=AUTH).status_code == 400
    assert _nothing_recorded()


@pytest.mark.parametrize("body", JUNK)
def test_a_junk_mailgun_body_is_a_400(db, client, settings, body):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": "key-mailgun"}
    assert _post(client, "mailgun", body).status_code == 400
    assert _nothing_recorded()


@pytest.mark.parametrize("body", JUNK)
def test_a_junk_amazon_ses_body_is_a_400(db, client, settings, monkeypatch, body):
    # boto3 is only needed to confirm SNS subscriptions and fetch inbound mail.
    from anymail.webhooks import amazon_ses

    monkeypatch.setattr(amazon_ses, "_get_anymail_boto3_params", lambda **_: ({}, {}))
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    assert _post(client, "amazon_ses", body, auth=AUTH).status_code == 400
    assert _nothing_recorded()
