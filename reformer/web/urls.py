"""Site URLs, one area a prefix:

/             home (per role) and the accounts pages (o/<slug>/, invitations/<token>/,
              start/, organizations/new/, organizations/switch/)
/staff/...    back office, namespace "staff"
/owner/...    owner dashboard, namespace "owner"
/me/...       profile, namespace "profile"
/calendar/... calendar feeds and subscribe pages, namespace "calendars"
/reports/...  monthly and custom business reports, namespace "reports"
/shop/, /payments/, /staff/payments/, /webhooks/stripe/   payments, namespace "payments"
/...          client pages, namespace "client" (mounted at the root, last)
"""

from __future__ import annotations

from django.urls import include, path

from reformer.web import health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    # Email tracking webhooks: anymail's views, refused unless anymail verifies them
    # (web/messaging/email_webhooks.py). First: a provider posts thousands at once, and each
    # pattern tried before a match costs (12% of a webhook's time behind the includes below,
    # bench/notifications.py).
    path("webhooks/anymail/", include("reformer.web.messaging.email_webhooks")),
    path("", include("reformer.web.accounts.urls")),
    path("staff/", include(("reformer.web.staff.urls", "staff"))),
    path("owner/", include("reformer.web.owner.urls")),
    path("me/", include("reformer.web.profile.urls")),
    path("calendar/", include("reformer.web.calendars.urls")),
    path("reports/", include("reformer.web.reports.urls")),
    path("", include(("reformer.web.payments.urls", "payments"))),
    path("", include(("reformer.web.frontdoor.urls", "frontdoor"))),
    path("", include("reformer.web.messaging.urls")),
    path("integrations/", include("reformer.web.integrations.urls")),
    # The installable app: /sw.js, manifests and icons, /offline/ (namespace "pwa").
    path("", include(("reformer.web.pwa.urls", "pwa"))),
    path("", include(("reformer.web.client.urls", "client"))),
]
