"""The front door (namespace "frontdoor"): client pages at the root, staff under /staff/."""

from __future__ import annotations

from django.urls import path

from reformer.core.permissions import (
    MANAGE_APPOINTMENT_TYPES,
    MANAGE_AVAILABILITY,
    VIEW_SCHEDULE,
)
from reformer.web import navigation
from reformer.web.frontdoor import client_views, setup_views, staff_views

app_name = "frontdoor"

urlpatterns = [
    path("start-here/", client_views.welcome, name="welcome"),
    path("waivers/<int:version_id>/", client_views.waiver, name="waiver"),
    path("health-form/", client_views.intake, name="intake"),
    path("privates/", client_views.privates, name="privates"),
    path("privates/<int:type_id>/", client_views.private_slots, name="private_slots"),
    path(
        "privates/booked/<str:reference>/calendar.ics",
        client_views.private_ics,
        name="private_ics",
    ),
    path(
        "privates/booked/<str:reference>/cancel/",
        client_views.cancel_private,
        name="cancel_private",
    ),
    path("staff/appointments/", staff_views.appointments, name="staff_appointments"),
    path("staff/appointments/book/", staff_views.appointment_book, name="staff_appointment_book"),
    path("staff/appointments/<int:pk>/", staff_views.appointment_detail, name="staff_appointment"),
    path(
        "staff/appointments/<int:pk>/invite/",
        staff_views.appointment_invite,
        name="staff_appointment_invite",
    ),
    path(
        "staff/appointments/<int:pk>/cancel/",
        staff_views.appointment_cancel,
        name="staff_appointment_cancel",
    ),
    path(
        "staff/appointment-places/<int:pk>/mark/", staff_views.attendee_mark, name="attendee_mark"
    ),
    path("staff/my-hours/", staff_views.my_hours, name="my_hours"),
    path("staff/clients/<int:pk>/", staff_views.client_card, name="staff_client"),
    path("staff/clients/<int:pk>/sell/", staff_views.client_sell, name="staff_client_sell"),
    path("staff/clients/<int:pk>/tag/", staff_views.client_tag, name="staff_client_tag"),
    path(
        "staff/clients/<int:pk>/birthday/",
        staff_views.client_birthday,
        name="staff_client_birthday",
    ),
    path("staff/setup/newcomers/", setup_views.newcomers, name="setup_newcomers"),
]

navigation.register(navigation.CLIENT, "Get started", "frontdoor:welcome", order=5)
navigation.register(navigation.CLIENT, "Privates", "frontdoor:privates", order=15)
navigation.register(
    navigation.STAFF, "Appointments", "frontdoor:staff_appointments", 25, capability=VIEW_SCHEDULE
)
navigation.register(
    frozenset({"instructor"}), "My hours", "frontdoor:my_hours", 45, capability=MANAGE_AVAILABILITY
)
navigation.register(
    frozenset({"owner", "manager"}),
    "Newcomers",
    "frontdoor:setup_newcomers",
    12,
    capability=MANAGE_APPOINTMENT_TYPES,
)
