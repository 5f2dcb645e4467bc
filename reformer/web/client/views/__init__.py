"""The client's pages. Thin views: parse input, call one action or query, render."""

from reformer.web.client.views.booking import (
    book,
    booking_detail,
    booking_ics,
    cancel,
    switch,
)
from reformer.web.client.views.browse import (
    browse,
    join_waitlist_view,
    leave_waitlist_view,
    session_detail,
    spot_map,
)
from reformer.web.client.views.dashboard import dashboard
from reformer.web.client.views.photos import class_type_photo, instructor_photo

__all__ = [
    "book",
    "booking_detail",
    "booking_ics",
    "browse",
    "cancel",
    "class_type_photo",
    "dashboard",
    "instructor_photo",
    "join_waitlist_view",
    "leave_waitlist_view",
    "session_detail",
    "spot_map",
    "switch",
]
