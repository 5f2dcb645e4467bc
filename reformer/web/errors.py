"""DomainError -> HTTP response, for every view.

- Raise (or let through) `NotFound` -> the 404 page, `PermissionDenied` -> the 403 page;
  Django's Http404 and PermissionDenied behave the same way.
- Any other DomainError that a view does not handle -> a 422 page with its message.
- On htmx requests all of these answer with a toast instead of a page (see toasts.py).
- A view that wants to show the message in context (a form re-rendered with the error)
  catches the error and returns `render_domain_error(request, error, template=...)`.

`DomainErrorMiddleware` (in settings.MIDDLEWARE) does the first three for uncaught errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from reformer.accounts.errors import HTTP_STATUS as ACCOUNTS_HTTP_STATUS
from reformer.appointments.errors import HTTP_STATUS as APPOINTMENTS_HTTP_STATUS
from reformer.bookings.errors import HTTP_STATUS as BOOKINGS_HTTP_STATUS
from reformer.core.errors import HTTP_STATUS as CORE_HTTP_STATUS
from reformer.core.errors import DomainError, NotFound, PermissionDenied
from reformer.onboarding.errors import HTTP_STATUS as ONBOARDING_HTTP_STATUS
from reformer.scheduling.errors import HTTP_STATUS as SCHEDULING_HTTP_STATUS
from reformer.studios.errors import HTTP_STATUS as STUDIOS_HTTP_STATUS
from reformer.web.toasts import toast_oob, toast_response

NOT_FOUND_MESSAGE = "That page was not found."
FORBIDDEN_MESSAGE = "You do not have permission to do that. Ask a studio owner or manager."


# Each app declares its codes' HTTP statuses beside the codes (<app>/errors.py).
_HTTP_STATUS = {
    **CORE_HTTP_STATUS,
    **ACCOUNTS_HTTP_STATUS,
    **STUDIOS_HTTP_STATUS,
    **SCHEDULING_HTTP_STATUS,
    **BOOKINGS_HTTP_STATUS,
    **APPOINTMENTS_HTTP_STATUS,
    **ONBOARDING_HTTP_STATUS,
}


def status_for(error: DomainError) -> int:
    """The HTTP status a refusal is answered with: 404 / 403 for access errors, the app's
    table for its codes, 422 for the rest."""
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, PermissionDenied):
        return 403
    return _HTTP_STATUS.get(error.code, 422)


def is_htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)  # absent on requests that skipped the middleware
    return htmx is not None and bool(htmx) and not htmx.boosted


def render_domain_error(
    request: HttpRequest,
    error: DomainError,
    *,
    template: str,
    context: dict[str, Any] | None = None,
    status: int = 422,
) -> HttpResponse:
    """Re-render `template` with the error's message (NotFound/PermissionDenied -> 404/403).

    With a bound `form` in the context, the message is attached to the field named by
    `error.data["field"]` (or to the form as a whole) and the template shows it as usual;
    otherwise the template gets `error_message` to show (see components/alert.html), and
    on htmx requests the message also arrives as a toast.
    """
    if isinstance(error, NotFound):
        return not_found(request, error.message)
    if isinstance(error, PermissionDenied):
        return forbidden(request, error.message)
    ctx = dict(context or {})
    ctx["error"] = error
    form = ctx.get("form")
    field = error.data.get("field")
    attached = False
    if form is not None and getattr(form, "is_bound", False):
        form.add_error(field if field in form.fields else None, error.message)
        attached = True
    else:
        ctx["error_message"] = error.message
    response = render(request, template, ctx, status=status)
    if is_htmx(request) and not attached:
        response.content += toast_oob(error.message, "error").encode()
    return response


def not_found(request: HttpRequest, message: str = NOT_FOUND_MESSAGE) -> HttpResponse:
    if is_htmx(request):
        return toast_response(message, status=404)
    return render(request, "404.html", {"message": message}, status=404)


def forbidden(request: HttpRequest, message: str = FORBIDDEN_MESSAGE) -> HttpResponse:
    if is_htmx(request):
        return toast_response(message, status=403)
    return render(request, "403.html", {"message": message}, status=403)


def domain_error_page(request: HttpRequest, error: DomainError) -> HttpResponse:
    if is_htmx(request):
        return toast_response(error.message, status=422)
    return render(request, "error.html", {"message": error.message, "error": error}, status=422)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW: usually a page left open across a sign-in or sign-out."""
    return forbidden(
        request,
        "This page was open too long or you signed in elsewhere. Reload the page and try again.",
    )


class DomainErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, NotFound):
            return not_found(request, exception.message)
        if isinstance(exception, PermissionDenied):
            return forbidden(request, exception.message)
        if isinstance(exception, DomainError):
            return domain_error_page(request, exception)
        # Django's own: full pages go to the 403/404 templates via Django's handlers.
        if isinstance(exception, Http404) and is_htmx(request):
            return not_found(request)
        if isinstance(exception, DjangoPermissionDenied) and is_htmx(request):
            return forbidden(request, str(exception) or FORBIDDEN_MESSAGE)
        return None
