"""Live renderers for the staff pages (see web/live_render.py).

- "booking" / "waitlist" events on `session.<id>.roster`: the class page's roster is
  re-rendered out of band, and a new booking shows "New booking: <name>" (a toast in the
  page's polite live region). An attendance change replaces only that client's row.
- "session" events on `studio.<id>.schedule`: the row of that class on the check-in list
  and on the schedule (booked/capacity, instructor, status) is replaced.
Renderers only read, through the viewer's scoped queries, and return "" when the page
does not show the object or the viewer may not see it.
"""

from __future__ import annotations

from typing import Any

from reformer.accounts.models import Membership
from reformer.bookings.models import WaitlistEntry
from reformer.core.permissions import (
    BOOK_FOR_CLIENT,
    MANAGE_SCHEDULE,
    VIEW_ROSTER,
    has_capability,
    is_staff,
)
from reformer.web import live_render
from reformer.web.live_render import Subscriptions
from reformer.web.staff.common import roster_counts_oob, roster_permissions
from reformer.web.staff.queries import roster_bookings, roster_for, sessions_of
from reformer.web.staff.setup_queries import instructors_for
from reformer.web.toasts import toast_oob


def _roster_html(viewer: Membership, session) -> str:
    context = {
        "roster": roster_for(viewer, session),
        **roster_permissions(viewer, session),
        "roster_orders": (("spot", "By spot"), ("name", "By name")),
        "may_book": has_capability(viewer, BOOK_FOR_CLIENT, studio=session.studio),
        "oob": True,
    }
    return live_render.fragment("staff/session/_roster.html", context)


def _visible_sessions(viewer: Membership, subs: Subscriptions, session_ids) -> list:
    wanted = set(session_ids) & subs.session_ids
    if not wanted or not is_staff(viewer):
        return []
    sessions = sessions_of(viewer).filter(pk__in=wanted).order_by("pk")
    return [s for s in sessions if has_capability(viewer, VIEW_ROSTER, session=s)]


def _shows_rosters(viewer: Membership, subs: Subscriptions) -> bool:
    return bool(subs.session_ids) and is_staff(viewer)


def _shows_schedule(viewer: Membership, subs: Subscriptions) -> bool:
    return bool(subs.studio_ids) and is_staff(viewer)


@live_render.register("booking", applies=_shows_rosters)
def roster_on_booking(viewer: Membership, event: dict[str, Any], subs: Subscriptions) -> str:
    if not subs.session_ids or not is_staff(viewer):
        return ""
    bookings = [
        b for b in roster_bookings(viewer, event.get("ids", [])) if b.session_id in subs.session_ids
    ]
    if not bookings:
        return ""
    parts: list[str] = []
    op = event.get("op")
    sessions = _visible_sessions(viewer, subs, {b.session_id for b in bookings})
    visible = {s.pk for s in sessions}
    if op == "attendance":
        for booking in bookings:
            if booking.session_id in visible:
                parts.append(
                    live_render.fragment(
                        "staff/session/_roster_row.html",
                        {
                            "booking": booking,
                            "session": booking.session,
                            **roster_permissions(viewer, booking.session),
                            "oob": True,
                        },
                    )
                )
        # Other screens on this class see the counts follow the mark too.
        parts.extend(roster_counts_oob(viewer, session) for session in sessions)
        return "".join(parts)
    parts.extend(_roster_html(viewer, session) for session in sessions)
    if op == "created":
        for booking in bookings:
            if booking.session_id in visible:
                parts.append(toast_oob(f"New booking: {booking.client.name}", "info"))
    return "".join(parts)


@live_render.register("waitlist", applies=_shows_rosters)
def roster_on_waitlist(viewer: Membership, event: dict[str, Any], subs: Subscriptions) -> str:
    if not subs.session_ids or not is_staff(viewer):
        return ""
    session_ids = WaitlistEntry.objects.filter(
        organization_id=viewer.organization_id, pk__in=list(event.get("ids", []))
    ).values_list("session_id", flat=True)
    return "".join(
        _roster_html(viewer, session)
        for session in _visible_sessions(viewer, subs, set(session_ids))
    )


@live_render.register("session", applies=_shows_schedule)
def rows_on_session(viewer: Membership, event: dict[str, Any], subs: Subscriptions) -> str:
    """Keep a class's row current on the check-in list and the schedule (booked/capacity,
    instructor, status). Both rows are sent; a page swaps the one it shows."""
    if not subs.studio_ids or not is_staff(viewer):
        return ""
    sessions = list(
        sessions_of(viewer).filter(pk__in=list(event.get("ids", [])), studio_id__in=subs.studio_ids)
    )
    parts = []
    instructors: dict[int, list] = {}
    for session in sessions:
        parts.append(
            live_render.fragment("staff/checkin/_row.html", {"session": session, "oob": True})
        )
        may_manage = has_capability(viewer, MANAGE_SCHEDULE, session=session)
        if may_manage and session.studio_id not in instructors:
            instructors[session.studio_id] = instructors_for(viewer, session.studio)
        context = {
            "session": session,
            "may_manage": may_manage,
            "instructors": instructors.get(session.studio_id, []),
            "oob": True,
        }
        parts.append(live_render.fragment("staff/schedule/_session_row.html", context))
    return "".join(parts)
