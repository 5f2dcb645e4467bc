"""The installable app's HTTP: manifest and icons per organization (public: browsers fetch
manifests without cookies), the launch URL that lands each person on their role's home,
the service worker at the root scope, the app shell list and the offline fallback page."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

from reformer.accounts.queries import public_organization
from reformer.web.context import brand_for
from reformer.web.http import AppRequest
from reformer.web.middleware import remember_membership
from reformer.web.pwa import icons
from reformer.web.pwa.queries import offline_pages, offline_partials
from reformer.web.pwa.version import app_version, service_worker_source

# Static files every page needs, cached when the service worker installs.
SHELL_STATIC = [
    "css/app.css",
    "img/favicon.svg",
    "vendor/htmx/htmx.min.js",
    "vendor/htmx/ext-ws.min.js",
    "js/app.js",
    "js/live.js",
    "pwa/app.js",
    "pwa/queue.js",
    "pwa/offline.js",
    "pwa/push.js",
]
DEFAULT_APP = {"name": "Reformer", "colour": "#3b6e8f"}


def _organization(slug: str):
    found = public_organization(slug)
    if found is None:
        raise Http404("No such organization")
    return found[0]


@require_GET
@cache_control(max_age=300)
def manifest(request: HttpRequest, slug: str | None = None) -> JsonResponse:
    """The web app manifest: the organization's name, colour and icons; it launches at
    /o/<slug>/launch/, which takes each person to their role's home."""
    if slug is None:
        name, colour = DEFAULT_APP["name"], DEFAULT_APP["colour"]
        start, app_id = reverse("home") + "?source=pwa", "/"
        # One static() per file: under `reformer serve` each is a content-hashed name.
        sources = {size: static(f"pwa/icon-{size}.png") for size in icons.SIZES}
        maskable = static("pwa/icon-maskable-512.png")
    else:
        organization = _organization(slug)
        name, colour = organization.name, brand_for(organization).colour
        start = reverse("pwa:launch", args=[slug])
        app_id = start
        sources = {size: reverse("pwa:icon", args=[slug, size]) for size in icons.SIZES}
        maskable = reverse("pwa:maskable_icon", args=[slug])
    data = {
        "id": app_id,
        "name": name,
        "short_name": home_screen_name(name),
        "description": f"Book classes and manage your visits at {name}.",
        "start_url": start,
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "background_color": "#ffffff",
        "theme_color": colour,
        "icons": [
            *(
                {"src": sources[size], "sizes": f"{size}x{size}", "type": "image/png"}
                for size in icons.SIZES
            ),
            {"src": maskable, "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        ],
    }
    response = JsonResponse(data)
    response["Content-Type"] = "application/manifest+json"
    return response


@require_GET
@cache_control(max_age=3600)
def icon(request: HttpRequest, slug: str, size: int) -> HttpResponse:
    if size not in (*icons.SIZES, 180):
        raise Http404("No icon of that size")
    png = icons.render_icon(_organization(slug), size)
    return HttpResponse(png, content_type="image/png")


@require_GET
@cache_control(max_age=3600)
def maskable_icon(request: HttpRequest, slug: str) -> HttpResponse:
    png = icons.render_icon(_organization(slug), 512, maskable=True)
    return HttpResponse(png, content_type="image/png")


def launch(request: AppRequest, slug: str) -> HttpResponse:
    """The installed app's start URL: act in this organization (when the person belongs to
    it) and go to their role's home; visitors see the organization's public page."""
    organization = _organization(slug)
    if not request.user.is_authenticated:
        return redirect("organization_public", slug)
    for membership in request.memberships:
        if membership.organization_id == organization.pk:
            remember_membership(request, membership)
            return redirect("home")
    return redirect("organization_public", slug)


@require_GET
@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker (a static file) served from the root so its scope is the site.
    Never cached by HTTP: the browser must see a new one as soon as it is deployed."""
    response = HttpResponse(service_worker_source(), content_type="application/javascript")
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
@never_cache
def shell(request: AppRequest) -> JsonResponse:
    """What the service worker keeps: the app shell (at install) and, for a signed-in
    member, the pages they will want offline (refreshed while online)."""
    membership = getattr(request, "membership", None) if request.user.is_authenticated else None
    pages = offline_pages(membership)
    return JsonResponse(
        {
            "version": app_version(),
            "shell": [static(path) for path in SHELL_STATIC] + [reverse("pwa:offline")],
            "pages": pages,
            "partials": offline_partials(pages),
            "user": request.user.pk if request.user.is_authenticated else None,
        }
    )


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """Shown by the service worker for a page that was never saved while online."""
    return render(request, "pwa/offline.html", {"site_url": settings.SITE_URL})


# A home screen shows about 12 characters under an icon.
HOME_SCREEN_CHARACTERS = 12


def home_screen_name(name: str) -> str:
    """The app's name under its icon: whole words that fit ("Harbour Pilates" gives
    "Harbour", not "Harbour Pila"); a first word too long for the screen is cut."""
    name = " ".join(name.split())
    if len(name) <= HOME_SCREEN_CHARACTERS:
        return name
    fitted = ""
    for word in name.split(" "):
        candidate = f"{fitted} {word}".strip()
        if len(candidate) > HOME_SCREEN_CHARACTERS:
            break
        fitted = candidate
    return fitted or name[:HOME_SCREEN_CHARACTERS]
