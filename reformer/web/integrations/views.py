"""Integrations: the overview, API keys and webhook endpoints (owner only)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from reformer.accounts.queries import members_for
from reformer.api import keys
from reformer.core.errors import DomainError, NotFound
from reformer.core.permissions import MANAGE_INTEGRATIONS
from reformer.web.auth import capability_required
from reformer.web.compression import never_compressed
from reformer.web.errors import render_domain_error
from reformer.web.http import MemberRequest
from reformer.web.integrations.forms import ApiKeyForm, EndpointForm
from reformer.webhooks import actions as webhooks
from reformer.webhooks.events import EVENT_TYPES

DELIVERIES_SHOWN = 50


@capability_required(MANAGE_INTEGRATIONS)
def overview(request: MemberRequest) -> HttpResponse:
    actor = request.membership
    return render(
        request,
        "integrations/overview.html",
        {
            "key_count": keys.api_keys_for(actor).filter(revoked_at__isnull=True).count(),
            "endpoint_count": webhooks.endpoints_for(actor).filter(active=True).count(),
        },
    )


def _active_members(actor):
    return [m for m in members_for(actor) if m.active]


@never_compressed
@capability_required(MANAGE_INTEGRATIONS)
def api_keys(request: MemberRequest) -> HttpResponse:
    actor = request.membership
    members = _active_members(actor)
    form = ApiKeyForm(request.POST or None, members=members, initial={"acts_as": actor.pk})
    context = {"form": form, "keys": keys.api_keys_for(actor), "scopes": keys.SCOPES}
    if request.method == "POST" and form.is_valid():
        acts_as = next(m for m in members if m.pk == form.cleaned_data["acts_as"])
        try:
            created = keys.create_api_key(
                actor,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                acts_as=acts_as,
                rate_limit_per_minute=form.cleaned_data["rate_limit_per_minute"],
            )
        except DomainError as error:
            return render_domain_error(
                request, error, template="integrations/api_keys.html", context=context
            )
        # Shown once, on this response only: it is not stored anywhere readable.
        context |= {
            "new_secret": created.secret,
            "new_key": created.key,
            "form": ApiKeyForm(members=members, initial={"acts_as": actor.pk}),
        }
    return render(request, "integrations/api_keys.html", context)


@require_POST
@capability_required(MANAGE_INTEGRATIONS)
def revoke_key(request: MemberRequest, pk: int) -> HttpResponse:
    key = keys.revoke_api_key(request.membership, keys.get_api_key(request.membership, pk))
    messages.success(request, f"Revoked “{key.name}”. It stops working at once.")
    return redirect("integrations:api_keys")


@capability_required(MANAGE_INTEGRATIONS)
def endpoints(request: MemberRequest) -> HttpResponse:
    actor = request.membership
    form = EndpointForm(request.POST or None)
    context = {"form": form, "endpoints": webhooks.endpoints_for(actor), "events": EVENT_TYPES}
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = webhooks.create_endpoint(actor, **form.cleaned_data)
        except DomainError as error:
            return render_domain_error(
                request, error, template="integrations/endpoints.html", context=context
            )
        messages.success(request, "Endpoint added. Send a test event to check it.")
        return redirect("integrations:endpoint", pk=endpoint.pk)
    return render(request, "integrations/endpoints.html", context)


@never_compressed
@capability_required(MANAGE_INTEGRATIONS)
def endpoint(request: MemberRequest, pk: int) -> HttpResponse:
    actor = request.membership
    endpoint = webhooks.get_endpoint(actor, pk)
    initial = {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events}
    form = EndpointForm(request.POST or None, initial=initial)
    deliveries = list(webhooks.deliveries_for(actor, endpoint)[:DELIVERIES_SHOWN])
    context = {"endpoint": endpoint, "form": form, "deliveries": deliveries}
    if request.method == "POST" and form.is_valid():
        try:
            webhooks.update_endpoint(actor, endpoint, active=endpoint.active, **form.cleaned_data)
        except DomainError as error:
            return render_domain_error(
                request, error, template="integrations/endpoint.html", context=context
            )
        messages.success(request, "Endpoint saved.")
        return redirect("integrations:endpoint", pk=endpoint.pk)
    return render(request, "integrations/endpoint.html", context)


@require_POST
@capability_required(MANAGE_INTEGRATIONS)
def endpoint_action(request: MemberRequest, pk: int, action: str) -> HttpResponse:
    actor = request.membership
    endpoint = webhooks.get_endpoint(actor, pk)
    if action == "test":
        webhooks.send_test_event(actor, endpoint)
        messages.success(request, "Test event queued: it appears in the log in a moment.")
    elif action in ("pause", "resume"):
        webhooks.update_endpoint(
            actor,
            endpoint,
            url=endpoint.url,
            events=endpoint.events,
            description=endpoint.description,
            active=action == "resume",
        )
        messages.success(request, "Endpoint switched on." if action == "resume" else "Paused.")
    elif action == "rotate":
        webhooks.rotate_secret(actor, endpoint)
        messages.success(request, "New signing secret made: update your receiver.")
    elif action == "delete":
        webhooks.delete_endpoint(actor, endpoint)
        messages.success(request, "Endpoint deleted.")
        return redirect("integrations:endpoints")
    else:
        raise NotFound("action")
    return redirect("integrations:endpoint", pk=pk)
