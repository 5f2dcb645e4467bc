"""SMS through Twilio's Messaging Service (twilio-python), or, with no Twilio account
configured, a local log file (the demo and a fresh install)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from reformer.notifications.errors import PermanentDeliveryError, TransientDeliveryError
from reformer.notifications.transports import SendResult, read_environment_once
from reformer.notifications.transports.email import parse_retry_after

# Twilio error codes that mean the number itself is wrong (not a mobile, not a number).
INVALID_NUMBER_CODES = frozenset({21211, 21214, 21217, 21401, 21407, 21421, 21614, 30005, 30006})
# The recipient replied STOP to the Messaging Service.
OPTED_OUT_CODES = frozenset({21610})

# GSM 03.38 basic set and extension (extension characters take two septets).
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")

_local = threading.local()
TWILIO_API = "https://api.twilio.com"


def configured() -> bool:
    return bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN)


def provider_name() -> str:
    return "twilio" if configured() else "console"


def segments_of(body: str) -> int:
    """How many SMS segments a text takes (what carriers bill): 160/153 GSM-7 characters,
    70/67 when any character needs UCS-2."""
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in body):
        units = sum(2 if ch in _GSM_EXTENDED else 1 for ch in body)
        single, multi = 160, 153
    else:
        units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in body)
        single, multi = 70, 67
    if units <= single:
        return 1
    return -(-units // multi)


class _HeaderKeepingHttpClient(TwilioHttpClient):
    """Remembers the last response's headers (twilio's exception drops Retry-After)."""

    last_headers: dict = {}

    def request(self, *args, **kwargs):
        response = super().request(*args, **kwargs)
        self.last_headers = dict(response.headers or {})
        return response


def client() -> Client:
    """One Twilio client per thread (its HTTP session is not shared between threads)."""
    key = (
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        settings.TWILIO_API_BASE_URL,
    )
    cached = getattr(_local, "client", None)
    if cached is None or cached[0] != key:
        http = _HeaderKeepingHttpClient(timeout=15)
        read_environment_once(http.session, settings.TWILIO_API_BASE_URL or TWILIO_API)
        twilio = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http)
        if settings.TWILIO_API_BASE_URL:
            twilio.api.base_url = settings.TWILIO_API_BASE_URL
        _local.client = cached = (key, twilio)
    return cached[1]


def status_callback_url() -> str:
    return f"{settings.SITE_URL}/webhooks/twilio/status/"


def send_sms(*, to: str, body: str) -> SendResult:
    if not to:
        raise PermanentDeliveryError("No mobile number.", invalid_address=True)
    segments = segments_of(body)
    estimate = settings.SMS_PRICE_PER_SEGMENT * segments
    if not configured():
        _write_console_log(to, body)
        return SendResult(provider="console", segments=segments)
    twilio = client()
    try:
        sent = twilio.messages.create(
            to=to,
            body=body,
            messaging_service_sid=settings.TWILIO_MESSAGING_SERVICE_SID,
            status_callback=status_callback_url(),
        )
    except TwilioRestException as exc:
        raise _classify(exc, twilio) from exc
    except (TwilioException, OSError) as exc:
        raise TransientDeliveryError(f"Twilio could not be reached: {exc}") from exc
    price = abs(Decimal(sent.price)) if sent.price not in (None, "") else estimate
    return SendResult(
        provider="twilio",
        provider_id=sent.sid or "",
        segments=int(sent.num_segments or segments),
        cost=price,
    )


def _classify(exc: TwilioRestException, twilio: Client) -> Exception:
    code = exc.code or 0
    if code in INVALID_NUMBER_CODES:
        return PermanentDeliveryError(
            f"Twilio says the number is invalid ({code}): {exc.msg}", invalid_address=True
        )
    if code in OPTED_OUT_CODES:
        return PermanentDeliveryError(
            f"The recipient replied STOP ({code}): {exc.msg}", opted_out=True
        )
    if exc.status == 429 or exc.status >= 500:
        headers = getattr(twilio.http_client, "last_headers", {})
        retry_after = parse_retry_after(headers.get("Retry-After", "") or "")
        return TransientDeliveryError(
            f"Twilio is unavailable ({exc.status}): {exc.msg}", retry_after=retry_after
        )
    if exc.status in (401, 403):
        return TransientDeliveryError(f"Twilio refused our credentials: {exc.msg}")
    return PermanentDeliveryError(f"Twilio refused the message ({code or exc.status}): {exc.msg}")


def find_accepted(*, to: str, body: str, since: dt.datetime) -> SendResult | None:
    """A message Twilio already accepted for this number and text since `since` (a worker
    killed between Twilio's answer and our commit), so it is recorded, not sent again."""
    if not configured():
        return None
    twilio = client()
    for sent in twilio.messages.list(to=to, date_sent_after=since - dt.timedelta(seconds=5)):
        if sent.body == body:
            return SendResult(
                provider="twilio",
                provider_id=sent.sid,
                segments=int(sent.num_segments or segments_of(body)),
                cost=abs(Decimal(sent.price)) if sent.price else settings.SMS_PRICE_PER_SEGMENT,
            )
    return None


def _write_console_log(to: str, body: str) -> None:
    path = settings.SMS_LOG_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as log:
        log.write(f"--- {timezone.now():%Y-%m-%d %H:%M:%S} UTC to {to}\n{body}\n")
