"""The banner asking a person to fix an address we stopped using (a hard bounce or spam
complaint on their email; a number reported invalid)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from reformer.notifications.models import RecipientSettings


def address_banner(request: HttpRequest) -> HttpResponse:
    """The banner (or nothing), loaded by every signed-in page after it renders, so pages
    pay no query for it."""
    context = address_problem(request)
    if not context:
        return HttpResponse("")
    return render(request, "messaging/_address_banner.html", context)


def address_problem(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    chosen = RecipientSettings.objects.filter(user=user).first()
    if chosen is None:
        return {}
    problem = ""
    if chosen.email_suppressed_for(user.email):
        problem = (
            f"Emails to {user.email} are bouncing, so we stopped sending them "
            f"({chosen.email_suppressed_reason}). Update your email address to get booking "
            "emails and reminders again."
        )
    elif chosen.phone_invalid_number and chosen.phone_invalid_number == chosen.sms_phone:
        problem = (
            f"Texts to {chosen.sms_phone} can't be delivered. Add a mobile number that can "
            "receive texts, or we'll keep using email."
        )
    return {"address_problem": problem} if problem else {}
