"""The client's pages, mounted at the site root under the namespace "client"."""

from __future__ import annotations

from django.urls import path

from reformer.web import navigation
from reformer.web.client import views

app_name = "client"

navigation.register(navigation.CLIENT, "Classes", "client:browse", order=10)
navigation.register(navigation.CLIENT, "My bookings", "client:dashboard", order=20)

urlpatterns = [
    path("classes/", views.browse, name="browse"),
    path("classes/<int:session_id>/", views.session_detail, name="session_detail"),
    path("classes/<int:session_id>/book/", views.book, name="book"),
    path("classes/<int:session_id>/switch/", views.switch, name="switch"),
    path("classes/<int:session_id>/spots/", views.spot_map, name="spot_map"),
    path("classes/<int:session_id>/waitlist/", views.join_waitlist_view, name="join_waitlist"),
    path(
        "classes/<int:session_id>/waitlist/leave/",
        views.leave_waitlist_view,
        name="leave_waitlist",
    ),
    path("bookings/<str:reference>/", views.booking_detail, name="booking_detail"),
    path("bookings/<str:reference>/calendar.ics", views.booking_ics, name="booking_ics"),
    path("bookings/<str:reference>/cancel/", views.cancel, name="cancel_booking"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path(
        "photos/class-types/<int:class_type_id>.jpg",
        views.class_type_photo,
        name="class_type_photo",
    ),
    path(
        "photos/instructors/<int:membership_id>.jpg",
        views.instructor_photo,
        name="instructor_photo",
    ),
]
