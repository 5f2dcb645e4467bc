"""The person's devices that receive push notifications (PHX-26), in their profile:
the list with Remove, and the endpoint the page posts a new subscription to (JSON)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from reformer.core.errors import AccessError, DomainError
from reformer.core.parsing import to_id
from reformer.notifications import push
from reformer.notifications.errors import PUSH_UNSAFE_ENDPOINT
from reformer.notifications.transports.push import application_server_key
from reformer.web.errors import is_htmx
from reformer.web.http import SignedInRequest


def _panel(request: SignedInRequest, status: int = 200, **extra) -> HttpResponse:
    context = {
        "devices": push.devices_of(request.user),
        "public_key": application_server_key(),
        "sms_on": request.user.notify_sms,
        **extra,
    }
    return render(request, "pwa/_devices.html", context, status=status)


@require_GET
@login_required
def devices(request: SignedInRequest) -> HttpResponse:
    return _panel(request)


@require_POST
@login_required
def subscribe(request: SignedInRequest) -> JsonResponse:
    """{"endpoint", "keys": {"p256dh", "auth"}} as the browser's PushSubscription.toJSON()."""
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"error": "The subscription could not be read."}, status=400)
    if not isinstance(data, dict) or not isinstance(data.get("keys"), dict):
        return JsonResponse({"error": "The subscription has no keys."}, status=400)
    try:
        subscription = push.register_subscription(
            request.user,
            endpoint=data.get("endpoint"),
            p256dh=data["keys"].get("p256dh"),
            auth=data["keys"].get("auth"),
            user_agent=request.headers.get("User-Agent", ""),
        )
    except AccessError:
        raise
    except DomainError as error:
        status = 400 if error.code == PUSH_UNSAFE_ENDPOINT else 422
        return JsonResponse({"error": error.message}, status=status)
    return JsonResponse({"id": subscription.pk, "device": subscription.device}, status=201)


@require_POST
@login_required
def remove(request: SignedInRequest, pk: int) -> HttpResponse:
    push.remove_subscription(request.user, to_id(pk))
    notice = "That device will no longer get notifications."
    if is_htmx(request):
        return _panel(request, saved=notice)
    messages.success(request, notice)
    return redirect(f"{reverse('profile:edit')}?tab=notifications")
