from __future__ import annotations

from django.urls import path

from reformer.web import navigation
from reformer.web.profile import views

app_name = "profile"

urlpatterns = [
    path("", views.edit, name="edit"),
    path("photo/", views.photo, name="photo"),
    path("photo/remove/", views.photo_remove, name="photo_remove"),
    path("photo/current.jpg", views.photo_file, name="photo_file"),
    path("notifications/", views.notifications, name="notifications"),
    path("password/", views.password, name="password"),
    path("email/confirm/<str:token>/", views.confirm_email, name="confirm_email"),
]

navigation.register(navigation.MEMBERS, "Profile", "profile:edit", 90)
