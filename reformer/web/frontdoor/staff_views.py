"""Staff pages for appointments and clients: the day's appointments, one appointment (guests,
attendance, cancelling), booking for a client, instructor hours, the client card."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from reformer.accounts.birthdays import birthday_flag
from reformer.accounts.models import ClientProfile, Membership
from reformer.accounts.profile import set_client_birth_date
from reformer.appointments import actions as appointment_actions
from reformer.appointments import slots
from reformer.appointments.models import HoursException, WeeklyHours
from reformer.billing import actions as billing_actions
from reformer.core.errors import DomainError, NotFound, PermissionDenied
from reformer.core.parsing import to_id
from reformer.core.permissions import (
    BOOK_FOR_CLIENT,
    EDIT_CLIENT_DETAILS,
    GRANT_CLIENT_TAG,
    GRANT_PACKAGE,
    LIFT_SUSPENSION,
    MANAGE_AVAILABILITY,
    VIEW_CLIENTS,
    VIEW_PAYMENTS,
    has_capability,
    may_manage_hours_of,
    teaches_only,
)
from reformer.core.timezones import local_today, to_local
from reformer.onboarding import actions as onboarding
from reformer.onboarding.intro import RULE_TEXT, intro_offer_refusal
from reformer.onboarding.models import Acceptance, ClientTag, ClientTagGrant
from reformer.scheduling.models import InstructorUnavailability
from reformer.studios.validation import WEEKDAYS
from reformer.web.auth import capability_required, staff_required
from reformer.web.frontdoor import queries
from reformer.web.http import MemberRequest
from reformer.web.profile.forms import BirthDateForm
from reformer.web.staff.queries import suspension_of


def _back(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _day(value: str | None, studio) -> dt.date:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return local_today(studio.time_zone)


@staff_required
def appointments(request: MemberRequest) -> HttpResponse:
    """A studio's appointments of one day, and booking a private for a client."""
    actor = request.membership
    studio = queries.studio(actor, request.GET.get("studio"))
    day = _day(request.GET.get("date"), studio)
    kinds = queries.appointment_types(actor)
    kind = None
    found_slots: list[dict] = []
    if request.GET.get("type"):
        kind = queries.appointment_type(actor, request.GET.get("type"))
        found = slots.search(kind, studio, first_day=day, days=1)
        found_slots = [
            {
                "slot": s,
                "local": to_local(s.starts_at, studio.time_zone),
                "instructor": found.instructors[s.instructor_id],
            }
            for s in found.slots
        ]
    context = {
        "studio": studio,
        "studios": queries.studios(actor),
        "day": day,
        "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
        "appointments": queries.day_appointments(actor, studio, day),
        "types": kinds,
        "kind": kind,
        "slots": found_slots,
        "can_book": has_capability(actor, BOOK_FOR_CLIENT, studio=studio),
        "clients": queries.clients(actor) if kind else [],
    }
    return render(request, "frontdoor/staff/appointments.html", context)


def _slot(actor: Membership, value: str) -> tuple[dt.datetime, Membership]:
    """A slot is "<start, ISO 8601>|<instructor id>" (one radio button picks both);
    ValueError when it is not one, whichever half is wrong."""
    starts, _, instructor_id = value.partition("|")
    starts_at = dt.datetime.fromisoformat(starts)
    try:
        return starts_at, queries.member(actor, instructor_id)
    except NotFound:
        raise ValueError(value) from None


@require_POST
@capability_required(BOOK_FOR_CLIENT)
def appointment_book(request: MemberRequest) -> HttpResponse:
    actor = request.membership
    studio = queries.studio(actor, request.POST.get("studio"))
    kind = queries.appointment_type(actor, request.POST.get("type"))
    back = _back(request, reverse("frontdoor:staff_appointments"))
    try:
        client = queries.member(actor, request.POST.get("client"), role="client")
        starts_at, instructor = _slot(actor, request.POST.get("slot", ""))
        place = appointment_actions.book_appointment(
            actor,
            kind,
            studio=studio,
            instructor=instructor,
            starts_at=starts_at,
            client=client,
            payment_method=request.POST.get("payment_method") or None,
        )
    except ValueError:
        messages.error(request, "Pick a time from the open slots.")
    except NotFound as error:
        messages.error(request, f"{error.message} Choose a client from the list.")
    except PermissionDenied:
        raise
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Booked {client.name} into {kind.name}.")
        return redirect("frontdoor:staff_appointment", place.appointment_id)
    return redirect(back)


