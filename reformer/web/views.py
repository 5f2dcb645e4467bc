"""The front door: `/` sends each person to the right place for their role."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render

from reformer.core.permissions import VIEW_METRICS, has_capability, is_staff
from reformer.web.http import AppRequest


def home(request: AppRequest) -> HttpResponse:
    """Visitors: the landing page. Members: their area, client or staff."""
    if not request.user.is_authenticated:
        return render(request, "web/landing.html")
    membership = request.membership
    if membership is None:
        return redirect("start")
    if has_capability(membership, VIEW_METRICS):
        # Owners and managers land on their numbers; a new studio's dashboard shows the
        # onboarding steps instead.
        return redirect("owner:dashboard")
    if is_staff(membership):
        return redirect("staff:dashboard")
    from reformer.onboarding.readiness import readiness

    # A newcomer with the waiver or health form still to do starts on "Getting started".
    return redirect("client:browse" if readiness(membership).ready else "frontdoor:welcome")
