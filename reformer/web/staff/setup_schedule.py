"""The schedule: a studio's week (classes needing an instructor highlighted), scheduling a
single class, weekly classes (recurring templates) and generating their sessions, assigning
an instructor, and cancelling a class."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from reformer.bookings.actions import cancel_session
from reformer.core.errors import DomainError
from reformer.core.permissions import (
    BOOK_FOR_CLIENT,
    MANAGE_SCHEDULE,
    VIEW_SCHEDULE,
    has_capability,
)
from reformer.core.timezones import local_to_utc, local_today, to_local, usable_date
from reformer.scheduling import actions as scheduling
from reformer.studios.validation import WEEKDAYS, clock, day_label, plural
from reformer.web.auth import capability_required, staff_required
from reformer.web.live_render import subscription_query
from reformer.web.staff.common import (
    actor_of,
    is_partial,
    page,
    refused,
    session_for,
    studio_for,
    template_for,
)
from reformer.web.staff.forms import (
    AssignInstructorForm,
    CancelSessionForm,
    SessionForm,
    TemplateForm,
)
from reformer.web.staff.queries import studios_in_scope
from reformer.web.staff.schedule_grid import week_grid
from reformer.web.staff.setup_queries import (
    active_class_types,
    instructors_for,
    rooms_of,
    templates_of,
    week_schedule,
)

WEEK_TEMPLATE = "staff/schedule/week.html"


def _parse_date(value: str | None) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is not None and usable_date(day) else None


def _studio_from_query(request: HttpRequest, capability: str):
    """The studio named by ?studio= (default: the first the actor reaches), authorized."""
    actor = actor_of(request)
    studio_id = request.GET.get("studio") or request.POST.get("studio")
    if studio_id:
        return studio_for(actor, studio_id, capability)
    studios = studios_in_scope(actor)
    return studio_for(actor, studios[0].pk, capability) if studios else None


@staff_required
def schedule(request: HttpRequest) -> HttpResponse:
    """The week of one studio: ?studio=<id>&week=<any date in the week>&view=grid|list
    (the grid: days across, rooms as lanes, time down; the list: every class with its
    instructor picker)."""
    actor = actor_of(request)
    studio = _studio_from_query(request, VIEW_SCHEDULE)
    if studio is None:
        return render(request, WEEK_TEMPLATE, {"studio": None, "studios": []})
    day = _parse_date(request.GET.get("week")) or local_today(studio.time_zone)
    week = week_schedule(actor, studio, day - dt.timedelta(days=day.weekday()))
    may_manage = has_capability(actor, MANAGE_SCHEDULE, studio=studio)
    view = "list" if request.GET.get("view") == "list" else "grid"
    context = {
        "studio": studio,
        "studios": studios_in_scope(actor),
        "week": week,
        "view": view,
        "grid": week_grid(week, rooms_of(studio)) if view == "grid" else None,
        "may_manage": may_manage,
        "may_book": has_capability(actor, BOOK_FOR_CLIENT, studio=studio),
        "instructors": instructors_for(actor, studio) if may_manage else [],
        "live_query": subscription_query(studios=[studio.pk]),
    }
    return page(request, WEEK_TEMPLATE, context, partial="staff/schedule/_week.html")


def week_url(session, view: str = "") -> str:
    day = to_local(session.starts_at, session.studio.time_zone).date()
    url = f"{reverse('staff:schedule')}?studio={session.studio_id}&week={day.isoformat()}"
    return url + ("&view=list" if view == "list" else "")


# ------------------------------------------------------------------------ single classes


def _schedule_choices(actor, studio) -> dict:
    return {
        "rooms": rooms_of(studio),
        "class_types": active_class_types(actor),
        "instructors": instructors_for(actor, studio),
    }


@capability_required(MANAGE_SCHEDULE)
def session_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    studio = _studio_from_query(request, MANAGE_SCHEDULE)
    if studio is None:
        messages.info(request, "Add a studio first.")
        return redirect("staff:studios")
    initial = {"date": _parse_date(request.GET.get("date")) or local_today(studio.time_zone)}
    form = SessionForm(request.POST or None, initial=initial, **_schedule_choices(actor, studio))
    context = {"form": form, "studio": studio, "studios": studios_in_scope(actor)}
    template = "staff/schedule/session_form.html"
    if request.method != "POST":
        return render(request, template, context)
    if not form.is_valid():
        return render(request, template, context, status=422)
    data = form.cleaned_data
    try:
        session = scheduling.create_session(
            actor,
            studio=studio,
            room=data["room"],
            class_type=data["class_type"],
            starts_at=local_to_utc(data["date"], data["start_time"], studio.time_zone),
            instructor=data["instructor"],
            capacity=data["capacity"],
            duration_minutes=data["duration_minutes"],
        )
    except DomainError as error:
        if error.data.get("field") == "starts_at":
            error.data["field"] = "start_time"
        return refused(request, error, template, context)
    messages.success(
        request,
        f"{session.class_type.name} scheduled on {day_label(data['date'])} at "
        f"{clock(data['start_time'])}.",
    )
    return redirect(f"{reverse('staff:schedule')}?studio={studio.pk}&week={data['date']}")


@capability_required(MANAGE_SCHEDULE)
def session_instructor(request: HttpRequest, pk: int) -> HttpResponse:
    """Assign (or take off) the instructor of a class; htmx re-renders the class's row."""
    actor = actor_of(request)
    session = session_for(actor, pk, MANAGE_SCHEDULE)
    instructors = instructors_for(actor, session.studio)
    form = AssignInstructorForm(
        request.POST or None, rooms=[], class_types=[], instructors=instructors
    )
    context = {"session": session, "instructors": instructors, "may_manage": True}
    if request.method == "POST" and form.is_valid():
        try:
            session = scheduling.assign_instructor(
                actor, session, instructor=form.cleaned_data["instructor"]
            )
        except DomainError as error:
            context["error_message"] = error.message
            if is_partial(request):
                return refused(request, error, "staff/schedule/_session_row.html", context)
            messages.error(request, error.message)
        else:
            context["session"] = session_for(actor, pk, MANAGE_SCHEDULE)
            name = session.instructor.name if session.instructor else "No instructor"
            messages.success(request, f"{name} assigned to {session.class_type.name}.")
    if is_partial(request):
        return render(request, "staff/schedule/_session_row.html", context)
    return redirect(week_url(session))


