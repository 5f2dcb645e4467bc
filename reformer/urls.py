from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from reformer.web.api.api import api

# The database out of reach (restarting, pool saturated) answers 503 + Retry-After, not 500.
handler500 = "reformer.web.unavailable.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    # One place to change one's email: the profile, which confirms the new address before it
    # counts and refuses one another account uses. allauth's "Email addresses" page let anyone
    # attach someone else's address as an unverified extra (mailing its owner, and blocking
    # that owner's later sign-up), so its URL now leads to the profile.
    path("accounts/email/", RedirectView.as_view(pattern_name="profile:edit")),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", api.urls),
    path("", include("reformer.web.urls")),
]
