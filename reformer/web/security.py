"""Response headers for a site that faces strangers (the CSP itself is django-csp's).

- Permissions-Policy: no camera, microphone, geolocation, payment or USB for any origin.
- Secure cookies on HTTPS: behind a proxy that says so (`SECURE_PROXY_SSL_HEADER`, turned on
  by SECURE_SSL or TRUST_X_FORWARDED_PROTO), every cookie set on an HTTPS request gets
  `Secure`, even when the site is also reachable over plain HTTP (a local install).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "interest-cohort",
    )
)


class SecurityHeadersMiddleware:
    """Outermost after Django's SecurityMiddleware, so it sees every cookie set below it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if request.is_secure():
            for morsel in response.cookies.values():
                morsel["secure"] = True
        return response
