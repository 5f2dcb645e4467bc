from django.contrib import admin
from django.urls import include, path

from reformer.web.api.api import api

# The database out of reach (restarting, pool saturated) answers 503 + Retry-After, not 500.
handler500 = "reformer.web.unavailable.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", api.urls),
    path("", include("reformer.web.urls")),
]
