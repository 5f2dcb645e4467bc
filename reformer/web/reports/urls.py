from __future__ import annotations

from django.urls import path

from reformer.core.permissions import VIEW_REPORTS
from reformer.web import navigation
from reformer.web.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("request/", views.request_custom, name="request"),
    path("settings/", views.settings_view, name="settings"),
    path("schedules/", views.schedule_save, name="schedule_save"),
    path("schedules/<int:schedule_id>/remove/", views.schedule_remove, name="schedule_remove"),
    path("<int:report_id>/status/", views.status, name="status"),
    path("<int:report_id>/report.<str:fmt>", views.download, name="download"),
    path("link/<str:token>/", views.signed_download, name="signed_download"),
]

navigation.register(navigation.STAFF, "Reports", "reports:list", 7, capability=VIEW_REPORTS)
