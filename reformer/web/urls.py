"""Site URLs. The client and staff areas are mounted only once their modules exist:

    /          home (per role), accounts pages (o/<slug>/, invitations/<token>/, start/, ...)
    /...       reformer.web.client.urls, namespace "client" (mounted at the root)
    /staff/... reformer.web.staff.urls, namespace "staff"
"""

from __future__ import annotations

from importlib.util import find_spec

from django.urls import include, path

from reformer.web import views


def _exists(module: str) -> bool:
    try:
        return find_spec(module) is not None
    except ModuleNotFoundError:
        return False


urlpatterns = [
    path("", views.home, name="home"),
    path("", include("reformer.accounts.urls")),
    path("owner/", include("reformer.web.owner.urls")),
    path("me/", include("reformer.web.profile.urls")),
]

if _exists("reformer.web.staff.urls"):
    urlpatterns.append(path("staff/", include(("reformer.web.staff.urls", "staff"))))
if _exists("reformer.web.client.urls"):
    urlpatterns.append(path("", include(("reformer.web.client.urls", "client"))))
