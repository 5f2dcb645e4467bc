"""A person's own messaging settings, shown on the profile's Notifications tab: waitlist and
package warning preferences, text messages (opt in with a code sent to the number, turn
off), and why an address is not used (a bounce, an invalid number, a STOP reply)."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from reformer.core.errors import DomainError
from reformer.notifications import preferences, sms_consent
from reformer.web.auth import membership_required
from reformer.web.errors import is_htmx
from reformer.web.http import MemberRequest

CARD = "messaging/_my_messages.html"


def _card(request: MemberRequest, *, status: int = 200, **extra) -> HttpResponse:
    """The card again (htmx), or back to the profile tab with a toast (no JavaScript)."""
    if not is_htmx(request):
        if extra.get("error"):
            messages.error(request, extra["error"])
        elif extra.get("notice"):
            messages.success(request, extra["notice"])
        return redirect(f"{reverse('profile:edit')}?tab=notifications")
    return render(request, CARD, {**_card_context(request), **extra}, status=status)


@require_http_methods(["GET", "POST"])
@membership_required
def my_messages(request: MemberRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, CARD, _card_context(request))
    with transaction.atomic():
        chosen = preferences.settings_for_update(request.user)
        chosen.notify_waitlist_changes = request.POST.get("waitlist_changes") == "on"
        chosen.notify_package_warnings = request.POST.get("package_warnings") == "on"
        chosen.save(update_fields=["notify_waitlist_changes", "notify_package_warnings"])
    return _card(request, notice="Saved.")


def _card_context(request: MemberRequest) -> dict:
    chosen = preferences.settings_for(request.user)
    return {
        "chosen": chosen,
        "sms_number": preferences.sms_number(request.user, chosen),
        "phone_value": chosen.pending_phone or chosen.sms_phone or request.user.phone,
        "error": "",
        "notice": "",
    }


@require_POST
@membership_required
def texts_start(request: MemberRequest) -> HttpResponse:
    try:
        sms_consent.start_opt_in(
            request.user,
            request.POST.get("phone", ""),
            organization=request.membership.organization,
        )
    except DomainError as exc:
        return _card(
            request, status=422, error=exc.message, phone_value=request.POST.get("phone", "")
        )
    return _card(request, notice="We texted you a 6-digit code. Enter it below to turn texts on.")


@require_POST
@membership_required
def texts_confirm(request: MemberRequest) -> HttpResponse:
    try:
        sms_consent.confirm_opt_in(
            request.user, request.POST.get("code", ""), organization=request.membership.organization
        )
    except DomainError as exc:
        return _card(request, status=422, error=exc.message)
    return _card(request, notice="Text messages are on. Reply STOP to any text to turn them off.")


@require_POST
@membership_required
def texts_off(request: MemberRequest) -> HttpResponse:
    sms_consent.turn_off(request.user)
    return _card(request, notice="Text messages are off.")
