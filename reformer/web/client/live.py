"""Live renderers of the client's pages (web/live_render.py explains the mechanism).

- "session" events (a place taken or freed, a waitlist change, a class cancelled) arrive on
  the studio schedule groups: each changed class card is re-rendered for this viewer, with
  their own Booked / waitlist state, plus their waitlist position for the dashboard. Cards
  are shared between viewers in the same situation (card_cache.py): one booking re-renders
  a card for hundreds of open pages.
- "booking", "waitlist" and "package" events arrive on the viewer's own user group: the
  dashboard sections they affect are re-rendered.

The dashboard names itself in its subscriptions (page "client.dashboard"): its sections and
waitlist positions go only there, and class cards only to the other pages, so htmx never
receives a fragment it has no place for.
"""

from __future__ import annotations

from typing import Any

from reformer.accounts.models import Membership
from reformer.core.permissions import BOOK_SELF, has_capability
from reformer.web import live_render
from reformer.web.client import dashboard_queries, queries
from reformer.web.client.card_cache import card_fragments
from reformer.web.live_render import Subscriptions, fragment

DASHBOARD_PAGE = "client.dashboard"


def _is_client(membership: Membership) -> bool:
    return has_capability(membership, BOOK_SELF)


def _on_dashboard(membership: Membership, subs: Subscriptions) -> bool:
    return subs.user and subs.page == DASHBOARD_PAGE and _is_client(membership)


@live_render.register("session")
def session_cards(membership: Membership, event: dict[str, Any], subs: Subscriptions) -> str:
    if not subs.studio_ids or not _is_client(membership):
        return ""
    ids = [int(pk) for pk in event.get("ids", [])][: queries.PAGE_SIZE]
    on_dashboard = subs.page == DASHBOARD_PAGE
    parts = []
    for session_id, html, position in card_fragments(membership, ids, subs.studio_ids):
        if not on_dashboard:
            parts.append(html)
        elif position is not None:
            parts.append(
                fragment(
                    "client/dashboard/_position.html",
                    {"session_id": session_id, "position": position, "oob": True},
                )
            )
    return "".join(parts)


def _sections(membership: Membership, names: tuple[str, ...]) -> str:
    dash = dashboard_queries.dashboard(membership, sections=names)
    context = {"dash": dash, "tz": membership.organization.time_zone, "oob": True}
    return "".join(fragment(f"client/dashboard/_{name}.html", context) for name in names)


@live_render.register("booking")
def booking_sections(membership: Membership, event: dict[str, Any], subs: Subscriptions) -> str:
    if not _on_dashboard(membership, subs):
        return ""
    return _sections(membership, ("upcoming", "past"))


@live_render.register("waitlist")
def waitlist_section(membership: Membership, event: dict[str, Any], subs: Subscriptions) -> str:
    if not _on_dashboard(membership, subs):
        return ""
    return _sections(membership, ("waitlist",))


@live_render.register("package")
def package_sections(membership: Membership, event: dict[str, Any], subs: Subscriptions) -> str:
    if not _on_dashboard(membership, subs):
        return ""
    return _sections(membership, ("alerts", "packages"))
