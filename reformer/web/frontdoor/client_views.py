"""The newcomer's pages: getting started, waivers, the health form, booking a private."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from reformer.appointments import actions as appointment_actions
from reformer.appointments import slots
from reformer.core import timeformat
from reformer.core.errors import DomainError, NotFound, PermissionDenied
from reformer.core.money import format_money
from reformer.core.parsing import to_id
from reformer.core.timezones import local_today, to_local
from reformer.onboarding import actions as onboarding
from reformer.onboarding.intro import RULE_TEXT, intro_offer_refusal
from reformer.onboarding.models import DocumentVersion, IntakeQuestion
from reformer.onboarding.readiness import readiness
from reformer.web.client.views._common import client_required
from reformer.web.frontdoor import queries
from reformer.web.frontdoor.ics import appointment_calendar
from reformer.web.http import MemberRequest

DAYS_SHOWN = 7


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return default


@client_required
def welcome(request: MemberRequest) -> HttpResponse:
    """Getting started: what is left before the first session, in order."""
    actor = request.membership
    state = readiness(actor)
    products = queries.products_for_sale(actor)
    intro = [item for item in products if item.is_intro]
    for item in intro:
        item.refusal = intro_offer_refusal(actor, item.product)
    places = queries.client_places(actor)
    types = queries.appointment_types(actor)
    private_required = queries.private_required(actor)
    context = {
        "state": state,
        "intro_products": intro,
        "intro_rule": RULE_TEXT,
        "packages": queries.client_packages(actor),
        "places": places,
        "types": types,
        # The private step is a step only when a class asks for a private first; offered
        # privates without that are an optional extra; neither: no step at all.
        "private_required": private_required,
        "subtitle": "New to the reformer? Here is the way in: a few minutes of paperwork, "
        + (
            "an intro offer, then a private session on the equipment."
            if private_required
            else "an intro offer, then your first class."
        ),
    }
    return render(request, "frontdoor/welcome.html", context)


def _version(actor, pk) -> DocumentVersion:
    try:
        version = (
            DocumentVersion.objects.filter(organization_id=actor.organization_id, pk=to_id(pk) or 0)
            .select_related("document")
            .first()
        )
    except (TypeError, ValueError):
        version = None
    if version is None or not version.document.active:
        raise NotFound("document")
    return version


@require_http_methods(["GET", "POST"])
@client_required
def waiver(request: MemberRequest, version_id: int) -> HttpResponse:
    actor = request.membership
    version = _version(actor, version_id)
    context = {"version": version, "next": _next_url(request, reverse("frontdoor:welcome"))}
    if request.method == "POST":
        try:
            onboarding.accept_document(
                actor,
                version,
                signature=request.POST.get("signature", ""),
                agreed=request.POST.get("agree") == "yes",
            )
        except (NotFound, PermissionDenied):
            raise
        except DomainError as error:
            context |= {"error": error, "signature": request.POST.get("signature", "")}
            return render(request, "frontdoor/waiver.html", context, status=422)
        messages.success(request, f"Thank you: {version.document.title} accepted.")
        return HttpResponseRedirect(_next_url(request, reverse("frontdoor:welcome")))
    return render(request, "frontdoor/waiver.html", context)


@require_http_methods(["GET", "POST"])
@client_required
def intake(request: MemberRequest) -> HttpResponse:
    actor = request.membership
    questions = list(
        IntakeQuestion.objects.filter(organization_id=actor.organization_id, active=True)
    )
    form = onboarding.intake_for(actor, actor)
    answers = {
        key: value.get("answer", "") for key, value in (form.answers if form else {}).items()
    }
    status = 200
    error = None
    if request.method == "POST":
        answers = {str(q.pk): request.POST.get(f"q{q.pk}", "") for q in questions}
        try:
            onboarding.submit_intake(actor, answers)
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            error, status = exc, 422
        else:
            messages.success(request, "Health form saved. Your instructor will see it.")
            return HttpResponseRedirect(_next_url(request, reverse("frontdoor:welcome")))
    context = {
        "questions": [
            {
                "pk": q.pk,
                "prompt": q.prompt,
                "help_text": q.help_text,
                "kind": q.kind,
                "required": q.required,
                "value": answers.get(str(q.pk), ""),
                "field": f"q{q.pk}",
            }
            for q in questions
        ],
        "form": form,
        "error": error,
        "next": _next_url(request, reverse("frontdoor:welcome")),
    }
    return render(request, "frontdoor/intake.html", context, status=status)


@client_required
def privates(request: MemberRequest) -> HttpResponse:
    actor = request.membership
    return render(
        request,
        "frontdoor/privates.html",
        {"types": queries.appointment_types(actor), "state": readiness(actor)},
    )


def _day(value: str, studio) -> dt.date:
    today = local_today(studio.time_zone)
    try:
        day = dt.date.fromisoformat(value) if value else today
    except ValueError:
        day = today
    return max(day, today)


@require_http_methods(["GET", "POST"])
@client_required
def private_slots(request: MemberRequest, type_id: int) -> HttpResponse:
    """A type's open slots for a week, across instructors or for one; a slot books it."""
    actor = request.membership
    kind = queries.appointment_type(actor, type_id)
    studio = queries.studio(actor, request.GET.get("studio") or request.POST.get("studio"))
    error = None
    status = 200
    if request.method == "POST":
        try:
            instructor = queries.member(actor, request.POST.get("instructor"))
            starts_at = dt.datetime.fromisoformat(request.POST.get("starts_at", ""))
            if starts_at.tzinfo is None:
                raise ValueError
        except (ValueError, NotFound):
            error = DomainError("validation", "Pick a time from the open slots.")
            status = 422
        else:
            try:
                if kind.priced_in_money:
                    return _pay_for_slot(request, kind, studio, instructor, starts_at)
                place = appointment_actions.book_appointment(
                    actor, kind, studio=studio, instructor=instructor, starts_at=starts_at
                )
            except (NotFound, PermissionDenied):
                raise
            except DomainError as exc:
                error, status = exc, 409 if exc.code.startswith("appointment.") else 422
            else:
                local = to_local(place.starts_at, studio.time_zone)
                messages.success(
                    request,
                    f"Booked: {kind.name} with {instructor.name}, "
                    f"{timeformat.when(local, 'day_time')}.",
                )
                return redirect("client:dashboard")
    first_day = _day(request.GET.get("day", ""), studio)
    instructor_id = request.GET.get("instructor") or ""
    found = slots.search(
        kind,
        studio,
        first_day=first_day,
        days=DAYS_SHOWN,
        instructor_id=to_id(instructor_id),
    )
    all_instructors = slots.teaching_instructors(kind, studio)
    days = []
    by_day: dict[dt.date, list] = {}
    for slot in found.slots:
        local = to_local(slot.starts_at, studio.time_zone)
        by_day.setdefault(local.date(), []).append(
            {"slot": slot, "local": local, "instructor": found.instructors[slot.instructor_id]}
        )
    for offset in range(DAYS_SHOWN):
        day = first_day + dt.timedelta(days=offset)
        days.append({"date": day, "slots": by_day.get(day, [])})
    context = {
        "kind": kind,
        "subtitle": (
            f"{kind.size_label} · {kind.duration_minutes} min on the {kind.equipment} · "
            + (
                f"{format_money(kind.price, kind.currency)}, paid by card when you book"
                if kind.price is not None
                else f"{kind.credits} credit{'s' if kind.credits != 1 else ''}"
            )
            + f" · {studio.name}"
        ),
        "studio": studio,
        "studios": queries.studios(actor),
        "days": days,
        "instructors": sorted(all_instructors.values(), key=lambda m: m.name),
        "instructor_id": instructor_id,
        "previous_day": first_day - dt.timedelta(days=DAYS_SHOWN),
        "next_day": first_day + dt.timedelta(days=DAYS_SHOWN),
        "can_go_back": first_day > local_today(studio.time_zone),
        "error": error,
        "state": readiness(actor),
        "now": timezone.now(),
    }
    return render(request, "frontdoor/slots.html", context, status=status)