@staff_required
def appointment_detail(request: MemberRequest, pk: int) -> HttpResponse:
    actor = request.membership
    appointment = queries.staff_appointment(actor, pk)
    day = to_local(appointment.starts_at, appointment.studio.time_zone).date()
    listed = next(
        a
        for a in queries.day_appointments(actor, appointment.studio, day)
        if a.pk == appointment.pk
    )
    if teaches_only(actor) and appointment.instructor_id != actor.pk:
        raise PermissionDenied("sessions.view_roster")
    context = {
        "appointment": listed,
        "can_book": has_capability(actor, BOOK_FOR_CLIENT, studio=appointment.studio),
        "clients": queries.clients(actor) if listed.places_left else [],
    }
    return render(request, "frontdoor/staff/appointment.html", context)


@require_POST
@capability_required(BOOK_FOR_CLIENT)
def appointment_invite(request: MemberRequest, pk: int) -> HttpResponse:
    actor = request.membership
    appointment = queries.staff_appointment(actor, pk)
    try:
        client = queries.member(actor, request.POST.get("client"), role="client")
        appointment_actions.invite_to_appointment(
            actor,
            appointment,
            client,
            payment_method=request.POST.get("payment_method") or None,
        )
    except NotFound:
        messages.error(request, "Choose a client from the list.")
    except PermissionDenied:
        raise
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{client.name} joins the {appointment.appointment_type.name}.")
    return redirect("frontdoor:staff_appointment", appointment.pk)


@require_POST
@capability_required(BOOK_FOR_CLIENT)
def appointment_cancel(request: MemberRequest, pk: int) -> HttpResponse:
    actor = request.membership
    appointment = queries.staff_appointment(actor, pk)
    try:
        appointment_actions.cancel_appointment(
            actor, appointment, reason=request.POST.get("reason", "")
        )
    except PermissionDenied:
        raise
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Appointment cancelled; every client got their credits back.")
    return redirect("frontdoor:staff_appointment", appointment.pk)


@require_POST
@staff_required
def attendee_mark(request: MemberRequest, pk: int) -> HttpResponse:
    actor = request.membership
    place = queries.staff_attendee(actor, pk)
    try:
        appointment_actions.mark_attendee(actor, place, request.POST.get("status", ""))
    except (NotFound, PermissionDenied):
        raise
    except DomainError as error:
        messages.error(request, error.message)
    else:
        label = "checked in" if request.POST.get("status") == "attended" else "marked a no-show"
        messages.success(request, f"{place.client.name} {label}.")
    return redirect(
        _back(request, reverse("frontdoor:staff_appointment", args=[place.appointment_id]))
    )


# ------------------------------------------------------------------------------- hours


