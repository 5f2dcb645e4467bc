"""The one-click cancel link in reminders: signed for one booking and one class time,
valid until the class starts (and a week at most). Opening it shows what cancelling would
mean; one button cancels. No sign-in needed: the signature is the permission, for this
booking only. A GET never cancels (mail scanners open links)."""

from __future__ import annotations

import datetime as dt

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from reformer.bookings.actions import cancel_booking
from reformer.bookings.actions.terms import cancellation_terms
from reformer.bookings.models import Booking
from reformer.core import timeformat
from reformer.core.errors import DomainError
from reformer.core.timezones import to_local
from reformer.notifications.reminders import CANCEL_SALT

LINK_LIFETIME = dt.timedelta(days=8)


def _booking_for(token: str) -> tuple[Booking | None, str]:
    try:
        data = signing.loads(token, salt=CANCEL_SALT, max_age=LINK_LIFETIME)
    except signing.SignatureExpired:
        return None, "This cancel link has expired."
    except signing.BadSignature:
        return None, "This cancel link is not valid. Open your booking to cancel instead."
    booking = (
        Booking.objects.select_related(
            "session__class_type", "session__studio", "client__user", "client_package"
        )
        .filter(pk=data.get("b"))
        .first()
    )
    if booking is None:
        return None, "This booking no longer exists."
    if int(booking.session.starts_at.timestamp()) != data.get("s"):
        return None, "This class has moved since the reminder was sent: open your booking instead."
    if booking.session.starts_at <= timezone.now():
        return None, "This class has already started, so it can no longer be cancelled."
    if booking.status != Booking.Status.CONFIRMED:
        return None, "This booking is already cancelled."
    return booking, ""


@require_http_methods(["GET", "POST"])
def reminder_cancel(request: HttpRequest, token: str) -> HttpResponse:
    booking, problem = _booking_for(token)
    context: dict[str, object] = {"problem": problem, "booking": booking, "done": False}
    if booking is None:
        return render(request, "messaging/reminder_cancel.html", context, status=410)
    session = booking.session
    local = to_local(session.starts_at, session.studio.time_zone)
    with timeformat.activate(session.studio.organization):
        context["when"] = timeformat.when(local, "day_long_time", name_zone=True)
    context["terms"] = cancellation_terms(booking)
    if request.method == "POST":
        try:
            cancel_booking(booking.client, booking, reason="Cancelled from a reminder")
        except DomainError as exc:
            context["problem"] = exc.message
            return render(request, "messaging/reminder_cancel.html", context, status=422)
        context["done"] = True
    return render(request, "messaging/reminder_cancel.html", context)
