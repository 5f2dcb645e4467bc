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
ANONYMOUS_START = ("/accounts/login/", "/accounts/signup/", "/accounts/password/reset/")
PAGES_PER_ROLE = 90


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
    """The pages (and their loaded fragments) a role reaches from "/", one per URL shape."""
    client = Client()
    email = login_email(role)
    if email:
        client.force_login(User.objects.get(email=email))
    seen = seen_shapes if seen_shapes is not None else set()
    queue = ["/", *ANONYMOUS_START] if email is None else ["/"]
    pages: list[Page] = []
    fragments_seen: set[str] = set()
    while queue and len(pages) < limit:
        path = queue.pop(0)
        if shape(path) in seen:
            continue
        seen.add(shape(path))
        response = client.get(path, follow=True)
        final = response.request["PATH_INFO"]
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        pages.append(Page(role, final, html))
        parser = _Links()
        parser.feed(html)
        for href in parser.links:
            local = _local(href, final)
            if local and shape(local) not in seen and local not in queue:
                queue.append(local)
        for href in parser.fragments:
            local = _local(href, final)
            if not local or shape(local) in fragments_seen:
                continue
            fragments_seen.add(shape(local))
            answer = client.get(local, HTTP_HX_REQUEST="true")
            if answer.status_code == 200 and "text/html" in answer.get("Content-Type", ""):
                pages.append(Page(role, local, answer.content.decode(), fragment=True))
                inner = _Links()
                inner.feed(answer.content.decode())
                for href in inner.links:  # the roster's rows link to the client record
                    linked = _local(href, final)
                    if linked and shape(linked) not in seen and linked not in queue:
                        queue.append(linked)
    return pages
