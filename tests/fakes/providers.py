"""A local fake of Resend's and Twilio's HTTP APIs, for tests and benchmarks.

The real anymail Resend backend and the real twilio-python client talk to it over HTTP on
127.0.0.1 (point RESEND_API_URL / TWILIO_API_BASE_URL at `server.url`). It answers like the
providers do (ids, Resend's Idempotency-Key replay, Twilio's message resource and error
codes, 429 with Retry-After, 503 outages), records what it accepted, and can post status
webhooks back to the app, signed with each provider's own scheme (Svix for Resend,
X-Twilio-Signature for Twilio).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import queue
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse
from urllib.request import Request, urlopen

from svix.webhooks import Webhook
from twilio.request_validator import RequestValidator

RESEND_SECRET = "whsec_" + base64.b64encode(b"reformer-test-signing-secret-32b").decode()
TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "twilio-test-auth-token"
MESSAGING_SERVICE = "MG" + "1" * 32


def svix_headers(body: str, *, secret: str = RESEND_SECRET, msg_id: str | None = None) -> dict:
    """Headers Resend (through Svix) sends with a webhook body."""
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    now = dt.datetime.now(dt.UTC)
    return {
        "svix-id": msg_id,
        "svix-timestamp": str(int(now.timestamp())),
        "svix-signature": Webhook(secret).sign(msg_id, now, body),
    }


def resend_event(event_type: str, email_id: str, *, to: str = "", **data) -> str:
    body = {
        "type": event_type,
        "created_at": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"),
        "data": {
            "email_id": email_id,
            "to": [to] if to else [],
            "from": "Studio <no-reply@example.com>",
            "subject": "",
            "created_at": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"),
            **data,
        },
    }
    return json.dumps(body)


def twilio_signature(url: str, params: dict, *, token: str = TWILIO_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


@dataclass
class Accepted:
    provider: str
    id: str
    to: str
    body: str
    key: str = ""
    at: float = field(default_factory=time.time)
    data: dict = field(default_factory=dict)


@dataclass
class Faults:
    """What the next requests should suffer."""

    fail_next: int = 0  # that many requests answer `fail_status`
    fail_status: int = 503
    retry_after: str = ""
    outage: bool = False  # every request answers 503 until cleared
    invalid_numbers: set[str] = field(default_factory=set)
    rejected_emails: set[str] = field(default_factory=set)
    delay: float = 0.0  # seconds before answering
    # Seconds between accepting a message and answering: a client killed meanwhile never
    # learns that the provider took it (the case idempotency and reconciliation are for).
    answer_delay: float = 0.0


class FakeProviders:
    def __init__(self, *, webhook_base_url: str = "", send_webhooks: bool = False) -> None:
        self.accepted: list[Accepted] = []
        self.requests = 0
        self.replays = 0
        self.faults = {"resend": Faults(), "twilio": Faults()}
        self.webhook_base_url = webhook_base_url.rstrip("/")
        self.send_webhooks = send_webhooks
        self.webhooks_sent = 0
        self.webhook_failures = 0
        self._by_key: dict[str, Accepted] = {}
        self._lock = threading.Lock()
        self._webhooks: queue.Queue = queue.Queue()
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._threads: list[threading.Thread] = []

    # --- lifecycle -----------------------------------------------------------------------

    def start(self, webhook_senders: int = 4) -> FakeProviders:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        self._threads.append(thread)
        for _ in range(webhook_senders):
            sender = threading.Thread(target=self._send_webhooks, daemon=True)
            sender.start()
            self._threads.append(sender)
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        for _ in self._threads:
            self._webhooks.put(None)

    # --- what was sent -------------------------------------------------------------------

    def emails(self) -> list[Accepted]:
        return [a for a in self.accepted if a.provider == "resend"]

    def texts(self) -> list[Accepted]:
        return [a for a in self.accepted if a.provider == "twilio"]

    # --- request handling ----------------------------------------------------------------

    def _fault(self, provider: str) -> tuple[int, dict] | None:
        faults = self.faults[provider]
        if faults.delay:
            time.sleep(faults.delay)
        with self._lock:
            if faults.outage:
                return 503, {}
            if faults.fail_next > 0:
                faults.fail_next -= 1
                headers = {"Retry-After": faults.retry_after} if faults.retry_after else {}
                return faults.fail_status, headers
        return None

    def handle_resend(self, headers, body: bytes) -> tuple[int, dict, dict]:
        if headers.get("Authorization", "") != "Bearer re_test_key":
            return 401, {}, {"statusCode": 401, "name": "missing_api_key", "message": "Bad key"}
        if fault := self._fault("resend"):
            status, extra = fault
            return (
                status,
                extra,
                {
                    "statusCode": status,
                    "name": "rate_limit_exceeded" if status == 429 else "internal_server_error",
                    "message": "Try again later.",
                },
            )
        payload = json.loads(body)
        to = payload["to"][0] if isinstance(payload.get("to"), list) else payload.get("to", "")
        if to in self.faults["resend"].rejected_emails:
            return (
                422,
                {},
                {
                    "statusCode": 422,
                    "name": "validation_error",
                    "message": f"Invalid `to` field: {to}",
                },
            )
        key = headers.get("Idempotency-Key", "")
        with self._lock:
            if key and key in self._by_key:
                self.replays += 1
                return 200, {}, {"id": self._by_key[key].id}
            accepted = Accepted(
                "resend", str(uuid.uuid4()), to, payload.get("text", ""), key, data=payload
            )
            self.accepted.append(accepted)
            if key:
                self._by_key[key] = accepted
        if self.send_webhooks:
            self._webhooks.put(("resend", accepted, "email.delivered"))
        if self.faults["resend"].answer_delay:
            time.sleep(self.faults["resend"].answer_delay)
        return 200, {}, {"id": accepted.id}

    def handle_twilio_create(self, headers, body: bytes) -> tuple[int, dict, dict]:
        expected = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
        if headers.get("Authorization", "") != expected:
            return 401, {}, {"code": 20003, "message": "Authenticate", "status": 401}
        if fault := self._fault("twilio"):
            status, extra = fault
            return (
                status,
                extra,
                {
                    "code": 20429 if status == 429 else 20500,
                    "message": "Service unavailable",
                    "status": status,
                },
            )
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        to = form.get("To", "")
        if to in self.faults["twilio"].invalid_numbers:
            return (
                400,
                {},
                {
                    "code": 21211,
                    "status": 400,
                    "message": f"The 'To' number {to} is not a valid phone number.",
                },
            )
        sid = "SM" + uuid.uuid4().hex
        text = form.get("Body", "")
        segments = 1 if len(text) <= 160 else -(-len(text) // 153)
        accepted = Accepted("twilio", sid, to, text, data=form)
        with self._lock:
            self.accepted.append(accepted)
        if self.send_webhooks and form.get("StatusCallback"):
            self._webhooks.put(("twilio", accepted, "delivered"))
        if self.faults["twilio"].answer_delay:
            time.sleep(self.faults["twilio"].answer_delay)
        return 201, {}, self._twilio_resource(accepted, segments)

    def handle_twilio_list(self, query: dict) -> tuple[int, dict, dict]:
        to = query.get("To", [""])[0]
        with self._lock:
            found = [a for a in self.accepted if a.provider == "twilio" and a.to == to]
        return (
            200,
            {},
            {
                "messages": [self._twilio_resource(a, 1) for a in found],
                "end": max(len(found) - 1, 0),
                "first_page_uri": "",
                "next_page_uri": None,
                "page": 0,
                "page_size": 50,
                "previous_page_uri": None,
                "start": 0,
                "uri": "",
            },
        )

    @staticmethod
    def _twilio_resource(accepted: Accepted, segments: int) -> dict:
        return {
            "sid": accepted.id,
            "account_sid": TWILIO_SID,
            "to": accepted.to,
            "from": None,
            "messaging_service_sid": MESSAGING_SERVICE,
            "body": accepted.body,
            "status": "accepted",
            "num_segments": str(segments),
            "price": None,
            "price_unit": "USD",
            "direction": "outbound-api",
            "error_code": None,
            "date_created": time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()),
        }

    # --- webhooks back to the app ----------------------------------------------------------

    def _send_webhooks(self) -> None:
        while True:
            item = self._webhooks.get()
            if item is None:
                return
            provider, accepted, status = item
            try:
                if provider == "resend":
                    body = resend_event(f"{status}", accepted.id, to=accepted.to)
                    self._post(
                        f"{self.webhook_base_url}/webhooks/anymail/resend/tracking/",
                        body.encode(),
                        {"Content-Type": "application/json", **svix_headers(body)},
                    )
                else:
                    url = accepted.data["StatusCallback"]
                    params = {
                        "MessageSid": accepted.id,
                        "MessageStatus": status,
                        "To": accepted.to,
                        "AccountSid": TWILIO_SID,
                    }
                    from urllib.parse import urlencode

                    self._post(
                        url,
                        urlencode(params).encode(),
                        {
                            "Content-Type": "application/x-www-form-urlencoded",
                            "X-Twilio-Signature": twilio_signature(url, params),
                        },
                    )
            except Exception:
                self.webhook_failures += 1

    def _post(self, url: str, body: bytes, headers: dict) -> None:
        with urlopen(Request(url, data=body, headers=headers, method="POST"), timeout=30) as r:
            r.read()
        with self._lock:
            self.webhooks_sent += 1


class _Handler(BaseHTTPRequestHandler):
    fake: FakeProviders
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def setup(self) -> None:
        super().setup()
        # Answer in one segment without waiting for the client's ACK (no Nagle delay).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _reply(self, status: int, headers: dict, payload: dict) -> None:
        body = json.dumps(payload).encode()
        lines = [
            f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        path = urlparse(self.path).path
        with self.fake._lock:
            self.fake.requests += 1
        if path.rstrip("/").endswith("/emails"):
            self._reply(*self.fake.handle_resend(self.headers, body))
        elif path.endswith("/Messages.json"):
            self._reply(*self.fake.handle_twilio_create(self.headers, body))
        else:
            self._reply(404, {}, {"message": f"no route {path}"})

    def do_GET(self) -> None:
        parsed = urlparse(self.path)
        if parsed.path.endswith("/Messages.json"):
            self._reply(*self.fake.handle_twilio_list(parse_qs(parsed.query)))
        else:
            self._reply(404, {}, {"message": "no route"})
