"""The app's version as the service worker sees it: a digest of every static file (the
service worker's own code included) and the deploy's `PWA_VERSION`. A deploy that changes
any of them registers a new service worker (its URL carries the version), which installs,
waits and makes the page offer "New version available: Reload"."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from django.conf import settings

STATIC_ROOT_DIR = Path(__file__).resolve().parents[1] / "static"


@lru_cache(maxsize=1)
def _static_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(STATIC_ROOT_DIR.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(STATIC_ROOT_DIR)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def app_version() -> str:
    deploy = getattr(settings, "PWA_VERSION", "")
    return hashlib.sha256(f"{_static_digest()}:{deploy}".encode()).hexdigest()[:12]


@lru_cache(maxsize=1)
def service_worker_source() -> bytes:
    return (STATIC_ROOT_DIR / "pwa" / "sw.js").read_bytes()
