"""The front door: `/` sends each person to the right place for their role."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from reformer.core.permissions import is_staff


def home(request: HttpRequest) -> HttpResponse:
    """Visitors: the landing page. Members: their area, client or staff."""
    if not request.user.is_authenticated:
        return render(request, "web/landing.html")
    membership = request.membership
    if membership is None:
        return redirect("start")
    return redirect("staff:dashboard" if is_staff(membership) else "client:browse")