def _pay_for_slot(request, kind, studio, instructor, starts_at) -> HttpResponse:
    """A session priced in money: the slot is held and the client goes to Stripe to pay;
    the payment's return page says when it is confirmed."""
    from reformer.payments.actions.appointments import start_appointment_checkout

    return_url = request.build_absolute_uri(reverse("payments:checkout_return", args=[0]))
    cancel_url = request.build_absolute_uri(reverse("payments:checkout_cancelled", args=[0]))
    _place, url = start_appointment_checkout(
        request.membership,
        kind,
        studio=studio,
        instructor=instructor,
        starts_at=starts_at,
        return_url=return_url.replace("/0/", "/{payment}/"),
        cancel_url=cancel_url.replace("/0/", "/{payment}/"),
    )
    return redirect(url)


@require_POST
@client_required
def cancel_private(request: MemberRequest, reference: str) -> HttpResponse:
    actor = request.membership
    place = queries.client_place(actor, reference)
    try:
        appointment_actions.cancel_appointment_place(actor, place)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as error:
        messages.error(request, error.message)
    else:
        place.refresh_from_db()
        note = _cancelled_note(place)
        messages.success(request, f"{place.appointment.appointment_type.name} cancelled. {note}")
    if request.headers.get("HX-Request"):
        return HttpResponseClientRedirect(reverse("client:dashboard"))
    return redirect("client:dashboard")


def _cancelled_note(place) -> str:
    kind = place.appointment.appointment_type
    if place.payment_id is None:
        if place.credit_returned:
            return "Your credits are back."
        return "It was inside the cancellation window, so the credit is kept."
    if place.credit_returned:
        return "Your payment is being refunded."
    note = "It was inside the cancellation window, so the payment is kept."
    if kind.price is not None and kind.late_cancel_fee > 0:
        note += (
            f" A late cancellation fee of {format_money(kind.late_cancel_fee, kind.currency)}"
            " is charged to the card you paid with."
        )
    return note


@client_required
def private_ics(request: MemberRequest, reference: str) -> HttpResponse:
    place = queries.client_place(request.membership, reference)
    base_url = f"{request.scheme}://{request.get_host()}"
    response = HttpResponse(
        appointment_calendar(place, base_url=base_url),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{reference}.ics"'
    return response