@require_http_methods(["GET", "POST"])
@capability_required(MANAGE_AVAILABILITY)
def my_hours(request: MemberRequest) -> HttpResponse:
    """An instructor's appointment hours (managers: ?instructor=<id> for anyone's)."""
    actor = request.membership
    instructor = (
        queries.member(actor, request.GET.get("instructor"))
        if request.GET.get("instructor")
        else actor
    )
    # Studios where the actor may set this instructor's hours and the instructor teaches.
    from reformer.scheduling.actions.rules import can_teach_at

    studios = [
        studio
        for studio in queries.studios(actor)
        if may_manage_hours_of(actor, instructor, studio) and can_teach_at(instructor, studio)
    ]
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "add_weekly":
                studio = queries.studio(actor, request.POST.get("studio"))
                appointment_actions.add_weekly_hours(
                    actor,
                    instructor,
                    studio,
                    weekday=request.POST.get("weekday"),
                    starts=request.POST.get("starts"),
                    ends=request.POST.get("ends"),
                )
                messages.success(request, "Hours added.")
            elif action == "remove_weekly":
                hours = WeeklyHours.objects.filter(
                    organization_id=actor.organization_id, pk=_int(request.POST.get("pk"))
                ).first()
                if hours is None:
                    raise NotFound("hours")
                appointment_actions.remove_weekly_hours(actor, hours)
                messages.success(request, "Hours removed.")
            elif action == "add_exception":
                studio = queries.studio(actor, request.POST.get("studio"))
                appointment_actions.add_hours_exception(
                    actor,
                    instructor,
                    studio,
                    date=request.POST.get("date"),
                    kind=request.POST.get("kind", ""),
                    starts=request.POST.get("starts"),
                    ends=request.POST.get("ends"),
                    note=request.POST.get("note", ""),
                )
                messages.success(request, "Change for that day saved.")
            elif action == "remove_exception":
                exception = HoursException.objects.filter(
                    organization_id=actor.organization_id, pk=_int(request.POST.get("pk"))
                ).first()
                if exception is None:
                    raise NotFound("exception")
                appointment_actions.remove_hours_exception(actor, exception)
                messages.success(request, "Change removed.")
            else:
                raise DomainError("validation", "Choose what to change.")
        except (NotFound, PermissionDenied):
            raise
        except DomainError as error:
            context = _hours_context(actor, instructor, studios) | {"error": error}
            return render(request, "frontdoor/staff/hours.html", context, status=422)
        url = reverse("frontdoor:my_hours")
        if instructor.pk != actor.pk:
            url += f"?instructor={instructor.pk}"
        return redirect(url)
    if not studios:
        raise PermissionDenied(MANAGE_AVAILABILITY)
    return render(request, "frontdoor/staff/hours.html", _hours_context(actor, instructor, studios))


def _int(value) -> int:
    return to_id(value) or 0


def _hours_context(actor, instructor, studios) -> dict:
    weekly = [
        {"row": row, "day_name": WEEKDAYS[row.weekday]}
        for row in WeeklyHours.objects.filter(instructor=instructor).select_related("studio")
    ]
    return {
        "instructor": instructor,
        "studios": studios,
        "weekly": weekly,
        "exceptions": list(
            HoursException.objects.filter(
                instructor=instructor, date__gte=local_today(studios[0].time_zone)
            ).select_related("studio")
        )
        if studios
        else [],
        "time_off": list(
            InstructorUnavailability.objects.filter(
                instructor=instructor,
                ends_on__gte=local_today(instructor.organization.time_zone),
            ).order_by("starts_on")
        ),
        "weekdays": list(enumerate(WEEKDAYS)),
        "teaches": list(instructor.appointment_types_taught.filter(active=True)),
    }


# ------------------------------------------------------------------------- client card


@staff_required
def client_card(request: MemberRequest, pk: int) -> HttpResponse:
    """One client for the desk: health form (when allowed), documents, tags, packages,
    selling a package (the intro offer rule shown and enforced), their appointments. An
    instructor without client access sees it only for a client of their own sessions (the
    health form, to adapt the session)."""
    actor = request.membership
    client = queries.member(actor, pk, role="client")
    context = _client_context(actor, client)
    if not context["desk_view"] and not context["intake_visible"]:
        raise PermissionDenied(VIEW_CLIENTS)
    return render(request, "frontdoor/staff/client.html", context)