@capability_required(MANAGE_SCHEDULE)
def session_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation dialog (how many clients are refunded and told); POST: cancel."""
    actor = actor_of(request)
    session = session_for(actor, pk, MANAGE_SCHEDULE)
    form = CancelSessionForm(request.POST or None)
    view = "list" if "list" in (request.GET.get("view"), request.POST.get("view")) else ""
    context = {"session": session, "form": form, "view": view}
    template = "staff/schedule/session_cancel.html"
    if request.method != "POST":
        return page(request, template, context, partial="staff/schedule/_cancel_dialog.html")
    if not form.is_valid():
        return page(
            request, template, context, partial="staff/schedule/_cancel_dialog.html", status=422
        )
    try:
        cancel_session(actor, session, reason=form.cleaned_data["reason"])
    except DomainError as error:
        partial = "staff/schedule/_cancel_dialog.html" if is_partial(request) else template
        return refused(request, error, partial, context)
    told = session.booked_count + session.waiting_count
    messages.success(
        request,
        f"{session.class_type.name} cancelled; {plural(told, 'client')} refunded and notified.",
    )
    target = request.POST.get("next") or week_url(session, view)
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, allowed_hosts=None
    ):  # only a path on this site ("//host/..." is another site)
        target = reverse("staff:schedule")
    if is_partial(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


# ------------------------------------------------------------------------- weekly classes

TEMPLATES_TEMPLATE = "staff/schedule/templates.html"
TEMPLATE_TEMPLATE = "staff/schedule/template.html"


@capability_required(MANAGE_SCHEDULE)
def templates(request: HttpRequest) -> HttpResponse:
    """The studio's weekly classes, and the form to add one."""
    actor = actor_of(request)
    studio = _studio_from_query(request, MANAGE_SCHEDULE)
    if studio is None:
        messages.info(request, "Add a studio first.")
        return redirect("staff:studios")
    form = TemplateForm(
        request.POST or None,
        initial={"start_date": local_today(studio.time_zone)},
        **_schedule_choices(actor, studio),
    )
    context = {
        "studio": studio,
        "studios": studios_in_scope(actor),
        "templates": templates_of(studio),
        "form": form,
        "weekdays": WEEKDAYS,
    }
    if request.method != "POST":
        return render(request, TEMPLATES_TEMPLATE, context)
    if not form.is_valid():
        return render(request, TEMPLATES_TEMPLATE, context, status=422)
    try:
        template = scheduling.create_template(actor, studio=studio, **form.cleaned_data)
    except DomainError as error:
        return refused(request, error, TEMPLATES_TEMPLATE, context)
    messages.success(
        request,
        f"Weekly {template.class_type.name} on {WEEKDAYS[template.weekday]}s at "
        f"{clock(template.local_start_time)} added; its classes for the next 4 weeks are on "
        "the schedule.",
    )
    return redirect(f"{reverse('staff:templates')}?studio={studio.pk}")


