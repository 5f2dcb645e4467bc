"""Live renderers of the client's pages (web/live_render.py explains the mechanism).

- "session" events (a place taken or freed, a waitlist change, a class cancelled) arrive on
  the studio schedule groups carrying each class's public state (bookings/class_state.py).
  Each changed card is rendered from that state and the viewer's own situation, in the event
  loop, with no query: the viewer's place comes from the state's holders and waiting list,
  their booking reference from the socket's memory (`PLACES`: loaded at connect, kept current
  by their own "booking" events). Cards are shared between viewers in the same situation
  (card_cache.py): one booking renders a card once for a thousand open pages. The dashboard
  gets the viewer's waitlist position instead.
- "booking", "waitlist" and "package" events arrive on the viewer's own user group: the
  dashboard sections they affect are re-rendered (database renderers: one viewer's events).

The dashboard names itself in its subscriptions (page "client.dashboard"): its sections and
waitlist positions go only there, and class cards only to the other pages, so htmx never
receives a fragment it has no place for.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.bookings.class_state import class_states
from reformer.bookings.models import Booking
from reformer.core.permissions import BOOK_SELF, has_capability
from reformer.web import live_render
from reformer.web.client import card_cache, dashboard_queries
from reformer.web.client.cards import HeldPlace, first_overlap, held_places
from reformer.web.live_render import Memory, Subscriptions, Viewer, fragment

DASHBOARD_PAGE = "client.dashboard"
# The viewer's booking references by class id, for the "Booked" link on their cards.
PLACES = "client.places"
# The viewer's held places with their times, for the overlap note on other classes' cards.
OVERLAPS = "client.overlaps"
_OVERLAP_HORIZON = dt.timedelta(days=400)  # beyond any booking window a browse page shows
# Bookings of classes that started longer ago than this are not on any browse page.
_PLACES_SINCE = dt.timedelta(hours=12)


def _is_client(membership: Membership) -> bool:
    return has_capability(membership, BOOK_SELF)


def _on_dashboard(membership: Membership, subs: Subscriptions) -> bool:
    return subs.user and subs.page == DASHBOARD_PAGE and _is_client(membership)


def _shows_cards(membership: Membership, subs: Subscriptions) -> bool:
    return bool(subs.studio_ids) and subs.page != DASHBOARD_PAGE and _is_client(membership)


# --- the viewer's own places (socket memory) -----------------------------------------------


def _load_places(membership: Membership, subs: Subscriptions) -> dict[int, str] | None:
    if not _shows_cards(membership, subs):
        return None  # this page shows no cards: nothing to remember
    return dict(
        Booking.objects.filter(
            client=membership,
            status__in=Booking.HOLDING,
            session__starts_at__gte=timezone.now() - _PLACES_SINCE,
        ).values_list("session_id", "reference")
    )


def _places_stale(viewer: Viewer, event: dict[str, Any]) -> bool:
    if event.get("type") == "session" and "states" not in event:
        # Sent without its state (the publisher could not read it): this socket reads it.
        return bool(viewer.subscriptions.studio_ids) and _is_client(viewer.membership)
    places = viewer.memory.get(PLACES)
    if places is None:
        return False
    if event.get("type") == "booking":
        return viewer.subscriptions.user  # their own booking changed: which one?
    if event.get("type") == "session":
        me = viewer.membership.pk
        return any(me in s["holders"] and s["id"] not in places for s in event["states"])
    return False


def _update_places(viewer: Viewer, event: dict[str, Any]) -> None:
    membership = viewer.membership
    if event.get("type") == "session" and "states" not in event:
        # For this socket only: every socket gets its own copy of a channel-layer message.
        event["states"] = class_states(event.get("ids", []))
    places = viewer.memory.get(PLACES)
    if places is None:
        return
    if event.get("type") == "booking":
        mine = Booking.objects.filter(client=membership, pk__in=list(event.get("ids", []))[:100])
    else:
        ids = [s["id"] for s in event["states"] if membership.pk in s["holders"]]
        mine = Booking.objects.filter(client=membership, session_id__in=ids)
    for session_id, reference, status in mine.values_list("session_id", "reference", "status"):
        if status in Booking.HOLDING:
            places[session_id] = reference
        elif places.get(session_id) == reference:
            del places[session_id]


live_render.register_memory(
    Memory(name=PLACES, load=_load_places, stale=_places_stale, update=_update_places)
)


# --- the viewer's own classes' times (socket memory), for "Overlaps your 17:30 ..." --------


def _own_places(membership: Membership) -> list[HeldPlace]:
    """Their held places a browse page may show beside others (one query, start order)."""
    since = timezone.now() - _PLACES_SINCE
    return held_places(membership.pk, [(since, since + _OVERLAP_HORIZON)]).places


def _load_overlaps(membership: Membership, subs: Subscriptions) -> list[HeldPlace] | None:
    if not _shows_cards(membership, subs):
        return None
    return _own_places(membership)


def _overlaps_stale(viewer: Viewer, event: dict[str, Any]) -> bool:
    mine = viewer.memory.get(OVERLAPS)
    if mine is None:
        return False
    if event.get("type") == "booking":
        return viewer.subscriptions.user
    if event.get("type") == "session" and "states" in event:
        me = viewer.membership.pk
        if not mine:  # the common case in a rush: no place of theirs to compare with
            return any(me in s["holders"] for s in event["states"])
        known = {place.session_id for place in mine}
        # A place of theirs appeared (booked elsewhere) or went (their class was cancelled).
        return any((me in s["holders"]) != (s["id"] in known) for s in event["states"])
    return False


def _update_overlaps(viewer: Viewer, event: dict[str, Any]) -> None:
    viewer.memory[OVERLAPS] = _own_places(viewer.membership)


live_render.register_memory(
    Memory(name=OVERLAPS, load=_load_overlaps, stale=_overlaps_stale, update=_update_overlaps)
)


def _overlap_for(state: dict[str, Any], mine: list[HeldPlace]) -> HeldPlace | None:
    """The viewer's held place in another class at the same time as `state`'s class (what
    the browse page finds from its own read of their places), from the socket's memory."""
    starts_at = dt.datetime.fromisoformat(state["starts_at"])
    ends_at = dt.datetime.fromisoformat(state["ends_at"])
    return first_overlap(mine, state["id"], starts_at, ends_at)


