"""The front door: `/` sends each person to the right place for their role."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from reformer.core.permissions import is_staff
from reformer.web import navigation


def _url_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def home(request: HttpRequest) -> HttpResponse:
    """Visitors: the landing page. Members: their area (client or staff) when it exists."""
    if not request.user.is_authenticated:
        return render(request, "web/landing.html")
    membership = request.membership
    if membership is None:
        return redirect("start")
    if is_staff(membership):
        if url := _url_or_none("staff:dashboard"):
            return redirect(url)
        return render(request, "web/staff_home.html", {"shortcuts": navigation.items_for(request)})
    if url := _url_or_none("client:browse"):
        return redirect(url)
    return render(request, "web/client_home.html")
