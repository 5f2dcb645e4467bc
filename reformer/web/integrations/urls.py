from __future__ import annotations

from django.urls import path

from reformer.core.permissions import BOOK_SELF, MANAGE_INTEGRATIONS
from reformer.web import navigation
from reformer.web.integrations import data_views, views

app_name = "integrations"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("keys/", views.api_keys, name="api_keys"),
    path("keys/<int:pk>/revoke/", views.revoke_key, name="revoke_key"),
    path("webhooks/", views.endpoints, name="endpoints"),
    path("webhooks/<int:pk>/", views.endpoint, name="endpoint"),
    path(
        "webhooks/<int:pk>/<str:action>/",
        views.endpoint_action,
        name="endpoint_action",
    ),
    path("export/", data_views.export_page, name="export"),
    path("export/<int:pk>/status/", data_views.export_status, name="export_status"),
    path("export/<str:token>/download/", data_views.export_download, name="export_download"),
    path("import/", data_views.import_page, name="import"),
    path("my-data/", data_views.my_data, name="my_data"),
    path("my-data/download/", data_views.my_data_download, name="my_data_download"),
    path("my-data/delete/", data_views.my_data_delete, name="my_data_delete"),
]

navigation.register(
    navigation.STAFF,
    "Integrations",
    "integrations:overview",
    90,
    capability=MANAGE_INTEGRATIONS,
)
navigation.register(
    navigation.CLIENT,
    "Your data",
    "integrations:my_data",
    80,
    capability=BOOK_SELF,
    section="account",
)
