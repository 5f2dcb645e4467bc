"""The owner's messaging settings: sender name and reply-to, the HELP contact, each
studio's reminder plan, quiet hours (from the studio policy), which providers carry email
and SMS and whether they are healthy, a preview of every message, and "send me a test"."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from reformer.core.errors import DomainError, NotFound
from reformer.core.permissions import MANAGE_MESSAGING
from reformer.notifications import configuration, queries, samples
from reformer.studios.models import Studio, StudioPolicy
from reformer.web.auth import capability_required
from reformer.web.http import MemberRequest

TEMPLATE = "messaging/settings.html"


def _context(request: MemberRequest, **extra) -> dict:
    actor = request.membership
    plans = configuration.reminder_plans(actor)
    policies = {
        p.studio_id: p
        for p in StudioPolicy.objects.filter(studio__in=[plan.studio for plan in plans])
    }
    errors = extra.get("errors", {})
    for plan in plans:
        plan.policy = policies.get(plan.studio.pk)
        plan.error = errors.get(f"plan-{plan.studio.pk}", "")
        # Always four rows to fill in; empty ones are ignored on save.
        plan.rows = list(plan.steps) + [{"hours": "", "channel": "email"}] * (
            configuration.MAX_REMINDER_STEPS - len(plan.steps)
        )
    return {
        "sender": configuration.organization_messaging(actor),
        "plans": plans,
        "providers": queries.provider_status(actor),
        "previewable": samples.PREVIEWABLE,
        "preview_kind": request.GET.get("preview", "class_reminder"),
        "channels": configuration.CHANNELS,
        **extra,
        "errors": errors,
    }


@capability_required(MANAGE_MESSAGING)
def settings_page(request: MemberRequest) -> HttpResponse:
    return render(request, TEMPLATE, _context(request))


@require_POST
@capability_required(MANAGE_MESSAGING)
def save_sender(request: MemberRequest) -> HttpResponse:
    try:
        configuration.save_organization_messaging(
            request.membership,
            sender_name=request.POST.get("sender_name", ""),
            reply_to=request.POST.get("reply_to", ""),
            contact_phone=request.POST.get("contact_phone", ""),
        )
    except DomainError as exc:
        context = _context(request, errors={exc.data.get("field", "sender"): exc.message})
        context["sender"].sender_name = request.POST.get("sender_name", "")
        context["sender"].reply_to = request.POST.get("reply_to", "")
        context["sender"].contact_phone = request.POST.get("contact_phone", "")
        return render(request, TEMPLATE, context, status=422)
    messages.success(request, "Sender details saved.")
    return redirect(reverse("messaging:settings"))


@require_POST
@capability_required(MANAGE_MESSAGING)
def save_plan(request: MemberRequest, studio_id: int) -> HttpResponse:
    actor = request.membership
    studio = Studio.objects.filter(organization_id=actor.organization_id, pk=studio_id).first()
    if studio is None:
        raise NotFound("studio")
    steps = list(zip(request.POST.getlist("hours"), request.POST.getlist("channel"), strict=False))
    try:
        plan = configuration.parse_plan(steps)
        configuration.save_reminder_plan(actor, studio, plan)
    except DomainError as exc:
        return render(
            request,
            TEMPLATE,
            _context(request, errors={f"plan-{studio.pk}": exc.message}),
            status=422,
        )
    if plan:
        described = ", ".join(
            f"{s['hours']} h by {configuration.CHANNELS[s['channel']]}" for s in plan
        )
        messages.success(request, f"Reminders for {studio.name}: {described}.")
    else:
        messages.success(request, f"{studio.name} sends no class reminders now.")
    return redirect(reverse("messaging:settings"))


@xframe_options_sameorigin
@capability_required(MANAGE_MESSAGING)
def preview(request: MemberRequest) -> HttpResponse:
    """The email as the client sees it (shown in an iframe), or its text version."""
    kind = request.GET.get("kind", "class_reminder")
    subject, text, html = configuration.preview(request.membership, kind)
    if request.GET.get("format") == "text":
        return HttpResponse(
            f"Subject: {subject}\n\n{text}", content_type="text/plain; charset=utf-8"
        )
    return HttpResponse(html)


@require_POST
@capability_required(MANAGE_MESSAGING)
def send_test(request: MemberRequest) -> HttpResponse:
    channel = request.POST.get("channel", "email")
    if channel not in configuration.CHANNELS:
        channel = "email"
    try:
        message = configuration.send_test(request.membership, channel)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Test {'text' if channel == 'sms' else 'email'} queued to {message.to_address}. "
            "Follow it in the message log.",
        )
    return redirect(reverse("messaging:settings"))