# --- renderers ---------------------------------------------------------------------------------


def _cards_shared_by(viewer: Viewer, event: dict[str, Any]) -> Any:
    """Viewers with no place, waitlist entry or overlap of their own among these classes see
    the same cards (by page kind, organization and studios); the others are rendered alone
    (their cards still come from card_cache)."""
    membership, subs = viewer.membership, viewer.subscriptions
    if not subs.studio_ids or not _is_client(membership):
        return ""
    if viewer.memory.get(PLACES) or viewer.memory.get(OVERLAPS):
        return None
    me = membership.pk
    for state in event.get("states") or []:
        if me in state["holders"] or me in state["waiting"]:
            return None
    return (subs.page == DASHBOARD_PAGE, membership.organization_id, subs.studio_ids)


@live_render.register("session", local=True, shared_by=_cards_shared_by)
def session_cards(viewer: Viewer, event: dict[str, Any]) -> str:
    membership, subs = viewer.membership, viewer.subscriptions
    if not subs.studio_ids or not _is_client(membership):
        return ""
    on_dashboard = subs.page == DASHBOARD_PAGE
    places = viewer.memory.get(PLACES) or {}
    mine = viewer.memory.get(OVERLAPS) or []
    parts = []
    for state in event.get("states") or []:
        if (
            state["organization_id"] != membership.organization_id
            or state["studio_id"] not in subs.studio_ids
        ):
            continue
        position = card_cache.own_position(state, membership.pk)
        if not on_dashboard:
            holds = membership.pk in state["holders"]
            reference = places.get(state["id"], "") if holds else ""
            overlap = _overlap_for(state, mine) if mine and not holds else None
            parts.append(card_cache.card_html(state, reference, position, overlap))
        elif position is not None:
            parts.append(
                fragment(
                    "client/dashboard/_position.html",
                    {"session_id": state["id"], "position": position, "oob": True},
                )
            )
    return "".join(parts)


def _sections(membership: Membership, names: tuple[str, ...]) -> str:
    dash = dashboard_queries.dashboard(membership, sections=names)
    context = {"dash": dash, "tz": membership.organization.time_zone, "oob": True}
    return "".join(fragment(f"client/dashboard/_{name}.html", context) for name in names)


@live_render.register("booking", applies=_on_dashboard)
def booking_sections(membership: Membership, event: dict[str, Any], subs: Subscriptions) -> str:
    if not _on_dashboard(membership, subs):
        return ""
    return _sections(membership, ("upcoming", "past"))


@live_render.register("waitlist", applies=_on_dashboard)
def waitlist_section(membership: Membership, event: dict[str, Any], subs: Subscriptions) -> str:
    if not _on_dashboard(membership, subs):
        return ""
    return _sections(membership, ("waitlist",))


@live_render.register("package", applies=_on_dashboard)
def package_sections(membership: Membership, event: dict[str, Any], subs: Subscriptions) -> str:
    if not _on_dashboard(membership, subs):
        return ""
    return _sections(membership, ("alerts", "packages"))
