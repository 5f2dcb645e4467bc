"""The instructor's dashboard (PHX-12) and the class page shared with the front desk: the
roster (in the page's first response, updated live), quick attendance buttons, the
waitlist, and private class notes."""

from __future__ import annotations

from django.contrib import messages
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from reformer.bookings.actions import check_in_all, mark_attendance, undo_attendance
from reformer.core.errors import VALIDATION, AccessError, DomainError
from reformer.core.permissions import (
    BOOK_FOR_CLIENT,
    EDIT_SESSION_NOTES,
    MANAGE_SCHEDULE,
    MARK_ATTENDANCE,
    has_capability,
    require,
)
from reformer.scheduling.actions import set_session_notes
from reformer.web.auth import staff_required
from reformer.web.db_timeout import statement_timeout, timed_out
from reformer.web.live_render import subscription_query
from reformer.web.staff.common import (
    actor_of,
    is_partial,
    page,
    roster_counts_oob,
    roster_permissions,
)
from reformer.web.staff.forms import AttendanceForm, NotesForm
from reformer.web.staff.queries import (
    ROSTER_ORDERS,
    instructor_classes,
    roster_booking,
    roster_for,
    roster_session,
)

# The roster's two queries take milliseconds; past this the page is sent without it (its
# skeleton fetches it after load) rather than keep the front desk waiting on a blank page.
ROSTER_TIMEOUT_MS = 5_000


@staff_required
def instructor_dashboard(request: HttpRequest) -> HttpResponse:
    """My classes: the next 30 days grouped by date, today first; ?view=past for the last
    30 days with attendance summaries."""
    actor = actor_of(request)
    show_past = request.GET.get("view") == "past"
    classes = instructor_classes(actor, show_past=show_past)
    context = {"classes": classes, "show_past": show_past}
    return page(
        request,
        "staff/instructor/dashboard.html",
        context,
        partial="staff/instructor/_classes.html",
    )


def _permissions(actor, session) -> dict:
    return {
        **roster_permissions(actor, session),
        "roster_orders": (("spot", "By spot"), ("name", "By name")),
        "may_edit_notes": has_capability(actor, EDIT_SESSION_NOTES, session=session),
        "may_book": has_capability(actor, BOOK_FOR_CLIENT, studio=session.studio),
        "may_cancel": has_capability(actor, MANAGE_SCHEDULE, session=session),
    }


def _order(value: str | None) -> str:
    return value if value in ROSTER_ORDERS else "spot"


def _roster_html(request: HttpRequest, actor, session, order: str) -> SafeString | None:
    """The roster fragment, its queries under ROSTER_TIMEOUT_MS; None when they time out."""
    try:
        with statement_timeout(ROSTER_TIMEOUT_MS):
            context = {"roster": roster_for(actor, session, order), **_permissions(actor, session)}
            return render_to_string("staff/session/_roster.html", context, request)
    except OperationalError as error:
        if not timed_out(error):
            raise
    return None


