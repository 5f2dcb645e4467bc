"""Finds every form and every query parameter a signed-in user can reach, by following links.

Used by the fuzz test: what the pages offer is what an attacker would try, and a page added
later is covered without editing a list.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

# Links that would end the session or leave the app; the admin is Django's own.
SKIP_PREFIXES = ("/accounts/logout", "/admin/", "/static/", "/media/")


@dataclass(frozen=True)
class Target:
    method: str  # "GET" or "POST"
    path: str
    fields: tuple[tuple[str, str], ...]  # (name, a value the page itself offers)

    @property
    def names(self) -> list[str]:
        return sorted({name for name, _ in self.fields})


@dataclass
class _Form:
    method: str
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    select: str | None = None


class _PageParser(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base
        self.links: list[str] = []
        self.forms: list[_Form] = []
        self._form: _Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        for name in ("href", "data-hx-get"):
            if attr.get(name) and (tag == "a" or name == "data-hx-get"):
                self.links.append(urljoin(self.base, attr[name]))
        if attr.get("data-hx-post") and tag != "form":
            self.forms.append(_Form("POST", urljoin(self.base, attr["data-hx-post"])))
        if tag == "form":
            action = attr.get("data-hx-post") or attr.get("action") or self.base
            method = "POST" if attr.get("data-hx-post") else (attr.get("method") or "GET").upper()
            self._form = _Form(method, urljoin(self.base, action))
            self.forms.append(self._form)
        if tag == "option" and self._form is not None and self._form.select:
            self._form.fields.append((self._form.select, attr.get("value", "")))
        if self._form is None or not attr.get("name"):
            return
        name = attr["name"]
        if tag == "input":
            kind = attr.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attr:
                self._form.fields.append((name, attr.get("value", "on")))
            elif kind not in ("submit", "button", "image", "file"):
                self._form.fields.append((name, attr.get("value", "")))
        elif tag == "textarea":
            self._form.fields.append((name, ""))
        elif tag == "select":
            self._form.select = name
        if tag == "button" and attr.get("value") is not None:
            self._form.fields.append((name, attr["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select" and self._form is not None:
            self._form.select = None


def _local(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
        return None
    if not parts.path.startswith("/") or parts.path.startswith(SKIP_PREFIXES):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def crawl(client, start: list[str], *, max_pages: int = 80) -> list[Target]:
    """Every form and every link with a query string reachable from `start` (GET only)."""
    seen_paths: set[str] = set()
    targets: dict[tuple[str, str], dict[str, str]] = {}
    queue = deque(start)
    while queue and len(seen_paths) < max_pages:
        url = queue.popleft()
        path = urlsplit(url).path
        if path in seen_paths:
            continue
        seen_paths.add(path)
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        parser = _PageParser(f"http://testserver{url}")
        parser.feed(response.content.decode())
        for link in parser.links:
            if (local := _local(link)) is None:
                continue
            parts = urlsplit(local)
            if parts.query:
                fields = targets.setdefault(("GET", parts.path), {})
                for name, value in parse_qsl(parts.query, keep_blank_values=True):
                    fields.setdefault(name, value)
            if parts.path not in seen_paths:
                queue.append(local)
        for form in parser.forms:
            if (local := _local(form.action)) is None:
                continue
            parts = urlsplit(local)
            fields = targets.setdefault((form.method, parts.path), {})
            for name, value in [*parse_qsl(parts.query), *form.fields]:
                if name != "csrfmiddlewaretoken":
                    fields.setdefault(name, value)
    return [
        Target(method, path, tuple(sorted(fields.items())))
        for (method, path), fields in sorted(targets.items())
    ]
