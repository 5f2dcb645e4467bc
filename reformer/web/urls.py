"""Site URLs. Each web area is mounted only once its urls module exists (the areas are
written in parallel), so a missing area never breaks the others:

    /             home (per role) and the accounts pages (o/<slug>/, invitations/<token>/,
                  start/, organizations/new/, organizations/switch/)
    /staff/...    reformer.web.staff.urls, namespace "staff"
    /owner/...    reformer.web.owner.urls (its app_name)
    /me/...       reformer.web.profile.urls (its app_name)
    /...          reformer.web.client.urls, namespace "client" (mounted at the root, last)
"""

from __future__ import annotations

from importlib.util import find_spec

from django.urls import include, path

from reformer.web import views

# (URL prefix, urls module, namespace; None = the module's own app_name)
AREAS: list[tuple[str, str, str | None]] = [
    ("staff/", "reformer.web.staff.urls", "staff"),
    ("owner/", "reformer.web.owner.urls", None),
    ("me/", "reformer.web.profile.urls", None),
    ("", "reformer.web.client.urls", "client"),
]


def _exists(module: str) -> bool:
    try:
        return find_spec(module) is not None
    except ModuleNotFoundError:
        return False


urlpatterns = [
    path("", views.home, name="home"),
    path("", include("reformer.accounts.urls")),
]

for prefix, module, namespace in AREAS:
    if _exists(module):
        urlpatterns.append(path(prefix, include((module, namespace) if namespace else module)))
