"""Site URLs, one area a prefix:

/             home (per role) and the accounts pages (o/<slug>/, invitations/<token>/,
              start/, organizations/new/, organizations/switch/)
/staff/...    back office, namespace "staff"
/owner/...    owner dashboard, namespace "owner"
/me/...       profile, namespace "profile"
/...          client pages, namespace "client" (mounted at the root, last)
"""

from __future__ import annotations

from django.urls import include, path

from reformer.web import health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("", include("reformer.web.accounts.urls")),
    path("staff/", include(("reformer.web.staff.urls", "staff"))),
    path("owner/", include("reformer.web.owner.urls")),
    path("me/", include("reformer.web.profile.urls")),
    path("", include("reformer.web.messaging.urls")),
    # Email tracking webhooks of every anymail provider (verified by anymail).
    path("webhooks/anymail/", include("anymail.urls")),
    path("", include(("reformer.web.client.urls", "client"))),
]
