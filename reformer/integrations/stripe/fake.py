"""A fake Stripe on 127.0.0.1: the real stripe-python client talks to it over HTTP.

It answers the API endpoints Reformer uses (account, customers, Checkout Sessions, payment
intents, refunds, subscriptions, Customer Portal sessions), serves a checkout page that
stands in for Stripe's hosted page (test cards as on Stripe: 4242 4242 4242 4242 pays,
4000 0000 0000 0002 is declined, 4000 0000 0000 9995 has insufficient funds), and sends
webhooks signed with Stripe's scheme to the endpoint registered for each account.

    fake = FakeStripe().start()
    fake.add_account("sk_test_x", webhook_url=..., webhook_secret="whsec_x")
    settings.STRIPE_API_BASE = fake.base_url
    ...
    fake.stop()

Webhooks are posted from a background thread as they happen, unless `hold_webhooks` is
set: then they queue in `held` until `release()` (the "webhook delay" scenario).

`Idempotency-Key` is honoured as Stripe does (POST only, per account): a key seen before
with the same request answers the stored response again (status and body, with the
`Idempotent-Replayed: true` header) without doing anything; the same key with another
endpoint or other parameters is refused with an `idempotency_error` (400). Requests Stripe
refuses before executing (a bad key, an unknown URL, missing parameters) are not stored.
Every API request is logged in `requests` (method, path, key) so tests can check which
calls carry a key of ours.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

from reformer.integrations.stripe import fake_subscriptions as subscriptions
from reformer.integrations.stripe.signing import sign

CARD_OUTCOMES = {
    "4242424242424242": None,
    "4000000000000002": ("card_declined", "generic_decline", "Your card was declined."),
    "4000000000009995": (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "4000000000000069": ("expired_card", "expired_card", "Your card has expired."),
}


def unflatten(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """`a[b][0][c]=1` (how stripe-python encodes parameters) -> {"a": {"b": [{"c": "1"}]}}."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+|\[\]", key)
        node: Any = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            following = None if last else parts[i + 1]
            empty: Any = [] if following is not None and following.isdigit() else {}
            if isinstance(node, list):
                index = int(part)
                while len(node) <= index:
                    node.append({})
                if last:
                    node[index] = value
                else:
                    if not node[index] and isinstance(empty, list):
                        node[index] = []
                    node = node[index]
            else:
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, empty)
    return root


@dataclass
class Account:
    secret_key: str
    webhook_url: str | None
    webhook_secret: str
    name: str
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str
    idempotency_key: str | None
    params: dict[str, Any]


@dataclass(frozen=True)
class StoredResponse:
    fingerprint: str
    status: int
    body: Any


