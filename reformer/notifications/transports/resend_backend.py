"""Anymail's Resend backend, sending each outbox message with Resend's `Idempotency-Key`.

A worker killed after Resend accepted an email but before we recorded it sends it again
on restart; with the key Resend answers with the first email instead of sending a second
(keys last 24 hours). Its session reads proxy settings once, not per email. Everything
else is anymail's own backend.
"""

from __future__ import annotations

from anymail.backends.resend import EmailBackend as AnymailResendBackend

from reformer.notifications.transports import read_environment_once


class EmailBackend(AnymailResendBackend):
    def create_session(self):
        session = super().create_session()
        read_environment_once(session, self.api_url)
        return session

    def build_message_payload(self, message, defaults):
        payload = super().build_message_payload(message, defaults)
        key = getattr(message, "idempotency_key", "")
        if key and not payload.is_batch():
            payload.headers["Idempotency-Key"] = key[:256]
        return payload
