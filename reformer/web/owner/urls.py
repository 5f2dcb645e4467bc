from __future__ import annotations

from django.urls import path

from reformer.core.permissions import VIEW_METRICS
from reformer.web import navigation
from reformer.web.owner import analytics_views, instructors, views

app_name = "owner"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("metrics/", views.metrics, name="metrics"),
    path("chart/", views.chart, name="chart"),
    path("schedule/", views.schedule, name="schedule"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("analytics/", analytics_views.page, name="analytics"),
    path("analytics/panels/<str:name>/", analytics_views.panel, name="analytics_panel"),
    path("analytics/drill/<str:name>/", analytics_views.drill, name="analytics_drill"),
    path(
        "analytics/export/<str:name>.<str:fmt>",
        analytics_views.export,
        name="analytics_export",
    ),
    path("instructors/", instructors.instructors, name="instructors"),
    path("instructors/invite/", instructors.instructor_invite, name="instructor_invite"),
    path("instructors/<int:pk>/", instructors.instructor_edit, name="instructor_edit"),
    path(
        "instructors/<int:pk>/deactivate/",
        instructors.instructor_deactivate,
        name="instructor_deactivate",
    ),
    path(
        "instructors/<int:pk>/reactivate/",
        instructors.instructor_reactivate,
        name="instructor_reactivate",
    ),
]

navigation.register(navigation.STAFF, "Dashboard", "owner:dashboard", 5, capability=VIEW_METRICS)
navigation.register(navigation.STAFF, "Analytics", "owner:analytics", 6, capability=VIEW_METRICS)
