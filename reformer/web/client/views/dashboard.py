"""The client's dashboard: upcoming classes, packages and credits, waitlist, history."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from reformer.web.client import dashboard_queries
from reformer.web.client.live import DASHBOARD_PAGE
from reformer.web.client.views._common import client_required, is_partial, target_of
from reformer.web.http import MemberRequest
from reformer.web.live_render import subscription_query


@require_GET
@client_required
def dashboard(request: MemberRequest) -> HttpResponse:
    dash = dashboard_queries.dashboard(request.membership)
    context = {
        "dash": dash,
        "tz": request.membership.organization.time_zone,
        "live_query": subscription_query(studios=dash.waitlist_studio_ids, page=DASHBOARD_PAGE),
    }
    if is_partial(request) and target_of(request) == "dashboard-main":
        return render(request, "client/dashboard/_main.html", context)
    return render(request, "client/dashboard/page.html", context)
