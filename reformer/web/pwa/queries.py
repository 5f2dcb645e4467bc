"""Which pages a member's device keeps for offline use (PHX-26): a client's dashboard
(upcoming bookings, packages), this week's schedule and their upcoming bookings' pages; the
front desk's check-in list and today's class rosters; an instructor's classes and today's
rosters. The service worker fetches and stores them while online."""

from __future__ import annotations

from django.urls import reverse

from reformer.accounts.models import Membership
from reformer.core.permissions import BOOK_FOR_CLIENT, VIEW_ROSTER, has_capability, is_client
from reformer.web.client.dashboard_queries import upcoming_bookings
from reformer.web.staff.queries import checkin_day, instructor_classes

# Enough for a week of classes; the cache is bounded by this list.
MOST_PAGES = 30


def offline_pages(actor: Membership | None) -> list[str]:
    """Page URLs; a class page's roster (an htmx fragment) is listed by `offline_partials`."""
    if actor is None:
        return []
    pages: list[str] = []
    if is_client(actor):
        browse = reverse("client:browse")
        pages += [reverse("client:dashboard"), browse, f"{browse}?when=week"]
        for booking in upcoming_bookings(actor)[:MOST_PAGES]:
            pages.append(reverse("client:booking_detail", args=[booking.reference]))
    if has_capability(actor, VIEW_ROSTER) and has_capability(actor, BOOK_FOR_CLIENT):
        pages.append(reverse("staff:checkin"))
        for session in checkin_day(actor, day=None, studio_id=None).sessions:
            pages.append(reverse("staff:session_detail", args=[session.pk]))
    elif has_capability(actor, VIEW_ROSTER):
        classes = instructor_classes(actor)
        pages.append(reverse("staff:instructor_dashboard"))
        for group in classes.upcoming:
            if group.is_today:
                for session in group.sessions:
                    pages.append(reverse("staff:session_detail", args=[session.pk]))
    return list(dict.fromkeys(pages))[:MOST_PAGES]


def offline_partials(pages: list[str]) -> list[str]:
    """The roster fragment of each class page in `pages` (the page loads it by htmx)."""
    prefix = reverse("staff:instructor_dashboard")
    return [
        f"{page}roster/"
        for page in pages
        if page.startswith(prefix) and page.rstrip("/").rsplit("/", 1)[-1].isdigit()
    ]
