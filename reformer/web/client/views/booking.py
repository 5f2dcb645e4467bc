"""Booking a class and what follows: the confirmation page, the calendar file, cancelling.

The booking dialog is a fragment (htmx) or a page of its own (no JavaScript); both post to
the same view. Outcomes the client can act on (full, no credits, already booked, busy) are
rendered into the dialog with a status that says what happened (402/409/503).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget, trigger_client_event

from reformer.bookings.actions import (
    book_session,
    booking_quote,
    cancel_booking,
    cancellation_terms,
    switch_booking,
    switch_offer,
)
from reformer.bookings.context import policy_of
from reformer.bookings.errors import (
    BOOKING_ALREADY_BOOKED,
    BOOKING_INSUFFICIENT_CREDITS,
    BOOKING_OVERLAP,
)
from reformer.core.errors import VALIDATION, AccessError, DomainError, NotFound
from reformer.core.parsing import to_id
from reformer.web.client import dashboard_queries, queries
from reformer.web.client.ics import booking_calendar
from reformer.web.client.views._common import client_required, is_partial, target_of
from reformer.web.errors import status_for
from reformer.web.http import MemberRequest
from reformer.web.live_render import subscription_query
from reformer.web.toasts import add_toast


def _spot_id(request: MemberRequest) -> int | None:
    value = request.POST.get("spot", "").strip()
    if not value or value == "auto":
        return None
    if (spot_id := to_id(value)) is None:
        raise DomainError(VALIDATION, "Pick a spot from the map, or let us choose.", field="spot")
    return spot_id


@require_http_methods(["GET", "POST"])
@client_required
def book(request: MemberRequest, session_id: int) -> HttpResponse:
    actor = request.membership
    card = queries.session_card(actor, session_id)
    error: DomainError | None = None
    if request.method == "POST":
        try:
            booking = book_session(
                actor, card.session, spot=queries.spot_of(actor, _spot_id(request))
            )
        except AccessError:
            raise
        except DomainError as exc:
            error = exc
        else:
            return _booked(request, booking)
        # Show the class as it is now (it may have just filled up).
        card = queries.session_card(actor, session_id)
    return _dialog(request, card, error)


@require_POST
@client_required
def switch(request: MemberRequest, session_id: int) -> HttpResponse:
    """Give up the overlapping booking (free, within policy) and book this class instead."""
    actor = request.membership
    card = queries.session_card(actor, session_id)
    old = dashboard_queries.own_booking(actor, request.POST.get("booking", "").strip())
    try:
        booking = switch_booking(
            actor, old, card.session, spot=queries.spot_of(actor, _spot_id(request))
        )
    except AccessError:
        raise
    except DomainError as exc:
        return _dialog(request, queries.session_card(actor, session_id), exc)
    return _booked(request, booking, switched_from=old.reference)


def _booked(request: MemberRequest, booking, *, switched_from: str = "") -> HttpResponse:
    url = reverse("client:booking_detail", args=[booking.reference]) + "?new=1"
    if switched_from:
        url += f"&switched={switched_from}"
    if is_partial(request):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _dialog(request: MemberRequest, card, error: DomainError | None) -> HttpResponse:
    """The booking dialog (or page): what it costs, the policy, the room; or why not, and
    for a class overlapping one of the client's own, the offer to switch."""
    actor = request.membership
    quote = booking_quote(actor, card.session)
    switch = None
    if quote.reason is not None and quote.reason.code == BOOKING_OVERLAP:
        overlapping = quote.reason.data.get("booking")
        if overlapping is not None and overlapping.client_id == actor.pk:
            switch = switch_offer(actor, overlapping)
            if switch.allowed:  # quote the class as if that booking were given up
                quote = booking_quote(actor, card.session, switching_from=switch.booking)
    context = {
        "card": card,
        "session": card.session,
        "quote": quote,
        "switch": switch,
        "spots": queries.spot_map(actor, card.session),
        "error": error,
        "live_query": subscription_query(studios=[card.session.studio_id]),
    }
    reason = error or quote.reason
    if reason is not None and reason.code == BOOKING_INSUFFICIENT_CREDITS:
        context["products"] = dashboard_queries.products(actor)
        context["online"] = dashboard_queries.sells_online(actor)
    if reason is not None and reason.code == BOOKING_ALREADY_BOOKED:
        context["existing"] = _existing_booking(actor, reason)
    status = status_for(error) if error is not None else 200
    if is_partial(request):
        template = (
            "client/book/_body.html"
            if target_of(request) == "book-dialog-body"
            else "client/book/_dialog.html"
        )
        return render(request, template, context, status=status)
    return render(request, "client/book/page.html", context, status=status)


