from __future__ import annotations

from django.urls import path

from reformer.web import navigation
from reformer.web.calendars import views

app_name = "calendars"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("create/", views.create, name="create"),
    path("reset/", views.reset, name="reset"),
    path("turn-off/", views.turn_off, name="turn_off"),
    path("reminders/", views.reminders, name="reminders"),
    path("feed/<str:token>.ics", views.feed, name="feed"),
    path("studios/<int:studio_id>/", views.studio_page, name="studio"),
    path("studios/<int:studio_id>/schedule.ics", views.studio_schedule, name="studio_feed"),
    path("subscriptions/", views.subscriptions, name="subscriptions"),
    path("subscriptions/<int:feed_id>/revoke/", views.revoke, name="revoke"),
]

navigation.register(navigation.MEMBERS, "Calendar", "calendars:mine", 85, section="account")
