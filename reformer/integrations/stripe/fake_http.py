"""The fake Stripe's HTTP side: the API endpoints the stripe client calls, and the hosted
checkout and portal pages that stand in for Stripe's (see fake.py for the state)."""

from __future__ import annotations

import html
import json
import re
import secrets
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from reformer.integrations.stripe.fake import FakeStripe, unflatten


class FakeStripeHandler(BaseHTTPRequestHandler):
    fake: FakeStripe
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _api(self, method: str) -> None:
        url = urlsplit(self.path)
        pairs = parse_qsl(url.query) + parse_qsl(self._body().decode())
        key = (self.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        status, body, replayed = self.fake.respond(
            method, url.path, key, unflatten(pairs), self.headers.get("Idempotency-Key")
        )
        headers = {"Request-Id": f"req_{secrets.token_hex(6)}"}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        self._send(status, json.dumps(body).encode(), "application/json", **headers)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path.startswith("/v1/"):
            return self._api("GET")
        if match := re.fullmatch(r"/checkout/([\w]+)", path):
            return self._checkout_page(match.group(1))
        if match := re.fullmatch(r"/portal/([\w]+)", path):
            return self._page(
                "Manage your membership",
                """
              <form method="post"><button id="cancel-membership">Cancel membership</button>
              </form>""",
            )
        if path.startswith("/receipts/"):
            return self._page("Receipt", "<p>Paid. Thank you.</p>")
        self._send(404, b"not found", "text/plain")

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if path.startswith("/v1/"):
            return self._api("POST")
        if match := re.fullmatch(r"/checkout/([\w]+)", path):
            form = dict(parse_qsl(self._body().decode()))
            redirect, error = self.fake.pay(match.group(1), form.get("card", ""))
            if redirect:
                return self._send(303, b"", "text/plain", Location=redirect)
            return self._checkout_page(match.group(1), error=error, status=402)
        if match := re.fullmatch(r"/portal/([\w]+)", path):
            return self._send(
                303, b"", "text/plain", Location=self.fake.portal_cancel(match.group(1))
            )
        self._send(404, b"not found", "text/plain")

    def do_DELETE(self) -> None:
        self._api("DELETE")

    def _checkout_page(
        self, session_id: str, *, error: str | None = None, status: int = 200
    ) -> None:
        try:
            _, session = self.fake.find(session_id)
        except KeyError:
            return self._send(404, b"no such session", "text/plain")
        amount = f"{session['amount_total'] / 100:.2f} {session['currency'].upper()}"
        every = " / month" if session["mode"] == "subscription" else ""
        alert = f'<p role="alert" id="card-error">{html.escape(error)}</p>' if error else ""
        cancel = html.escape(session["cancel_url"] or "/")
        self._page(
            "Checkout",
            f"""
          <h1>{html.escape(session["product_name"])}</h1>
          <p id="amount">{amount}{every}</p>{alert}
          <form method="post">
            <label>Card number <input name="card" id="card" autocomplete="off"></label>
            <button id="pay">Pay</button>
          </form>
          <p><a id="back" href="{cancel}">Back</a></p>""",
            status,
        )

    def _page(self, title: str, body: str, status: int = 200) -> None:
        page = f"<!doctype html><html lang=en><title>{title} (fake Stripe)</title>{body}</html>"
        self._send(status, page.encode(), "text/html; charset=utf-8")