def _existing_booking(actor, error: DomainError):
    existing = error.data.get("booking")
    if existing is None:
        return None
    try:
        return dashboard_queries.own_booking(actor, existing.reference)
    except NotFound:
        return None


@require_GET
@client_required
def booking_detail(request: MemberRequest, reference: str) -> HttpResponse:
    actor = request.membership
    booking = dashboard_queries.own_booking(actor, reference)
    return render(
        request,
        "client/booking_detail.html",
        {
            "booking": booking,
            "session": booking.session,
            "terms": cancellation_terms(booking),
            "policy": policy_of(booking.session),
            "just_booked": request.GET.get("new") == "1" and booking.is_active,
            "switched_from": _switched_from(actor, request.GET.get("switched", "")),
        },
    )


def _switched_from(actor, reference: str):
    """The booking a switch gave up, to say so on the new booking's page."""
    if not reference.strip():
        return None
    try:
        booking = dashboard_queries.own_booking(actor, reference.strip())
    except NotFound:
        return None
    return None if booking.is_active else booking


@require_GET
@client_required
def booking_ics(request: MemberRequest, reference: str) -> HttpResponse:
    booking = dashboard_queries.own_booking(request.membership, reference)
    base_url = f"{request.scheme}://{request.get_host()}"
    response = HttpResponse(
        booking_calendar(booking, base_url=base_url), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="class-{booking.reference}.ics"'
    return response


@require_http_methods(["GET", "POST"])
@client_required
def cancel(request: MemberRequest, reference: str) -> HttpResponse:
    """GET: the dialog stating what cancelling now means. POST: cancel."""
    actor = request.membership
    booking = dashboard_queries.own_booking(actor, reference)
    from_dashboard = request.GET.get("from") == "dashboard" or request.POST.get("from") == (
        "dashboard"
    )
    context = {"booking": booking, "from_dashboard": from_dashboard}
    if request.method == "GET":
        context["terms"] = cancellation_terms(booking)
        partial = is_partial(request)
        template = "client/cancel/_dialog.html" if partial else "client/cancel/page.html"
        return render(request, template, context)
    try:
        cancelled = cancel_booking(actor, booking)
    except AccessError:
        raise
    except DomainError as exc:
        context.update(terms=cancellation_terms(booking), error=exc)
        if not is_partial(request):
            return render(request, "client/cancel/page.html", context, status=status_for(exc))
        response = render(request, "client/cancel/_body.html", context, status=status_for(exc))
        return reswap(retarget(response, "#cancel-dialog-body"), "innerHTML")
    message = _cancelled_message(cancelled)
    if is_partial(request) and target_of(request) == "dashboard-main":
        response = render(
            request,
            "client/dashboard/_main.html",
            {"dash": dashboard_queries.dashboard(actor), "tz": actor.organization.time_zone},
        )
        trigger_client_event(response, "reformer:close-dialog", after="swap")
        return add_toast(response, message)
    messages.success(request, message)
    url = reverse("client:booking_detail", args=[cancelled.reference])
    return HttpResponseClientRedirect(url) if is_partial(request) else redirect(url)


def _cancelled_message(booking) -> str:
    if booking.credit_returned:
        return "Booking cancelled. Your credit is back in your package."
    if booking.status == "late_cancelled" and booking.client_package_id:
        package = booking.client_package
        if package is not None and not package.is_unlimited:
            return "Booking cancelled. It was a late cancellation, so the studio keeps the credit."
    return "Booking cancelled."
