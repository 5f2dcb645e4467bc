"""Pages and fragments gzipped when the browser accepts it (issue 13; the reasons, the
BREACH question and the measured cost are in docs/architecture.md, "Compressed pages").

Django's GZipMiddleware, limited to text: a view's PNG icon, XLSX or PDF is compressed
already, and gzipping it again only spends CPU. Static files never reach it (WhiteNoise,
above it in MIDDLEWARE, answers them with its own precompressed copies). Django's version
adds up to 100 random bytes to each gzip header ("Heal the Breach", Django 4.2+).
"""

from __future__ import annotations

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
        if not kind.startswith(COMPRESSIBLE):
            return response
        return super().process_response(request, response)
