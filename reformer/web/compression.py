"""Pages and fragments gzipped when the browser accepts it (issue 13; the reasons, the
BREACH question and the measured cost are in docs/architecture.md, "Compressed pages").

Django's GZipMiddleware, limited to text: a view's PNG icon, XLSX or PDF is compressed
already, and gzipping it again only spends CPU. Static files never reach it (WhiteNoise,
above it in MIDDLEWARE, answers them with its own precompressed copies). Django's version
adds up to 100 random bytes to each gzip header ("Heal the Breach", Django 4.2+).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec

from django.http import HttpRequest, HttpResponseBase
from django.middleware.gzip import GZipMiddleware

COMPRESSIBLE = (
    "text/",
    "application/json",
    "application/problem+json",
    "application/manifest+json",
    "application/javascript",
    "application/xml",
    "image/svg+xml",
)


class TextGZipMiddleware(GZipMiddleware):
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        kind = response.get("Content-Type", "").split(";")[0].strip().lower()
        if not kind.startswith(COMPRESSIBLE) or getattr(response, "keep_uncompressed", False):
            return response
        return super().process_response(request, response)


P = ParamSpec("P")


def never_compressed(view: Callable[P, HttpResponseBase]) -> Callable[P, HttpResponseBase]:
    """For a page that shows a secret (a webhook's signing secret, a new API key): its size
    once compressed must not tell anything about the secret beside text an attacker may
    reflect into it (BREACH), whatever the padding."""

    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        response = view(*args, **kwargs)
        response.keep_uncompressed = True  # type: ignore[attr-defined]
        return response

    return wrapped