@capability_required(MANAGE_SCHEDULE)
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    template = template_for(actor, pk)
    rotation = list(template.rotation.select_related("instructor__user").order_by("position"))
    initial = {
        "class_type": str(template.class_type_id),
        "room": str(template.room_id),
        "weekday": str(template.weekday),
        "local_start_time": template.local_start_time,
        "capacity": template.capacity,
        "start_date": template.start_date,
        "end_date": template.end_date,
        **{f"instructor_{slot.position}": str(slot.instructor_id) for slot in rotation},
    }
    form = TemplateForm(
        request.POST or None,
        initial=initial,
        editing=True,
        **_schedule_choices(actor, template.studio),
    )
    context = {"template": template, "studio": template.studio, "form": form}
    if request.method != "POST":
        return render(request, TEMPLATE_TEMPLATE, context)
    if not form.is_valid():
        return render(request, TEMPLATE_TEMPLATE, context, status=422)
    data = form.cleaned_data
    try:
        change = scheduling.update_template(
            actor,
            template,
            room=data["room"],
            local_start_time=data["local_start_time"],
            capacity=data["capacity"],
            instructors=data["instructors"],
            end_date=data["end_date"],
        )
    except DomainError as error:
        return refused(request, error, TEMPLATE_TEMPLATE, context)
    note = ""
    if change.sessions_kept:
        note = f" {plural(change.sessions_kept, 'class')} with bookings kept their old details."
    messages.success(request, f"Weekly class saved.{note}")
    return redirect(f"{reverse('staff:templates')}?studio={template.studio_id}")


@require_POST
@capability_required(MANAGE_SCHEDULE)
def template_stop(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    template = template_for(actor, pk)
    change = scheduling.deactivate_template(actor, template)
    kept = (
        f" {plural(change.sessions_kept, 'class')} with bookings stay on the schedule."
        if change.sessions_kept
        else ""
    )
    messages.success(
        request,
        f"Weekly class stopped; {plural(change.sessions_changed, 'future class', 'future classes')}"
        f" removed.{kept}",
    )
    return redirect(f"{reverse('staff:templates')}?studio={template.studio_id}")


@require_POST
@capability_required(MANAGE_SCHEDULE)
def template_generate(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Generate sessions now": the next 4 weeks of this weekly class (idempotent)."""
    actor = actor_of(request)
    template = template_for(actor, pk)
    created = scheduling.generate_template_sessions(actor, template)
    messages.success(
        request,
        f"{plural(created, 'new class', 'new classes')} generated for the next 4 weeks."
        if created
        else "The next 4 weeks were already on the schedule.",
    )
    return redirect(f"{reverse('staff:templates')}?studio={template.studio_id}")
