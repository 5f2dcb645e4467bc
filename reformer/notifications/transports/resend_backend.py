"""Anymail's Resend backend, sending each outbox message with Resend's `Idempotency-Key`.

A worker killed after Resend accepted an email but before we recorded it sends it again
on restart; with the key Resend answers with the first email instead of sending a second
(keys last 24 hours). Everything else is anymail's own backend.
"""

from __future__ import annotations

from anymail.backends.resend import EmailBackend as AnymailResendBackend


class EmailBackend(AnymailResendBackend):
    def build_message_payload(self, message, defaults):
        payload = super().build_message_payload(message, defaults)
        key = getattr(message, "idempotency_key", "")
        if key and not payload.is_batch():
            payload.headers["Idempotency-Key"] = key[:256]
        return payload
