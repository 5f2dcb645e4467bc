"""The per-organization Stripe webhook endpoint: /webhooks/stripe/<token>/.

Answers fast (Stripe waits at most 30 s): verify, store once, enqueue; the job applies it.
400 for a bad signature or body (nothing stored), 404 for an unknown endpoint, 200 for
a stored event and for a replay of one.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from reformer.core.errors import NotFound
from reformer.payments.actions.events import BadWebhook, receive_webhook

MAX_BODY_BYTES = 512 * 1024


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest, token: str) -> HttpResponse:
    if len(request.body) > MAX_BODY_BYTES:
        return JsonResponse({"error": "Payload too large."}, status=413)
    try:
        stored = receive_webhook(token, request.body, request.headers.get("Stripe-Signature"))
    except BadWebhook as error:
        return JsonResponse({"error": error.message}, status=400)
    except NotFound:
        return JsonResponse({"error": "Unknown endpoint."}, status=404)
    return JsonResponse({"received": True, "duplicate": not stored})
