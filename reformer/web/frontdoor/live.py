"""Live renderers of the front door: an "appointment" event on the client's own user group
(booked, cancelled, attendance) re-renders the dashboard's private-sessions section."""

from __future__ import annotations

from typing import Any

from reformer.accounts.models import Membership
from reformer.core.permissions import BOOK_SELF, has_capability
from reformer.web import live_render
from reformer.web.frontdoor import queries
from reformer.web.live_render import Subscriptions, fragment

DASHBOARD_PAGE = "client.dashboard"


def _on_dashboard(membership: Membership, subs: Subscriptions) -> bool:
    return subs.user and subs.page == DASHBOARD_PAGE and has_capability(membership, BOOK_SELF)


@live_render.register("appointment", applies=_on_dashboard)
def dashboard_appointments(
    membership: Membership, event: dict[str, Any], subs: Subscriptions
) -> str:
    if not _on_dashboard(membership, subs):
        return ""
    return fragment(
        "frontdoor/_dashboard_appointments.html",
        {"places": queries.client_places(membership), "oob": True},
    )
