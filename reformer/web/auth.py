"""View decorators and fetch helpers for the tenancy rules (ARCHITECTURE §4).

    @membership_required           signed in and a member of an organization
    @staff_required                ... with a staff role (owner, manager, front desk, instructor)
    @capability_required(CAP)      ... holding capability CAP (core.permissions)

Each sends anonymous visitors to sign in (an htmx request gets HX-Redirect) and signed-in
users without an organization to the "join or create an organization" page; a member
without the role or capability gets the 403 page. Object-level checks (this studio, this
session) stay in the actions: `core.permissions.require(...)` raises NotFound or
PermissionDenied, which DomainErrorMiddleware turns into 404/403.

`get_or_404(queryset, pk)` fetches from a queryset already scoped to the actor (a query
from `<app>/queries.py`), so another organization's object is simply not found.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.db.models import Model, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from reformer.core.errors import NotFound
from reformer.core.parsing import to_id
from reformer.core.permissions import has_capability, is_staff
from reformer.web.errors import forbidden, is_htmx
from reformer.web.http import AppRequest

View = Callable[..., HttpResponse]
M = TypeVar("M", bound=Model)


def _refusal(request: AppRequest) -> HttpResponse | None:
    """Why the request may not reach a members-only view, as a response; None if it may."""
    if not request.user.is_authenticated:
        if is_htmx(request):
            next_url = request.htmx.current_url_abs_path or "/"
            return HttpResponseClientRedirect(
                f"{reverse('account_login')}?{urlencode({'next': next_url})}"
            )
        return redirect_to_login(request.get_full_path())
    if getattr(request, "membership", None) is None:
        if is_htmx(request):
            return HttpResponseClientRedirect(reverse("start"))
        return redirect("start")
    return None


def membership_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: AppRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _refusal(request) or view(request, *args, **kwargs)

    return wrapper


def staff_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: AppRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if refusal := _refusal(request):
            return refusal
        assert request.membership is not None  # _refusal let the request through
        if not is_staff(request.membership):
            return forbidden(request, "This page is for studio staff.")
        return view(request, *args, **kwargs)

    return wrapper


def capability_required(capability: str) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: AppRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if refusal := _refusal(request):
                return refusal
            assert request.membership is not None  # _refusal let the request through
            if not has_capability(request.membership, capability):
                return forbidden(request)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def get_or_404(queryset: QuerySet[M], pk: Any, what: str | None = None) -> M:
    """The object with `pk` in an actor-scoped queryset, else NotFound (the 404 page)."""
    key = to_id(pk)  # ids from URLs and forms: ASCII digits within bigint, else not found
    obj = None if key is None else queryset.filter(pk=key).first()
    if obj is None:
        raise NotFound(what or str(queryset.model._meta.verbose_name))
    return obj
