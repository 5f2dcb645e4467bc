"""Twilio's webhooks: delivery status callbacks and inbound texts (STOP, START, HELP).

Both are verified with twilio-python's RequestValidator against the URL Twilio called
(SITE_URL + path, as given to Twilio in status_callback, or the request's own URL); a
missing or wrong X-Twilio-Signature gets 403 and changes nothing. Email tracking webhooks
are anymail's own views (verified by anymail: Svix signatures for Resend, its basic-auth
secret for others; refused with 403 when nothing verifies them), mounted under
/webhooks/anymail/ by email_webhooks.py, whose signal notifications.tracking receives.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from reformer.core.parsing import to_id
from reformer.notifications import sms_consent, tracking
from reformer.notifications.transports.sms import INVALID_NUMBER_CODES

logger = logging.getLogger(__name__)

# Statuses before the carrier's answer carry nothing staff need.
_INTERIM_STATUSES = {"accepted", "queued", "sending", "scheduled"}
# Every MessageStatus Twilio documents for an outgoing message. Anything else (even signed)
# is refused with a 400: it cannot be a status, and an unbounded value would not fit the
# history's event id column (a 500).
_KNOWN_STATUSES = _INTERIM_STATUSES | {
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "canceled",
    "read",
    "partially_delivered",
    "receiving",
    "received",
}
# Twilio message SIDs are 34 characters ("SM" or "MM" + 32 hex digits).
_MAX_SID_LENGTH = 64
# E.164 is at most 15 digits and a "+"; the stored sender column holds 20.
_MAX_NUMBER_LENGTH = 20


def _verified(request: HttpRequest) -> bool:
    token = settings.TWILIO_AUTH_TOKEN
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    validator = RequestValidator(token)
    candidates = {f"{settings.SITE_URL}{request.get_full_path()}", request.build_absolute_uri()}
    return any(validator.validate(url, request.POST, signature) for url in candidates)


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    if not _verified(request):
        logger.warning("Twilio status callback with a missing or wrong signature refused")
        return HttpResponseForbidden("Invalid signature.")
    sid = request.POST.get("MessageSid", "").strip()
    status = request.POST.get("MessageStatus", "").strip().lower()
    if not sid or not status:
        return HttpResponseBadRequest("MessageSid and MessageStatus are required.")
    if status not in _KNOWN_STATUSES or len(sid) > _MAX_SID_LENGTH:
        logger.warning("Twilio status callback with an unknown status or SID refused")
        return HttpResponseBadRequest("Unknown MessageStatus or malformed MessageSid.")
    if status in _INTERIM_STATUSES:
        return HttpResponse(status=204)
    error_code = request.POST.get("ErrorCode", "").strip()
    detail = f"Twilio error {error_code}" if error_code else f"Twilio: {status}"
    tracking.record_provider_event(
        provider_message_id=sid,
        provider_event_id=f"twilio:{sid}:{status}",
        status=tracking.TWILIO_STATUS.get(status, ""),
        occurred_at=None,
        detail=detail,
        data={"invalid_number": to_id(error_code) in INVALID_NUMBER_CODES},
    )
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    if not _verified(request):
        logger.warning("Twilio inbound message with a missing or wrong signature refused")
        return HttpResponseForbidden("Invalid signature.")
    sid = request.POST.get("MessageSid", "").strip()
    sender = request.POST.get("From", "").strip()
    if not sid or not sender:
        return HttpResponseBadRequest("MessageSid and From are required.")
    if len(sid) > _MAX_SID_LENGTH or len(sender) > _MAX_NUMBER_LENGTH:
        # Not Twilio's shapes; stored as they are, they would not fit their columns.
        return HttpResponseBadRequest("Malformed MessageSid or From.")
    _kind, reply = sms_consent.handle_inbound(
        sid=sid, from_number=sender, body=request.POST.get("Body", "")
    )
    twiml = MessagingResponse()
    if reply:
        twiml.message(reply)
    return HttpResponse(str(twiml), content_type="text/xml")
