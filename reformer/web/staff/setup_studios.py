"""Setup: the organization's branding, its studios, their hours, closures and policy."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from reformer.core.errors import DomainError
from reformer.core.permissions import (
    CREATE_STUDIO,
    MANAGE_ORGANIZATION,
    MANAGE_STUDIO,
    has_capability,
)
from reformer.studios import actions
from reformer.studios.models import StudioPolicy
from reformer.studios.validation import day_label
from reformer.web.auth import capability_required
from reformer.web.errors import forbidden
from reformer.web.staff.common import actor_of, closure_for, refused, studio_for
from reformer.web.staff.forms import (
    ClosureForm,
    OpeningHoursForm,
    OrganizationForm,
    PolicyForm,
    RoomForm,
    SpecialHoursForm,
    StudioForm,
)
from reformer.web.staff.setup_queries import studio_setup, studios_for_setup

# -------------------------------------------------------------------------- organization


@capability_required(MANAGE_ORGANIZATION)
def organization(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    org = actor.organization
    initial = {
        "name": org.name,
        "time_zone": org.time_zone,
        "locale": org.locale,
        "brand_colour": org.brand_colour,
        "public_description": org.public_description,
    }
    form = OrganizationForm(request.POST or None, request.FILES or None, initial=initial)
    context = {"form": form, "org": org}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.update_organization(
                actor,
                org,
                name=data["name"],
                time_zone=data["time_zone"],
                locale=data["locale"],
                brand_colour=data["brand_colour"],
                public_description=data["public_description"],
                logo=data["logo"] or None,
            )
        except DomainError as error:
            return refused(request, error, "staff/setup/organization.html", context)
        messages.success(request, "Organization details saved.")
        return redirect("staff:organization")
    status = 422 if form.is_bound else 200
    return render(request, "staff/setup/organization.html", context, status=status)


# ------------------------------------------------------------------------------- studios


@capability_required(MANAGE_STUDIO)
def studios(request: HttpRequest) -> HttpResponse:
    """The studios the actor manages; owners also add studios here."""
    actor = actor_of(request)
    may_create = has_capability(actor, CREATE_STUDIO)
    form = StudioForm(request.POST or None, initial={"time_zone": actor.organization.time_zone})
    context = {"studios": studios_for_setup(actor), "form": form, "may_create": may_create}
    if request.method == "POST":
        if not may_create:
            return forbidden(request)
        if form.is_valid():
            try:
                studio = actions.create_studio(actor, **form.cleaned_data)
            except DomainError as error:
                return refused(request, error, "staff/setup/studios.html", context)
            messages.success(request, f"{studio.name} added. Next, add a room.")
            return redirect("staff:studio", pk=studio.pk)
        return render(request, "staff/setup/studios.html", context, status=422)
    return render(request, "staff/setup/studios.html", context)


def _studio_context(studio, **forms) -> dict:
    policy = getattr(studio, "policy", None) or StudioPolicy(studio=studio)
    context = {
        "studio": studio,
        "setup": studio_setup(studio),
        "details_form": StudioForm(
            initial={"name": studio.name, "address": studio.address, "time_zone": studio.time_zone},
            auto_id="details_%s",
        ),
        "hours_form": OpeningHoursForm(hours=studio.opening_hours, auto_id="hours_%s"),
        "special_form": SpecialHoursForm(auto_id="special_%s"),
        "closure_form": ClosureForm(auto_id="closure_%s"),
        "policy_form": PolicyForm(instance=policy, auto_id="policy_%s"),
        "room_form": RoomForm(initial={"grid_columns": 4, "grid_rows": 3}, auto_id="room_%s"),
    }
    context.update(forms)
    return context


STUDIO_TEMPLATE = "staff/setup/studio.html"


@capability_required(MANAGE_STUDIO)
def studio(request: HttpRequest, pk: int) -> HttpResponse:
    studio = studio_for(actor_of(request), pk)
    return render(request, STUDIO_TEMPLATE, _studio_context(studio))


def _studio_form_post(request, pk, form_name, build_form, act, success):
    """POST handler shared by the forms of the studio page: parse, one action, redirect."""
    actor = actor_of(request)
    studio = studio_for(actor, pk)
    form = build_form(request.POST, studio)
    context = _studio_context(studio, **{form_name: form})
    if not form.is_valid():
        return render(request, STUDIO_TEMPLATE, context, status=422)
    try:
        act(actor, studio, form)
    except DomainError as error:
        return refused(request, error, STUDIO_TEMPLATE, context)
    messages.success(request, success(form))
    return redirect("staff:studio", pk=studio.pk)


@require_POST
@capability_required(MANAGE_STUDIO)
def studio_details(request: HttpRequest, pk: int) -> HttpResponse:
    return _studio_form_post(
        request,
        pk,
        "details_form",
        lambda data, studio: StudioForm(data, auto_id="details_%s"),
        lambda actor, studio, form: actions.update_studio(actor, studio, **form.cleaned_data),
        lambda form: "Studio details saved.",
    )


@require_POST
@capability_required(MANAGE_STUDIO)
def studio_hours(request: HttpRequest, pk: int) -> HttpResponse:
    return _studio_form_post(
        request,
        pk,
        "hours_form",
        lambda data, studio: OpeningHoursForm(data, auto_id="hours_%s"),
        lambda actor, studio, form: actions.set_opening_hours(actor, studio, hours=form.hours()),
        lambda form: "Opening hours saved.",
    )


@require_POST
@capability_required(MANAGE_STUDIO)
def studio_special_hours(request: HttpRequest, pk: int) -> HttpResponse:
    return _studio_form_post(
        request,
        pk,
        "special_form",
        lambda data, studio: SpecialHoursForm(data, auto_id="special_%s"),
        lambda actor, studio, form: actions.set_special_hours(
            actor, studio, date=form.cleaned_data["date"], hours=form.span()
        ),
        lambda form: f"Special hours set for {day_label(form.cleaned_data['date'])}.",
    )


@require_POST
@capability_required(MANAGE_STUDIO)
def studio_special_hours_clear(request: HttpRequest, pk: int, day: str) -> HttpResponse:
    actor = actor_of(request)
    studio = studio_for(actor, pk)
    try:
        date = dt.date.fromisoformat(day)
        actions.set_special_hours(actor, studio, date=date, hours=None)
    except ValueError:
        messages.error(request, "That date could not be read.")
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Regular hours apply again on {day_label(date)}.")
    return redirect("staff:studio", pk=studio.pk)


@require_POST
@capability_required(MANAGE_STUDIO)
def studio_closure_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _studio_form_post(
        request,
        pk,
        "closure_form",
        lambda data, studio: ClosureForm(data, auto_id="closure_%s"),
        lambda actor, studio, form: actions.add_closure(actor, studio, **form.cleaned_data),
        lambda form: f"Closed on {day_label(form.cleaned_data['date'])}.",
    )


@require_POST
@capability_required(MANAGE_STUDIO)
def closure_remove(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    closure = closure_for(actor, pk)
    studio_pk, day = closure.studio_id, closure.date
    try:
        actions.remove_closure(actor, closure)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Open again on {day_label(day)}.")
    return redirect("staff:studio", pk=studio_pk)


@require_POST
@capability_required(MANAGE_STUDIO)
def studio_policy(request: HttpRequest, pk: int) -> HttpResponse:
    return _studio_form_post(
        request,
        pk,
        "policy_form",
        lambda data, studio: PolicyForm(
            data, instance=StudioPolicy(studio=studio), auto_id="policy_%s"
        ),
        lambda actor, studio, form: actions.update_policy(actor, studio, **form.values()),
        lambda form: "Booking policy saved.",
    )
