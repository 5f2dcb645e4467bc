"""Email through Django's email API: an anymail provider (Resend first; Postmark, Mailgun,
Amazon SES, SendGrid by settings alone), SMTP, or files in the data folder."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import smtplib
import threading
from collections.abc import Sequence

from anymail.exceptions import (
    AnymailAPIError,
    AnymailInvalidAddress,
    AnymailRecipientsRefused,
)
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email

from reformer.notifications.attachments import Attachment
from reformer.notifications.errors import PermanentDeliveryError, TransientDeliveryError
from reformer.notifications.transports import SendResult

_local = threading.local()
_ADDRESS_ERROR = re.compile(r"`to`|\bto\b field|recipient|email address", re.IGNORECASE)


def provider_name() -> str:
    """ "resend", "postmark", ..., "smtp", "file" or "locmem": who takes our email."""
    backend = settings.EMAIL_BACKEND
    if backend.startswith("anymail.") or backend.startswith("reformer.notifications"):
        return getattr(settings, "EMAIL_PROVIDER", "") or backend.split(".")[-2]
    return {
        "django.core.mail.backends.smtp.EmailBackend": "smtp",
        "django.core.mail.backends.filebased.EmailBackend": "file",
        "django.core.mail.backends.locmem.EmailBackend": "locmem",
        "django.core.mail.backends.console.EmailBackend": "console",
    }.get(backend, backend.rsplit(".", 2)[-2])


def _connection():
    """One open connection per thread for HTTP providers (a kept-alive session to the
    provider instead of a new TLS handshake per email); Django's default otherwise."""
    backend = settings.EMAIL_BACKEND
    if not (backend.startswith("anymail.") or backend.startswith("reformer.notifications")):
        return None
    key = (backend, repr(getattr(settings, "ANYMAIL", {})))
    cached = getattr(_local, "connection", None)
    if cached is None or cached[0] != key:
        connection = get_connection(backend)
        connection.open()
        _local.connection = cached = (key, connection)
    return cached[1]


def sender_address(sender_name: str) -> str:
    _name, address = email.utils.parseaddr(settings.DEFAULT_FROM_EMAIL)
    return email.utils.formataddr((sender_name, address)) if sender_name else address


def send_email(
    *,
    to: str,
    subject: str,
    text: str,
    html: str,
    sender_name: str,
    reply_to: str,
    idempotency_key: str,
    message_id: int | None = None,
    attachments: Sequence[Attachment] = (),
) -> SendResult:
    if not to:
        raise PermanentDeliveryError("No email address.", invalid_address=True)
    try:
        validate_email(to)
    except ValidationError as exc:
        raise PermanentDeliveryError(
            f"{to!r} is not a valid email address.", invalid_address=True
        ) from exc
    headers = {"X-Reformer-Message": str(message_id)} if message_id else {}
    mail = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=sender_address(sender_name),
        to=[to],
        reply_to=[reply_to] if reply_to else None,
        headers=headers,
        connection=_connection(),
    )
    setattr(mail, "idempotency_key", idempotency_key)  # noqa: B010 - read by our Resend backend
    if html:
        mail.attach_alternative(html, "text/html")
    for attachment in attachments:
        mail.attach(attachment.filename, attachment.content, attachment.mimetype)
    try:
        mail.send()
    except (smtplib.SMTPRecipientsRefused, AnymailRecipientsRefused, AnymailInvalidAddress) as exc:
        raise PermanentDeliveryError(
            f"The address was refused: {exc}", invalid_address=True
        ) from exc
    except AnymailAPIError as exc:
        raise _classify_api_error(exc) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TransientDeliveryError(f"The mail server failed: {exc}") from exc
    status = getattr(mail, "anymail_status", None)
    provider_id = str(status.message_id) if status is not None and status.message_id else ""
    return SendResult(provider=provider_name(), provider_id=provider_id[:255])


def _classify_api_error(exc: AnymailAPIError) -> Exception:
    status = getattr(exc, "status_code", None)
    response = getattr(exc, "response", None)
    summary = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if status == 429 or status is None or status >= 500:
        retry_after = _retry_after(response)
        return TransientDeliveryError(
            f"The email provider is unavailable ({status or 'no answer'}): {summary}",
            retry_after=retry_after,
        )
    if status in (401, 403):
        # Our credentials or domain: no message will pass, but it is not this one's fault.
        return TransientDeliveryError(f"The email provider refused our credentials: {summary}")
    body = getattr(response, "text", "") or ""
    # A validation error about the recipient ("Invalid `to` field") means a bad address.
    about_address = bool(_ADDRESS_ERROR.search(body)) and status in (400, 422)
    return PermanentDeliveryError(
        f"The email provider refused the message ({status}): {summary}",
        invalid_address=about_address,
    )


def _retry_after(response) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), if any."""
    raw = response.headers.get("Retry-After", "") if response is not None else ""
    return parse_retry_after(raw)


def parse_retry_after(raw: str) -> float | None:
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, (parsed - dt.datetime.now(dt.UTC)).total_seconds())
