"""The main navigation: a small registry the web areas add their pages to.

Register entries at import time of your area's `urls.py` (it is imported whenever URLs
resolve, before any page renders)::

    from reformer.web import navigation

    navigation.register(navigation.CLIENT, "Classes", "client:browse", order=10)
    navigation.register(navigation.STAFF, "Schedule", "staff:schedule", order=20,
                        capability=permissions.VIEW_SCHEDULE)

Roles are Membership roles; `VISITOR` means "no membership" (anonymous, or signed in
without an organization). An entry appears only when its URL name reverses (so a page
that does not exist yet is never linked) and, with `capability`, only for members who hold
it (core.permissions.has_capability). Entries sort by `order`, then label.

`section="account"` puts the entry in the account menu (top right) instead of the main
navigation, e.g. the profile page: `register(MEMBERS, "Profile", "profile", section="account")`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, get_resolver, reverse

from reformer.core.permissions import STAFF_ROLES, has_capability

VISITOR = frozenset({"visitor"})
CLIENT = frozenset({"client"})
STAFF = frozenset(STAFF_ROLES)
MEMBERS = CLIENT | STAFF
EVERYONE = MEMBERS | VISITOR


@dataclass(frozen=True)
class Entry:
    roles: frozenset[str]
    label: str
    url_name: str
    order: int
    capability: str | None
    section: str


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    url_name: str
    current: bool


_entries: dict[tuple[str, str], Entry] = {}


def register(
    roles: Iterable[str],
    label: str,
    url_name: str,
    order: int = 100,
    *,
    capability: str | None = None,
    section: str = "main",
) -> None:
    """Add a navigation entry. Registering the same (url_name, label) again replaces it."""
    _entries[(url_name, label)] = Entry(
        frozenset(roles), label, url_name, order, capability, section
    )


def unregister(url_name: str, label: str) -> None:
    _entries.pop((url_name, label), None)


def items_for(request: HttpRequest, section: str = "main") -> list[NavItem]:
    """The entries this request's member may see, with their URLs and the current one."""
    get_resolver().url_patterns  # noqa: B018 - imports every urls.py, so all have registered
    membership = getattr(request, "membership", None)
    role = membership.role if membership is not None else "visitor"
    current_name = getattr(getattr(request, "resolver_match", None), "view_name", None)
    found: list[tuple[Entry, str]] = []
    for entry in sorted(_entries.values(), key=lambda e: (e.order, e.label)):
        if entry.section != section or role not in entry.roles:
            continue
        if entry.capability and not (
            membership is not None and has_capability(membership, entry.capability)
        ):
            continue
        try:
            found.append((entry, reverse(entry.url_name)))
        except NoReverseMatch:
            continue
    current = _current_url_name(request, found, current_name)
    return [NavItem(e.label, url, e.url_name, e.url_name == current) for e, url in found]


def _current_url_name(
    request: HttpRequest, found: list[tuple[Entry, str]], view_name: str | None
) -> str | None:
    """The exact page, else the entry whose URL is the longest prefix of the path."""
    if any(entry.url_name == view_name for entry, _ in found):
        return view_name
    prefixes = [
        (len(url), e.url_name) for e, url in found if url != "/" and request.path.startswith(url)
    ]
    return max(prefixes)[1] if prefixes else None
