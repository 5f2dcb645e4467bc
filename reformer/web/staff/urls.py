"""The staff back office, mounted at /staff/ (namespace "staff")."""

from __future__ import annotations

from django.urls import path

from reformer.core.permissions import (
    MANAGE_STAFF,
    MANAGE_STUDIO,
    VIEW_ROSTER,
    VIEW_SCHEDULE,
)
from reformer.web import navigation
from reformer.web.staff import (
    alerts,
    checkin,
    home,
    instructor,
    offline_sync,
    setup_products,
    setup_rooms,
    setup_schedule,
    setup_studios,
    suspensions,
    team,
    time_off,
)

app_name = "staff"

urlpatterns = [
    path("", home.dashboard, name="dashboard"),
    # Setup
    path("setup/organization/", setup_studios.organization, name="organization"),
    path("setup/studios/", setup_studios.studios, name="studios"),
    path("setup/studios/<int:pk>/", setup_studios.studio, name="studio"),
    path("setup/studios/<int:pk>/details/", setup_studios.studio_details, name="studio_details"),
    path("setup/studios/<int:pk>/hours/", setup_studios.studio_hours, name="studio_hours"),
    path(
        "setup/studios/<int:pk>/special-hours/",
        setup_studios.studio_special_hours,
        name="studio_special_hours",
    ),
    path(
        "setup/studios/<int:pk>/special-hours/<str:day>/clear/",
        setup_studios.studio_special_hours_clear,
        name="studio_special_hours_clear",
    ),
    path(
        "setup/studios/<int:pk>/closures/",
        setup_studios.studio_closure_add,
        name="studio_closure_add",
    ),
    path("setup/closures/<int:pk>/remove/", setup_studios.closure_remove, name="closure_remove"),
    path("setup/studios/<int:pk>/policy/", setup_studios.studio_policy, name="studio_policy"),
    path("setup/studios/<int:pk>/rooms/", setup_rooms.room_create, name="room_create"),
    path("setup/rooms/<int:pk>/", setup_rooms.room, name="room"),
    path("setup/rooms/<int:pk>/layout/", setup_rooms.room_layout, name="room_layout"),
    path("setup/class-types/", setup_products.class_types, name="class_types"),
    path("setup/class-types/<int:pk>/", setup_products.class_type, name="class_type"),
    path(
        "setup/class-types/<int:pk>/photo/",
        setup_products.class_type_photo,
        name="class_type_photo",
    ),
    path(
        "setup/class-types/<int:pk>/active/",
        setup_products.class_type_active,
        name="class_type_active",
    ),
    path("setup/packages/", setup_products.products, name="products"),
    path("setup/packages/<int:pk>/", setup_products.product, name="product"),
    path("setup/packages/<int:pk>/active/", setup_products.product_active, name="product_active"),
    # Schedule
    path("schedule/", setup_schedule.schedule, name="schedule"),
    path("schedule/new/", setup_schedule.session_create, name="session_create"),
    path("schedule/weekly/", setup_schedule.templates, name="templates"),
    path("schedule/weekly/<int:pk>/", setup_schedule.template_edit, name="template"),
    path("schedule/weekly/<int:pk>/stop/", setup_schedule.template_stop, name="template_stop"),
    path(
        "schedule/weekly/<int:pk>/generate/",
        setup_schedule.template_generate,
        name="template_generate",
    ),
    path(
        "schedule/classes/<int:pk>/instructor/",
        setup_schedule.session_instructor,
        name="session_instructor",
    ),
    path("schedule/classes/<int:pk>/cancel/", setup_schedule.session_cancel, name="session_cancel"),
    # Team
    path("team/", team.team, name="team"),
    path("team/invite/", team.invite, name="invite"),
    path("team/invitations/<int:pk>/revoke/", team.invitation_revoke, name="invitation_revoke"),
    path("team/members/<int:pk>/role/", team.member_role, name="member_role"),
    path("team/members/<int:pk>/active/", team.member_active, name="member_active"),
    # Classes: the instructor's dashboard, the class page with its roster, check-in
    path("classes/", instructor.instructor_dashboard, name="instructor_dashboard"),
    # Time off: one's own, or (?instructor=<id>) that of staff whose schedule one manages
    path("time-off/", time_off.time_off, name="time_off"),
    path("time-off/<int:pk>/remove/", time_off.time_off_remove, name="time_off_remove"),
    path("classes/<int:pk>/", instructor.session_detail, name="session_detail"),
    path("classes/<int:pk>/roster/", instructor.session_roster, name="session_roster"),
    path("classes/<int:pk>/notes/", instructor.session_notes, name="session_notes"),
    path("classes/<int:pk>/book/", checkin.session_book, name="session_book"),
    path("bookings/<int:pk>/attendance/", instructor.booking_attendance, name="booking_attendance"),
    path("bookings/<int:pk>/undo/", instructor.booking_undo, name="booking_undo"),
    path("checkin/", checkin.checkin, name="checkin"),
    path("checkin/find/", checkin.checkin_find, name="checkin_find"),
    path(
        "classes/<int:pk>/check-in-all/",
        instructor.session_checkin_all,
        name="session_checkin_all",
    ),
    path(
        "clients/<int:pk>/suspension/",
        suspensions.client_suspension,
        name="client_suspension",
    ),
    path("attendance/sync/", offline_sync.attendance_sync, name="attendance_sync"),
    # Alerts
    path("alerts/", alerts.alert_list, name="alerts"),
    path("alerts/<int:pk>/resolve/", alerts.alert_resolve, name="alert_resolve"),
]

# Main navigation (web/navigation.py): each entry shows only to roles holding its capability.
navigation.register(navigation.STAFF, "Setup", "staff:dashboard", 10, capability=MANAGE_STUDIO)
navigation.register(navigation.STAFF, "Schedule", "staff:schedule", 20, capability=VIEW_SCHEDULE)
navigation.register(
    frozenset({"owner", "manager", "front_desk"}),
    "Check-in",
    "staff:checkin",
    30,
    capability=VIEW_ROSTER,
)
navigation.register(
    frozenset({"owner", "manager", "instructor"}), "My classes", "staff:instructor_dashboard", 40
)
navigation.register(navigation.STAFF, "Team", "staff:team", 50, capability=MANAGE_STAFF)
