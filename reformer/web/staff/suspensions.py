"""Lifting a client's no-show suspension (PHX-19, spec requirement 10): the alert, the
suspension email and the check-in page tell staff they can do it, so check-in lists the
suspended clients, the alert and the client's page link here, and this page asks first."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from reformer.bookings.actions import lift_suspension
from reformer.core.errors import DomainError
from reformer.core.permissions import LIFT_SUSPENSION
from reformer.web.auth import capability_required
from reformer.web.staff.common import actor_of, page
from reformer.web.staff.queries import client_of, suspension_of


def _back(request: HttpRequest, client_id: int) -> str:
    """Where the page came from (a path on this site), else the client's page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return target
    return reverse("frontdoor:staff_client", args=[client_id])


@capability_required(LIFT_SUSPENSION)
def client_suspension(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what the suspension is and a confirm button. POST: lift it."""
    actor = actor_of(request)
    client = client_of(actor, pk)  # another organization's client: not found
    back = _back(request, client.pk)
    if request.method != "POST":
        context = {"client": client, "until": suspension_of(client), "back": back}
        return page(request, "staff/clients/lift_suspension.html", context)
    try:
        lift_suspension(actor, client)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{client.name} can book again; they have been told by email.")
    return redirect(back)
