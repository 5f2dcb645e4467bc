"""The front desk: today's classes at their studios (each opens the class page with its
roster), and booking a client into a class from the roster."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from reformer.bookings.actions import book_session
from reformer.core.errors import AccessError, DomainError
from reformer.core.parsing import to_id
from reformer.core.permissions import (
    BOOK_FOR_CLIENT,
    LIFT_SUSPENSION,
    MARK_ATTENDANCE,
    VIEW_ROSTER,
    has_capability,
)
from reformer.core.timezones import usable_date
from reformer.onboarding.errors import BOOKING_REQUIREMENT_UNMET
from reformer.web.auth import capability_required
from reformer.web.live_render import subscription_query
from reformer.web.staff.common import actor_of, is_partial, page
from reformer.web.staff.queries import (
    CheckinDay,
    checkin_day,
    checkin_search,
    client_of,
    client_search,
    roster_session,
    suspended_clients,
)


def _int(value: str | None) -> int | None:
    return to_id(value)


def _checkin_day(request: HttpRequest, actor) -> CheckinDay:
    try:
        day = dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = None
    if day is not None and not usable_date(day):
        day = None
    return checkin_day(actor, day=day, studio_id=_int(request.GET.get("studio")))


@capability_required(VIEW_ROSTER)
def checkin(request: HttpRequest) -> HttpResponse:
    """?date=YYYY-MM-DD&studio=<id>: the classes of that day (default today, all studios)."""
    actor = actor_of(request)
    result = _checkin_day(request, actor)
    context = {
        "checkin": result,
        "previous_day": result.day - dt.timedelta(days=1),
        "next_day": result.day + dt.timedelta(days=1),
        "live_query": subscription_query(studios=[s.pk for s in result.studios]),
    }
    if not is_partial(request) and has_capability(actor, LIFT_SUSPENSION):
        # Where the suspension alert and email send staff to lift one (the whole page only:
        # the live refresh redraws the class list).
        context["suspended"] = suspended_clients(actor)
    return page(request, "staff/checkin/list.html", context, partial="staff/checkin/_list.html")


@capability_required(VIEW_ROSTER)
def checkin_find(request: HttpRequest) -> HttpResponse:
    """?q=&date=&studio=: the day's bookings whose client matches a name, email or phone,
    each with a Check in button ("Jane is here" in two taps)."""
    actor = actor_of(request)
    day = _checkin_day(request, actor)
    query = request.GET.get("q", "")[:100]
    context = {
        "checkin": day,
        "query": query.strip(),
        "matches": checkin_search(actor, day, query),
        "may_mark": has_capability(actor, MARK_ATTENDANCE),
    }
    if not is_partial(request):
        return redirect(f"{reverse('staff:checkin')}?{request.GET.urlencode()}")
    return render(request, "staff/checkin/_search_results.html", context)


BOOK_TEMPLATE = "staff/session/_book_client.html"


@capability_required(BOOK_FOR_CLIENT)
def session_book(request: HttpRequest, pk: int) -> HttpResponse:
    """GET ?q=: clients matching a name or email; POST client=<id>: book them in."""
    actor = actor_of(request)
    session = roster_session(actor, pk)
    query = request.GET.get("q", "")
    if request.method != "POST":
        results = client_search(actor, session, query)
        context = {"session": session, "results": results, "query": query}
        return page(request, "staff/session/book.html", context, partial=BOOK_TEMPLATE)
    client = client_of(actor, request.POST.get("client"))
    context = {"session": session, "results": [], "query": ""}
    try:
        book_session(
            actor,
            session,
            client=client,
            override_reason=request.POST.get("override_reason", ""),
        )
    except AccessError:
        raise
    except DomainError as error:
        if is_partial(request):
            context.update(error_message=error.message, query=client.user.name or client.user.email)
            if error.code == BOOKING_REQUIREMENT_UNMET:  # staff may override, with a reason
                context["override_client"] = client
            return render(request, BOOK_TEMPLATE, context, status=422)
        messages.error(request, error.message)
        return redirect("staff:session_detail", pk=session.pk)
    messages.success(request, f"{client.name} is booked into {session.class_type.name}.")
    if is_partial(request):
        context["booked"] = client
        return render(request, BOOK_TEMPLATE, context)
    return redirect("staff:session_detail", pk=session.pk)