class StripeApiError(Exception):
    def __init__(self, status: int, type: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": type, "message": message, **extra}}


class FakeStripe:
    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.events: list[tuple[str, dict[str, Any]]] = []  # (secret key, event)
        self.hold_webhooks = False
        self.held: list[tuple[Account, dict[str, Any]]] = []
        self.deliveries: list[tuple[str, int]] = []  # (event id, HTTP status)
        self.fail_off_session = False
        # Pay like an asynchronous method (bank debit): "processing" until settle().
        self.settle_later = False
        self.requests: list[ApiRequest] = []
        self._idempotent: dict[tuple[str, str], StoredResponse] = {}
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self._delivery_threads: list[threading.Thread] = []
        self._server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeStripe:
        # Imported here: the HTTP side (fake_http.py) builds on this module's FakeStripe.
        from reformer.integrations.stripe.fake_http import FakeStripeHandler

        handler = type("Handler", (FakeStripeHandler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.wait_for_deliveries()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def add_account(
        self,
        secret_key: str,
        *,
        webhook_url: str | None = None,
        webhook_secret: str = "whsec_fake",
        name: str = "Test studio",
    ) -> Account:
        account = Account(secret_key, webhook_url, webhook_secret, name)
        self.accounts[secret_key] = account
        return account

    # ------------------------------------------------------------------ objects

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):06d}{secrets.token_hex(4)}"

    def find(self, object_id: str) -> tuple[Account, dict[str, Any]]:
        for account in self.accounts.values():
            if object_id in account.objects:
                return account, account.objects[object_id]
        raise KeyError(object_id)

    def emit(self, account: Account, type: str, obj: dict[str, Any]) -> dict[str, Any]:
        event = {
            "id": self.new_id("evt"),
            "object": "event",
            "type": type,
            "created": int(time.time()),
            "livemode": account.secret_key.startswith("sk_live"),
            "api_version": "2025-01-27.acacia",
            "data": {"object": json.loads(json.dumps(obj))},
        }
        self.events.append((account.secret_key, event))
        if self.hold_webhooks:
            self.held.append((account, event))
        else:
            self._deliver_in_background(account, event)
        return event

    def release(self, *, order: str = "as-sent") -> None:
        """Deliver held webhooks ("reversed" sends them newest first)."""
        held, self.held = self.held, []
        if order == "reversed":
            held.reverse()
        for account, event in held:
            self.deliver(account, event)

    def deliver(self, account: Account, event: dict[str, Any]) -> int:
        """POST one event to the account's endpoint, signed; returns the HTTP status."""
        if not account.webhook_url:
            return 0
        payload = json.dumps(event)
        request = urllib.request.Request(
            account.webhook_url,
            data=payload.encode(),
            headers={
                "Content-Type": "application/json",
                "Stripe-Signature": sign(payload, account.webhook_secret),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError:
            status = 0
        self.deliveries.append((event["id"], status))
        return status

    def _deliver_in_background(self, account: Account, event: dict[str, Any]) -> None:
        thread = threading.Thread(target=self.deliver, args=(account, event), daemon=True)
        self._delivery_threads.append(thread)
        thread.start()

    def wait_for_deliveries(self, timeout: float = 30) -> None:
        for thread in list(self._delivery_threads):
            thread.join(timeout)

    # ------------------------------------------------------------------ API

    def handle_api(self, method: str, path: str, key: str, params: dict[str, Any]) -> Any:
        account = self.accounts.get(key)
        if account is None:
            raise StripeApiError(401, "invalid_request_error", "Invalid API Key provided.")
        parts = path.strip("/").split("/")[1:]  # drop "v1"
        with self._lock:
            return self._route(account, method, parts, params)

    def respond(
        self,
        method: str,
        path: str,
        key: str,
        params: dict[str, Any],
        idempotency_key: str | None = None,
    ) -> tuple[int, Any, bool]:
        """One API request as the HTTP side sees it: (status, body, replayed)."""
        with self._lock:
            self.requests.append(ApiRequest(method, path, idempotency_key, params))
            stored_as = (key, idempotency_key) if method == "POST" and idempotency_key else None
            fingerprint = hashlib.sha256(
                json.dumps([method, path, params], sort_keys=True).encode()
            ).hexdigest()
            if stored_as is not None and (stored := self._idempotent.get(stored_as)):
                if stored.fingerprint != fingerprint:
                    return (
                        400,
                        StripeApiError(
                            400,
                            "idempotency_error",
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with. Try using a key other than "
                            f"'{idempotency_key}' if you meant to execute a different request.",
                        ).body,
                        False,
                    )
                return stored.status, json.loads(json.dumps(stored.body)), True
            try:
                status, body = 200, self.handle_api(method, path, key, params)
            except StripeApiError as exc:
                status, body = exc.status, exc.body
                if status in (400, 401, 404):
                    return status, body, False  # refused before executing: not stored
            if stored_as is not None:
                self._idempotent[stored_as] = StoredResponse(
                    fingerprint, status, json.loads(json.dumps(body))
                )
            return status, body, False

    def requests_to(self, method: str, path_prefix: str) -> list[ApiRequest]:
        with self._lock:
            return [
                r for r in self.requests if r.method == method and r.path.startswith(path_prefix)
            ]

    def _route(self, account: Account, method: str, parts: list[str], params: dict) -> Any:
        objects = account.objects
        match method, parts:
            case "GET", ["account"]:
                return {
                    "id": "acct_fake",
                    "object": "account",
                    "settings": {"dashboard": {"display_name": account.name}},
                }
            case "POST", ["customers"]:
                customer = {
                    "id": self.new_id("cus"),
                    "object": "customer",
                    "email": params.get("email"),
                    "name": params.get("name"),
                    "metadata": params.get("metadata", {}),
                }
                objects[customer["id"]] = customer
                return customer
            case "POST", ["checkout", "sessions"]:
                return self._create_session(account, params)
            case "GET", ["checkout", "sessions", session_id]:
                return self._expanded(account, self._get(objects, session_id), params)
            case "POST", ["checkout", "sessions", session_id, "expire"]:
                session = self._get(objects, session_id)
                if session["status"] != "open":
                    raise StripeApiError(
                        400, "invalid_request_error", "Only open Checkout Sessions can be expired."
                    )
                session["status"] = "expired"
                self.emit(account, "checkout.session.expired", session)
                return session
            case "GET", ["payment_intents", intent_id]:
                return self._expanded(account, self._get(objects, intent_id), params)
            case "POST", ["payment_intents"]:
                return self._off_session_charge(account, params)
            case "POST", ["refunds"]:
                return self._refund(account, params)
            case "GET", ["subscriptions", sub_id]:
                return self._expanded(account, self._get(objects, sub_id), params)
            case "GET", ["invoices", invoice_id]:
                return self._expanded(account, self._get(objects, invoice_id), params)
            case "POST", ["subscriptions", sub_id]:
                return subscriptions.update(self, account, self._get(objects, sub_id), params)
            case "DELETE", ["subscriptions", sub_id]:
                subscription = self._get(objects, sub_id)
                subscription["status"] = "canceled"
                self.emit(account, "customer.subscription.deleted", subscription)
                return subscription
            case "POST", ["billing_portal", "sessions"]:
                portal = {
                    "id": self.new_id("bps"),
                    "object": "billing_portal.session",
                    "customer": params["customer"],
                    "return_url": params.get("return_url"),
                }
                portal["url"] = f"{self.base_url}/portal/{portal['id']}"
                objects[portal["id"]] = portal
                return portal
        raise StripeApiError(404, "invalid_request_error", f"Unrecognized request URL {parts}.")

    @staticmethod
    def _get(objects: dict[str, dict], object_id: str) -> dict[str, Any]:
        if object_id not in objects:
            raise StripeApiError(
                404,
                "invalid_request_error",
                f"No such object: '{object_id}'",
                code="resource_missing",
            )
        return objects[object_id]

    def _expanded(self, account: Account, obj: dict, params: dict) -> dict:
        """Inline the objects named by `expand` ("payment_intent.latest_charge" nests)."""
        expand = params.get("expand") or []
        obj = json.loads(json.dumps(obj))
        for path in expand if isinstance(expand, list) else [expand]:
            node: Any = obj
            for field_name in path.split("."):
                value = node.get(field_name) if isinstance(node, dict) else None
                if isinstance(value, str) and value in account.objects:
                    value = node[field_name] = json.loads(json.dumps(account.objects[value]))
                node = value
        return obj

    def _charge(self, account: Account, intent: dict) -> None:
        charge = {
            "id": self.new_id("ch"),
            "object": "charge",
            "amount": intent["amount"],
            "payment_intent": intent["id"],
            "paid": True,
            "receipt_url": f"{self.base_url}/receipts/{intent['id']}",
            "payment_method_details": {"type": "card", "card": {"brand": "visa", "last4": "4242"}},
        }
        account.objects[charge["id"]] = charge
        intent["status"] = "succeeded"
        intent["latest_charge"] = charge["id"]

    def _create_session(self, account: Account, params: dict) -> dict:
        for required in ("mode", "success_url", "line_items"):
            if required not in params:
                raise StripeApiError(
                    400, "invalid_request_error", f"Missing required param: {required}."
                )
        item = params["line_items"][0]
        price = item["price_data"]
        session = {
            "id": self.new_id("cs_test"),
            "object": "checkout.session",
            "mode": params["mode"],
            "status": "open",
            "payment_status": "unpaid",
            "customer": params.get("customer"),
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata", {}),
            "success_url": params["success_url"],
            "cancel_url": params.get("cancel_url"),
            "amount_total": int(price["unit_amount"]) * int(item.get("quantity", 1)),
            "currency": price["currency"],
            "product_name": price.get("product_data", {}).get("name", ""),
            "recurring": price.get("recurring"),
            "subscription_metadata": params.get("subscription_data", {}).get("metadata", {}),
            "payment_intent": None,
            "subscription": None,
            "invoice": None,
            "expires_at": int(params.get("expires_at") or time.time() + 24 * 3600),
        }
        session["url"] = f"{self.base_url}/checkout/{session['id']}"
        account.objects[session["id"]] = session
        return session

    # ------------------------------------------------------------------ the hosted page

    def pay(self, session_id: str, card_number: str) -> tuple[str | None, str | None]:
        """Pay a session with a test card: (redirect URL, None) or (None, decline message)."""
        with self._lock:
            account, session = self.find(session_id)
            if session["status"] != "open":
                return None, "This checkout session is no longer open."
            outcome = CARD_OUTCOMES.get(
                card_number.replace(" ", ""), CARD_OUTCOMES["4000000000000002"]
            )
            intent = self._intent(
                account,
                session["amount_total"],
                session["currency"],
                session["customer"],
                session["metadata"],
            )
            session["payment_intent"] = intent["id"] if session["mode"] == "payment" else None
            if outcome is not None:
                code, decline_code, message = outcome
                intent["status"] = "requires_payment_method"
                intent["last_payment_error"] = {
                    "type": "card_error",
                    "code": code,
                    "decline_code": decline_code,
                    "message": message,
                }
                return None, message
            session["status"] = "complete"
            if self.settle_later and session["mode"] == "payment":
                self.emit(account, "checkout.session.completed", session)
                return session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"]), None
            self._charge(account, intent)
            session["payment_status"] = "paid"
            if session["mode"] == "subscription":
                subscriptions.start(self, account, session, intent)
            self.emit(account, "checkout.session.completed", session)
            return session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"]), None

    def add_paid_session(
        self, secret_key: str, *, metadata: dict, amount: int, currency: str = "usd"
    ) -> dict[str, Any]:
        """A Checkout Session already paid (benchmarks seed thousands without the page)."""
        with self._lock:
            account = self.accounts[secret_key]
            intent = self._intent(account, amount, currency, None, metadata)
            self._charge(account, intent)
            session = {
                "id": self.new_id("cs_test"),
                "object": "checkout.session",
                "mode": "payment",
                "status": "complete",
                "payment_status": "paid",
                "customer": None,
                "metadata": metadata,
                "client_reference_id": metadata.get("reformer_payment"),
                "amount_total": amount,
                "currency": currency,
                "payment_intent": intent["id"],
            }
            account.objects[session["id"]] = session
            return session

    def settle(self, session_id: str) -> None:
        """The asynchronous payment of a session went through."""
        with self._lock:
            account, session = self.find(session_id)
            self._charge(account, account.objects[session["payment_intent"]])
            session["payment_status"] = "paid"
            self.emit(account, "checkout.session.async_payment_succeeded", session)

    def _intent(
        self, account: Account, amount: int, currency: str, customer: str | None, metadata: dict
    ) -> dict:
        intent: dict[str, Any] = {
            "id": self.new_id("pi"),
            "object": "payment_intent",
            "amount": amount,
            "amount_received": amount,
            "amount_refunded": 0,
            "currency": currency,
            "customer": customer,
            "metadata": metadata,
            "status": "processing",
            "payment_method": self.new_id("pm"),
            "latest_charge": None,
            "last_payment_error": None,
        }
        account.objects[intent["id"]] = intent
        return intent

    def renew(self, subscription_id: str, *, succeed: bool = True) -> dict:
        """The next period's invoice: paid (a new period) or failed (past due)."""
        return subscriptions.renew(self, subscription_id, succeed=succeed)

    def portal_cancel(self, portal_id: str) -> str:
        return subscriptions.portal_cancel(self, portal_id)

    def _off_session_charge(self, account: Account, params: dict) -> dict:
        intent = self._intent(
            account,
            int(params["amount"]),
            params["currency"],
            params.get("customer"),
            params.get("metadata", {}),
        )
        intent["payment_method"] = params.get("payment_method")
        if self.fail_off_session:
            intent["status"] = "requires_payment_method"
            raise StripeApiError(
                402,
                "card_error",
                "Your card was declined.",
                code="card_declined",
                decline_code="generic_decline",
                payment_intent=intent,
            )
        self._charge(account, intent)
        return intent

    def _refund(self, account: Account, params: dict) -> dict:
        intent = self._get(account.objects, params.get("payment_intent", ""))
        amount = int(params.get("amount", intent["amount"] - intent["amount_refunded"]))
        if amount <= 0 or intent["amount_refunded"] + amount > intent["amount"]:
            raise StripeApiError(
                400, "invalid_request_error", "Refund amount is greater than the unrefunded amount."
            )
        intent["amount_refunded"] += amount
        refund = {
            "id": self.new_id("re"),
            "object": "refund",
            "amount": amount,
            "payment_intent": intent["id"],
            "status": "succeeded",
            "metadata": params.get("metadata", {}),
        }
        account.objects[refund["id"]] = refund
        return refund
