"""The client's pages. Thin views: parse input, call one action or query, render."""

from reformer.web.client.views.booking import book, booking_detail, booking_ics, cancel
from reformer.web.client.views.browse import (
    browse,
    join_waitlist_view,
    leave_waitlist_view,
    session_detail,
    spot_map,
)
from reformer.web.client.views.dashboard import dashboard

__all__ = [
    "book",
    "booking_detail",
    "booking_ics",
    "browse",
    "cancel",
    "dashboard",
    "join_waitlist_view",
    "leave_waitlist_view",
    "session_detail",
    "spot_map",
]
