"""No staff or owner page of the demo scrolls sideways on a 390 px phone.

The demo organization is loaded, then each staff role walks its menu and every page one
link away from it (one page per URL shape, whichever role reached it first:
/staff/classes/12/ and /staff/classes/13/ are the same page), and the document must never
be wider than the screen.
"""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from reformer.accounts.models import User
from reformer.demo import demo_logins, load_demo

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SKIP = re.compile(
    r"(logout|/api/|/webhooks/|/calendar/feed/|/media/|/static/|/admin/|download|export/\d"
    r"|\.(csv|pdf|ics|xlsx|zip|json)(\?|$))"
)
PAGES_PER_ROLE = 45


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def _links(page, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all(
        "a[href]:not([download]):not([target])", "els => els.map(e => e.href)"
    )
    found = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != origin or SKIP.search(href):
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def test_no_staff_or_owner_page_of_the_demo_scrolls_sideways(
    transactional_db, live_url, browser, login
):
    load_demo(io.StringIO(), now=timezone.now())
    origin = live_url.rstrip("/")
    wide: list[str] = []
    visited_total = 0
    # A page shape seen by one role is not walked again by the next: the layout is the
    # template's, and the suite must stay inside CI's time (each page costs a load and an
    # idle network). Each role still walks its own menu and the shapes only it reaches.
    seen_shapes: set[str] = set()
    for role, email, _password in demo_logins():
        if role == "client":
            continue  # the client's pages belong to the booking flow's own test
        context = browser.new_context(base_url=live_url, viewport=PHONE)
        context.set_default_timeout(15_000)
        page = context.new_page()
        login(page, User.objects.get(email=email))
        page.goto("/")
        menu = _links(page, origin)
        queue = list(dict.fromkeys(menu))
        visited = 0
        while queue and visited < PAGES_PER_ROLE:
            path = queue.pop(0)
            if _shape(urlsplit(path).path) in seen_shapes:
                continue
            seen_shapes.add(_shape(urlsplit(path).path))
            response = page.goto(path)
            if response is None or response.status >= 400:
                continue
            page.wait_for_load_state("networkidle")
            visited += 1
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                wide.append(f"{role} {path}: {width}px")
            if path in menu:  # one link deep from the menu
                queue.extend(link for link in _links(page, origin) if link not in queue)
        visited_total += visited
        context.close()
    print(f"{visited_total} page shapes walked")
    assert visited_total > 30
    assert not wide, "pages wider than 390 px:\n" + "\n".join(wide)