def _client_context(actor, client, birthday_data=None) -> dict:
    profile = ClientProfile.objects.filter(membership=client).first()
    try:
        intake = onboarding.intake_for(actor, client)
        intake_visible = True
    except PermissionDenied:
        intake, intake_visible = None, False
    products = queries.products_for_sale(actor)
    for item in products:
        item.refusal = intro_offer_refusal(client, item.product) if item.is_intro else None
    return {
        "client": client,
        "intake": intake,
        "intake_visible": intake_visible,
        "acceptances": list(
            Acceptance.objects.filter(client=client)
            .select_related("version__document")
            .order_by("-accepted_at")
        ),
        "grants": list(ClientTagGrant.objects.filter(client=client).select_related("tag")),
        "tags": list(ClientTag.objects.filter(organization_id=actor.organization_id)),
        "packages": queries.client_packages(client),
        "products": products,
        "intro_rule": RULE_TEXT,
        "places": queries.client_places(client),
        "past_places": _past_places(actor, client),
        "desk_view": has_capability(actor, VIEW_CLIENTS),
        "client_profile": profile,
        "birthday_this_week": birthday_flag(
            profile.birth_date if profile else None,
            local_today(actor.organization.time_zone),
            today=local_today(actor.organization.time_zone),
        ),
        "birthday_form": BirthDateForm(
            birthday_data, initial={"birth_date": profile.birth_date if profile else None}
        ),
        "can_edit_details": has_capability(actor, EDIT_CLIENT_DETAILS),
        "can_sell": has_capability(actor, GRANT_PACKAGE),
        "can_tag": has_capability(actor, GRANT_CLIENT_TAG),
        "can_lift": has_capability(actor, LIFT_SUSPENSION),
        "suspended_until": suspension_of(client),
    }


def _past_places(actor, client) -> list:
    """The client's past and cancelled private sessions, each with the fees charged for it
    (late cancel, no-show) when the actor may see payments."""
    from reformer.payments.queries import appointment_fees

    places = queries.client_places(client, upcoming=False)
    fees = appointment_fees(actor, client) if has_capability(actor, VIEW_PAYMENTS) else {}
    for place in places:
        place.fee_payments = fees.get(place.pk, [])
    return places


@require_POST
@capability_required(GRANT_PACKAGE)
def client_sell(request: MemberRequest, pk: int) -> HttpResponse:
    """Sold at the desk (paid at the till until online payments land): the package is
    granted, and an intro offer's first-timer rule is enforced in the same transaction."""
    actor = request.membership
    client = queries.member(actor, pk, role="client")
    products = {str(item.pk): item.product for item in queries.products_for_sale(actor)}
    product = products.get(request.POST.get("product", ""))
    try:
        if product is None:
            raise DomainError("validation", "Choose a package to sell.", field="product")
        billing_actions.grant_package(actor, client=client, product=product, note="Sold at desk")
    except (NotFound, PermissionDenied):
        raise
    except DomainError as error:
        context = _client_context(actor, client) | {"sell_error": error}
        return render(request, "frontdoor/staff/client.html", context, status=422)
    messages.success(request, f"{product.name} added to {client.name}'s account.")
    return redirect("frontdoor:staff_client", client.pk)


@require_POST
@capability_required(GRANT_CLIENT_TAG)
def client_tag(request: MemberRequest, pk: int) -> HttpResponse:
    actor = request.membership
    client = queries.member(actor, pk, role="client")
    tag = ClientTag.objects.filter(
        organization_id=actor.organization_id, pk=_int(request.POST.get("tag"))
    ).first()
    try:
        if tag is None:
            raise DomainError("validation", "Choose a tag.", field="tag")
        onboarding.grant_tag(actor, client, tag, note=request.POST.get("note", ""))
    except (NotFound, PermissionDenied):
        raise
    except DomainError as error:
        context = _client_context(actor, client) | {"tag_error": error}
        return render(request, "frontdoor/staff/client.html", context, status=422)
    messages.success(request, f"{client.name} cleared: {tag.name}.")
    return redirect("frontdoor:staff_client", client.pk)


@require_POST
@capability_required(EDIT_CLIENT_DETAILS)
def client_birthday(request: MemberRequest, pk: int) -> HttpResponse:
    actor = request.membership
    client = queries.member(actor, pk, role="client")
    form = BirthDateForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError("validation", "Enter the date as year, month and day.")
        set_client_birth_date(actor, client, form.cleaned_data["birth_date"])
    except (NotFound, PermissionDenied):
        raise
    except DomainError as error:
        context = _client_context(actor, client, request.POST) | {"birthday_error": error}
        return render(request, "frontdoor/staff/client.html", context, status=422)
    messages.success(request, f"{client.name}'s birthday saved.")
    return redirect("frontdoor:staff_client", client.pk)
