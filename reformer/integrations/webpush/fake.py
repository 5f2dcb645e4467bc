"""A fake Web Push service on 127.0.0.1 (tests and benchmarks): pywebpush posts to it over
HTTP exactly as to a browser vendor's push service.

Each subscriber is a device of ours: a P-256 key pair and an auth secret, like a browser's,
so what arrives can be decrypted (http_ece, aes128gcm) and its VAPID signature checked
against the key it names, as a real push service would.

    fake = FakePushService().start()
    device = fake.subscriber()            # .endpoint, .p256dh, .auth (base64url)
    ... send ...
    delivery = fake.deliveries[0]         # .path, .headers, .body
    fake.vapid_claims(delivery)           # the JWT's claims, or an error if the signature fails
    fake.decrypt(delivery)                # the plaintext the device would read
    device.status = 410                   # the subscription has expired from now on
    fake.stop()
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Subscriber:
    id: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes
    status: int = 201

    @property
    def p256dh(self) -> str:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(point)

    @property
    def auth(self) -> str:
        return b64url(self.auth_secret)


@dataclass
class Delivery:
    subscriber_id: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    status: int


class InvalidVapid(Exception):
    pass


@dataclass
class FakePushService:
    subscribers: dict[str, Subscriber] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> FakePushService:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                subscriber_id = self.path.rsplit("/", 1)[-1]
                subscriber = fake.subscribers.get(subscriber_id)
                status = subscriber.status if subscriber else 404
                with fake.lock:
                    fake.deliveries.append(
                        Delivery(
                            subscriber_id,
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            status,
                        )
                    )
                self.send_response(status)
                if status == 201:
                    self.send_header("Location", f"/messages/{secrets.token_hex(8)}")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def subscriber(self) -> Subscriber:
        subscriber_id = secrets.token_hex(8)
        subscriber = Subscriber(
            id=subscriber_id,
            endpoint=f"{self.base_url}/push/{subscriber_id}",
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth_secret=secrets.token_bytes(16),
        )
        self.subscribers[subscriber_id] = subscriber
        return subscriber

    def decrypt(self, delivery: Delivery) -> bytes:
        subscriber = self.subscribers[delivery.subscriber_id]
        return http_ece.decrypt(
            delivery.body,
            private_key=subscriber.private_key,
            auth_secret=subscriber.auth_secret,
            version="aes128gcm",
        )

    def vapid_claims(self, delivery: Delivery) -> tuple[dict, str]:
        """(claims, public key) of the request's VAPID token (RFC 8292: "vapid t=, k="),
        after checking its ES256 signature with that key; InvalidVapid otherwise."""
        header = delivery.headers.get("authorization")
        if not header or not header.lower().startswith("vapid "):
            raise InvalidVapid("no vapid Authorization header")
        parts = dict(
            item.strip().split("=", 1) for item in header[len("vapid ") :].split(",") if "=" in item
        )
        token, key = parts.get("t", ""), parts.get("k", "")
        try:
            head, payload, signature = token.split(".")
        except ValueError as exc:
            raise InvalidVapid("malformed token") from exc
        if json.loads(unb64url(head)).get("alg") != "ES256":
            raise InvalidVapid("not ES256")
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
        raw = unb64url(signature)
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        try:
            public.verify(der, f"{head}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature as exc:
            raise InvalidVapid("signature does not verify") from exc
        return json.loads(unb64url(payload)), key
