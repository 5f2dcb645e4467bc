"""Template context shared by every page: the current membership and its navigation."""

from __future__ import annotations

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict:
    membership = getattr(request, "membership", None)
    return {"membership": membership, "organization": getattr(membership, "organization", None)}
