"""Tenancy for the web layer: which organization (Membership) this request acts in.

`request.membership` is the user's active Membership in the current organization: the one
chosen with the organization switcher (kept in the session), else the first active one;
None for anonymous users and users without a membership. `request.memberships` lists all
their active memberships (for the switcher). One query per authenticated request.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote

from django.contrib import messages
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from reformer.accounts.models import Membership, User
from reformer.accounts.queries import memberships_of
from reformer.core import timeformat
from reformer.web.http import AppRequest

SESSION_KEY = "reformer.membership_id"


def choose_membership(memberships: list[Membership], chosen_id: object) -> Membership | None:
    for membership in memberships:
        if membership.pk == chosen_id:
            return membership
    return memberships[0] if memberships else None


def current_membership(user: User, session: SessionBase) -> Membership | None:
    """The membership a user acts in, given their session (also used by websockets)."""
    return choose_membership(memberships_of(user), session.get(SESSION_KEY))


def remember_membership(request: AppRequest, membership: Membership) -> None:
    """Make `membership` the current one for this browser session (and this request)."""
    request.session[SESSION_KEY] = membership.pk
    request.membership = membership


class CurrentMembershipMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: AppRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            request.memberships = memberships_of(user)
            request.membership = choose_membership(
                request.memberships, request.session.get(SESSION_KEY)
            )
        else:
            request.memberships = []
            request.membership = None
        # Dates and times on this request's pages as the organization writes them.
        organization = request.membership.organization if request.membership else None
        token = timeformat.set_current(organization)
        try:
            return self.get_response(request)
        finally:
            timeformat.reset(token)


class HtmxMessagesMiddleware:
    """Delivers Django messages on htmx responses as out-of-band toasts.

    Full pages show messages in the base layout; htmx partials do not include it, so a
    view may call `messages.success(request, "Booked.")` either way.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: AppRequest) -> HttpResponse:
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or request.htmx.boosted:
            return response
        if response.status_code in (301, 302, 303, 307, 308) or response.streaming:
            return response
        if "HX-Redirect" in response or "HX-Location" in response or "HX-Refresh" in response:
            return response
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        pending = list(messages.get_messages(request))
        if pending:
            from reformer.web.toasts import toasts_oob

            response.content += toasts_oob(
                [(str(message), message.level_tag or "info") for message in pending]
            ).encode()
        return response


class RejectNulCharactersMiddleware:
    """A NUL character in a query string or a submitted form cannot be stored by PostgreSQL
    (a DataError deep in a view would be a 500): refuse the request up front with a 400."""

    MESSAGE = (
        "This request contained a character that cannot be stored (a NUL byte). "
        "Remove it and try again."
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            return self.get_response(request)  # the API validates and answers problem+json
        if "\x00" in unquote(request.META.get("QUERY_STRING", "")) or self._form_has_nul(request):
            return HttpResponseBadRequest(self.MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def _form_has_nul(request: HttpRequest) -> bool:
        # Only url-encoded forms: reading a multipart body here would consume the upload.
        if request.method != "POST" or request.content_type != "application/x-www-form-urlencoded":
            return False
        return any("\x00" in value for values in request.POST.lists() for value in values[1])
