"""Site URLs, one area a prefix:

/             home (per role) and the accounts pages (o/<slug>/, invitations/<token>/,
              start/, organizations/new/, organizations/switch/)
/staff/...    back office, namespace "staff"
/owner/...    owner dashboard, namespace "owner"
/me/...       profile, namespace "profile"
/shop/, /payments/, /staff/payments/, /webhooks/stripe/   payments, namespace "payments"
/...          client pages, namespace "client" (mounted at the root, last)
"""

from __future__ import annotations

from django.urls import include, path

from reformer.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("reformer.web.accounts.urls")),
    path("staff/", include(("reformer.web.staff.urls", "staff"))),
    path("owner/", include("reformer.web.owner.urls")),
    path("me/", include("reformer.web.profile.urls")),
    path("", include(("reformer.web.payments.urls", "payments"))),
    path("", include(("reformer.web.client.urls", "client"))),
]
