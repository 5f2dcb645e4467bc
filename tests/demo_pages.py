"""The demo's pages, as each role reaches them: the Nu HTML Checker and axe-core walk these.

`crawl(role)` signs in as the demo login of a role (or nobody, for "anonymous"), opens "/"
and follows the links of each page breadth first, one page per URL shape
(/staff/classes/12/ and /staff/classes/13/ are the same template), and also fetches the
htmx fragments of the pages (`data-hx-get`: panels loaded with the page, dialogs and sheets
opened by a click), as htmx would, with `HX-Request`. Links that
download, sign out or leave the site are skipped.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from django.test import Client

from reformer.accounts.models import User
from reformer.demo import demo_logins, newcomer_login

ROLES = ("anonymous", "client", "newcomer", "instructor", "front_desk", "manager", "owner")
SKIP = re.compile(
    r"(logout|/api/|/webhooks/|/calendar/feed/|/media/|/static/|/admin/|/ws/|download"
    r"|/photos/|export/|/report\.|\.(csv|pdf|ics|xlsx|zip|json|jpg|png|webmanifest)(\?|$))"
)
# Where a walk starts besides "/": a client's browser opens on today's classes, empty late
# in the day, so the week's (with Book buttons and their dialog) is walked first.
START = {
    "anonymous": ("/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"),
    "client": ("/classes/?when=week",),
    "newcomer": ("/classes/?when=week",),
}
PAGES_PER_ROLE = 90
TRIES = 3  # URLs of one shape tried before giving the shape up (see crawl)


@dataclass
class Page:
    role: str
    path: str
    html: str
    fragment: bool = False  # an htmx partial (no <html> of its own)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.fragments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href") and not {"download", "target"} & set(values):
            self.links.append(values["href"] or "")
        # What htmx would fetch into the page: panels on load, dialogs and sheets on click.
        get = values.get("data-hx-get") or values.get("hx-get")
        if get:
            self.fragments.append(get)


def shape(path: str) -> str:
    """The URL's template: ids and booking references (8 capitals and digits) become N."""
    return re.sub(r"(?<=/)[A-Z0-9]{8}(?=/)|\d+", "N", urlsplit(path).path)


def login_email(role: str) -> str | None:
    if role == "anonymous":
        return None
    if role == "newcomer":
        return newcomer_login()[0]
    return next(email for name, email, _password in demo_logins() if name == role)


def _local(href: str, base: str) -> str | None:
    absolute = urljoin("http://testserver" + base, href)
    parts = urlsplit(absolute)
    if parts.netloc != "testserver" or SKIP.search(absolute) or parts.scheme != "http":
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def crawl(role: str, *, limit: int = PAGES_PER_ROLE, seen_shapes: set[str] | None = None):
    """The pages (and their fragments) a role reaches from "/", one per URL shape.

    A URL that does not answer 200 (a class already booked, a past one) does not count for
    its shape: up to `TRIES` URLs of a shape are tried before giving it up."""
    client = Client()
    email = login_email(role)
    if email:
        client.force_login(User.objects.get(email=email))
    done = seen_shapes if seen_shapes is not None else set()
    tries: Counter[str] = Counter()
    queue = [*START.get(role, ()), "/"]
    pages: list[Page] = []

    def key(local: str, fragment: bool = False) -> str:
        # A dialog fetched by htmx is another template than the page at the same URL.
        return ("hx " if fragment else "") + shape(local)

    def wanted(local: str | None, fragment: bool = False) -> bool:
        return bool(local) and (k := key(local or "", fragment)) not in done and tries[k] < TRIES

    def follow(html: str, base: str) -> list[str]:
        parser = _Links()
        parser.feed(html)
        for href in parser.links:
            local = _local(href, base)
            if local and wanted(local) and local not in queue:
                queue.append(local)
        return [local for href in parser.fragments if (local := _local(href, base))]

    starts = set(queue)  # walked from even when another role's walk had their shapes
    while queue and len(pages) < limit:
        path = queue.pop(0)
        if path not in starts and not wanted(path):
            continue
        tries[key(path)] += 1
        response = client.get(path, follow=True)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        if key(path) not in done:
            pages.append(Page(role, path, response.content.decode()))
        done.add(key(path))
        final = response.request["PATH_INFO"]
        for fragment in follow(response.content.decode(), final):
            if not wanted(fragment, fragment=True):
                continue
            tries[key(fragment, True)] += 1
            answer = client.get(fragment, HTTP_HX_REQUEST="true")
            if answer.status_code == 200 and "text/html" in answer.get("Content-Type", ""):
                done.add(key(fragment, True))
                pages.append(Page(role, fragment, answer.content.decode(), fragment=True))
                follow(answer.content.decode(), final)  # the roster links to client records
    return pages
