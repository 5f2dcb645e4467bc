"""Browsing classes: the filtered list (page and htmx partials), a class's page, the waitlist.

One view serves the full page and its fragments (ARCHITECTURE §5.6): an htmx request that
targets `#browse` gets the filters and results, one that targets a "more" row gets the next
window of classes, anything else (first load, reload, a shared link, a history restore) the
whole page. The filters live in the query string.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import push_url

from reformer.bookings.actions import join_waitlist, leave_waitlist
from reformer.core.errors import AccessError, DomainError, NotFound
from reformer.core.parsing import to_id
from reformer.web.client import browse_html, queries
from reformer.web.client.dashboard_queries import waitlist_entries
from reformer.web.client.forms import date_strip
from reformer.web.client.views._common import client_required, is_partial, target_of
from reformer.web.errors import status_for
from reformer.web.http import MemberRequest
from reformer.web.live_render import subscription_query
from reformer.web.toasts import add_toast


@require_GET
@client_required
def browse(request: MemberRequest) -> HttpResponse:
    actor = request.membership
    reads = queries.browse(actor, request.GET)
    page, options, today = reads.page, reads.options, reads.form.today
    browse_url = reverse("client:browse")
    context = {
        "form": reads.form,
        "page": page,
        "filters": page.filters,
        "strip_html": browse_html.strip_html(date_strip(page.filters, today), browse_url, today),
        "filters_sheet": browse_html.filters_sheet(reads.form, page.filters, options, browse_url),
        "options": options,
        "browse_url": browse_url,
        "live_query": subscription_query(studios=[studio.pk for studio in options.studios]),
    }
    target = target_of(request) if is_partial(request) else ""
    if target.startswith("browse-more"):
        response = render(request, "client/browse/_more.html", context)
    elif target in ("browse", "browse-results"):
        response = render(request, "client/browse/_browse.html", context)
        # The canonical URL of these filters (no empty fields) is what back/forward restore.
        if request.htmx.trigger != "browse-results":  # a re-sync is not a new history entry
            response = push_url(response, f"{context['browse_url']}?{page.filters.querystring()}")
    else:
        response = render(request, "client/browse/page.html", context)
    # The same URL answers with a fragment or a page: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@require_GET
@client_required
def session_detail(request: MemberRequest, session_id: int) -> HttpResponse:
    actor = request.membership
    card = queries.session_card(actor, session_id)
    return render(
        request,
        "client/session_detail.html",
        {
            "card": card,
            "session": card.session,
            "back_url": _safe_back(request),
            "live_query": subscription_query(studios=[card.session.studio_id]),
        },
    )


@require_GET
@client_required
def spot_map(request: MemberRequest, session_id: int) -> HttpResponse:
    """The room map of a class, refreshed in an open booking dialog when the class changes."""
    actor = request.membership
    card = queries.session_card(actor, session_id)
    selected = request.GET.get("spot", "")
    return render(
        request,
        "client/book/_spot_map.html",
        {
            "card": card,
            "spots": queries.spot_map(actor, card.session),
            "selected_spot": to_id(selected),
        },
    )


@require_POST
@client_required
def join_waitlist_view(request: MemberRequest, session_id: int) -> HttpResponse:
    actor = request.membership
    session = queries.session_card(actor, session_id).session
    error: DomainError | None = None
    try:
        join_waitlist(actor, session)
    except AccessError:
        raise
    except DomainError as exc:
        error = exc
    return _waitlist_response(request, session_id, error, joined=True)


@require_POST
@client_required
def leave_waitlist_view(request: MemberRequest, session_id: int) -> HttpResponse:
    actor = request.membership
    error: DomainError | None = None
    try:
        entry = queries.own_waiting_entry(actor, session_id)
    except NotFound as exc:  # not waiting any more (promoted meanwhile): show the state
        return _waitlist_response(request, session_id, exc, joined=False)
    try:
        leave_waitlist(actor, entry)
    except AccessError:
        raise
    except DomainError as exc:  # not waiting any more (promoted meanwhile): show the state
        error = exc
    return _waitlist_response(request, session_id, error, joined=False)


def _waitlist_response(
    request: MemberRequest, session_id: int, error: DomainError | None, *, joined: bool
) -> HttpResponse:
    """The changed card (or the booking dialog's body, or the dashboard's waitlist) with a
    toast saying what happened; without htmx, back to where the client was."""
    actor = request.membership
    card = queries.session_card(actor, session_id)
    if error is not None:
        message, level = error.message, "error"
    elif joined:
        message = f"You're on the waitlist: number {card.waitlist_position} in line."
        level = "success"
    else:
        message, level = "You've left the waitlist.", "success"
    target = target_of(request)
    if not is_partial(request):
        (messages.error if error else messages.success)(request, message)
        return redirect(_safe_back(request) or reverse("client:dashboard"))
    if target == "book-dialog-body":
        response = render(
            request,
            "client/book/_waitlisted.html",
            {"card": card, "session": card.session, "error": error},
            status=status_for(error) if error else 200,
        )
    elif target == "dash-waitlist":
        response = render(
            request, "client/dashboard/_waitlist.html", {"waitlist": waitlist_entries(actor)}
        )
    else:
        response = render(request, "client/browse/_card.html", {"card": card})
    return add_toast(response, message, level)


def _safe_back(request: MemberRequest) -> str:
    """Where "Back to classes" goes: the browse URL the client came from, filters and all
    (from the Referer, only when it is this site's browse page)."""
    referer = urlsplit(request.META.get("HTTP_REFERER", ""))
    if referer.netloc and referer.netloc != request.get_host():
        return ""
    browse_url = reverse("client:browse")
    if not referer.path.startswith(browse_url):
        return ""
    return f"{referer.path}?{referer.query}" if referer.query else referer.path