@staff_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The class page with its roster (the page's main content: no request after load).
    When the roster's queries time out, the page comes without it and its skeleton fetches
    `session_roster` after load; a failure there leaves the rest of the page working, with
    a Retry (roster.js)."""
    actor = actor_of(request)
    session = roster_session(actor, pk)
    order = _order(request.GET.get("sort"))
    context = {
        "session": session,
        "roster_html": _roster_html(request, actor, session, order),
        "roster_order": order,
        "notes_form": NotesForm(initial={"private_notes": session.private_notes}),
        "live_query": subscription_query(sessions=[session.pk]),
        **_permissions(actor, session),
    }
    return render(request, "staff/session/detail.html", context)


@staff_required
def session_roster(request: HttpRequest, pk: int) -> HttpResponse:
    """The roster fragment (bookings, attendance, waitlist) for its refreshes: sorting, live
    resync, Retry, and the page's fallback; the full page (in that order) without htmx. A
    timeout answers 503, which the page shows as "Unable to load roster" with a Retry."""
    actor = actor_of(request)
    session = roster_session(actor, pk)
    order = _order(request.GET.get("sort"))
    if not is_partial(request):
        if order == "spot":
            return redirect("staff:session_detail", pk=session.pk)
        return redirect(f"{reverse('staff:session_detail', args=[session.pk])}?sort={order}")
    html = _roster_html(request, actor, session, order)
    if html is None:
        return HttpResponse("The roster took too long to load.", status=503)
    return HttpResponse(html)


@require_POST
@staff_required
def session_checkin_all(request: HttpRequest, pk: int) -> HttpResponse:
    """Check in everyone still unmarked; the roster is re-rendered in its current order."""
    actor = actor_of(request)
    session = roster_session(actor, pk)
    order = _order(request.POST.get("sort"))
    try:
        result = check_in_all(actor, session)
    except AccessError:
        raise
    except DomainError as error:
        if not is_partial(request):
            raise
        messages.error(request, error.message)
        status = 422
    else:
        marked = len(result.marked)
        text = f"{marked} client{'s' if marked != 1 else ''} checked in."
        if result.refused:
            text += " Not checked in: " + "; ".join(
                f"{booking.client.name} ({message})" for booking, message in result.refused
            )
        messages.success(request, text)
        status = 200
    if not is_partial(request):
        return redirect("staff:session_detail", pk=session.pk)
    context = {"roster": roster_for(actor, session, order), **_permissions(actor, session)}
    return render(request, "staff/session/_roster.html", context, status=status)


def _row(request: HttpRequest, actor, booking_id: int, status: int = 200) -> HttpResponse:
    """The client's row again: on the roster, or in the check-in search (`row=search`)."""
    booking = roster_booking(actor, booking_id)
    context = {
        "booking": booking,
        "session": booking.session,
        **roster_permissions(actor, booking.session),
    }
    if request.POST.get("row") == "search":
        return render(request, "staff/checkin/_search_row.html", context, status=status)
    response = render(request, "staff/session/_roster_row.html", context, status=status)
    response.write(roster_counts_oob(actor, booking.session))
    return response


@require_POST
@staff_required
def booking_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """Attended / Late / No-show, saved at once; htmx swaps the client's row."""
    actor = actor_of(request)
    booking = roster_booking(actor, pk)
    require(actor, MARK_ATTENDANCE, session=booking.session)
    form = AttendanceForm(request.POST)
    if not form.is_valid():
        raise DomainError(VALIDATION, "Choose Attended, Late or No-show.")
    status = form.cleaned_data["status"]
    try:
        if status == "no_show":
            marked = mark_attendance(actor, booking, "no_show")
        elif status == "late":
            marked = mark_attendance(actor, booking, "attended", late=True)
        else:
            # "Attended" lets the check-in time decide lateness (PHX-19: checked in inside
            # the grace period is attended-late); pressed on a row already marked late, it
            # corrects that to on time.
            already_late = booking.status == "attended" and booking.is_late
            marked = mark_attendance(
                actor, booking, "attended", late=False if already_late else None
            )
    except AccessError:
        raise
    except DomainError as error:
        if not is_partial(request):
            raise
        response = _row(request, actor, pk, status=422)
        messages.error(request, error.message)
        return response
    label = "a no-show" if status == "no_show" else "attended"
    if marked.status == "attended" and marked.is_late:
        label = "attended (late)"
    messages.success(request, f"{booking.client.name} marked {label}.")
    if is_partial(request):
        return _row(request, actor, pk)
    return redirect("staff:session_detail", pk=booking.session_id)


@require_POST
@staff_required
def booking_undo(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    booking = roster_booking(actor, pk)
    require(actor, MARK_ATTENDANCE, session=booking.session)
    try:
        undo_attendance(actor, booking)
    except AccessError:
        raise
    except DomainError as error:
        if not is_partial(request):
            raise
        messages.error(request, error.message)
        return _row(request, actor, pk, status=422)
    messages.success(request, f"Attendance of {booking.client.name} undone.")
    if is_partial(request):
        return _row(request, actor, pk)
    return redirect("staff:session_detail", pk=booking.session_id)


@require_POST
@staff_required
def session_notes(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the private notes (instructor of the class, managers, owners); htmx swaps the
    notes form with a "Saved" confirmation."""
    actor = actor_of(request)
    session = roster_session(actor, pk)
    require(actor, EDIT_SESSION_NOTES, session=session)
    form = NotesForm(request.POST)
    context = {"session": session, "notes_form": form, "may_edit_notes": True}
    if form.is_valid():
        try:
            set_session_notes(actor, session, notes=form.cleaned_data["private_notes"])
        except AccessError:
            raise
        except DomainError as error:
            form.add_error("private_notes", error.message)
        else:
            context["saved"] = True
    status = 200 if form.is_valid() and not form.errors else 422
    if is_partial(request):
        return render(request, "staff/session/_notes.html", context, status=status)
    if status == 200:
        messages.success(request, "Notes saved.")
        return redirect("staff:session_detail", pk=session.pk)
    return render(
        request,
        "staff/session/detail.html",
        {
            **context,
            "roster_html": _roster_html(request, actor, session, "spot"),
            "live_query": "",
            **_permissions(actor, session),
        },
        status=status,
    )
