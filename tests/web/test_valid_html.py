"""The demo's pages validate in the Nu HTML Checker with zero errors (issue 13).

Every role of the demo (and a visitor) walks its pages (`tests/demo_pages.py`); each page
and each fragment it loads over htmx is written to a file, and one start of vnu.jar checks
them all. The checker is the npm package vnu-jar pinned in `tools/html-check/` (`.ci/run`
installs it with `npm ci`), run by the machine's Java. Missing either is a failure, never a
skip: this test is the only thing that keeps the markup valid.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone

from reformer.demo import load_demo
from tests.demo_pages import ROLES, Page, crawl

ROOT = Path(__file__).resolve().parents[2]
VNU_JAR = ROOT / "tools/html-check/node_modules/vnu-jar/build/dist/vnu.jar"
SOURCES = ROOT / "reformer"
# An htmx attribute written without its data- prefix: hx-get="..", hx-on::after-request=..
BARE_HTMX = re.compile(r"(?<![\w-])hx-[a-z][a-z-]*(?::[\w:-]*)?\s*=")
FRAGMENT_PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
    "</head><body><main>{body}</main></body></html>"
)


def _document(page: Page) -> str:
    if not page.fragment or page.html.lstrip()[:9].lower() == "<!doctype":
        return page.html  # a page, or a fragment request answered with the whole page
    body = page.html
    if re.match(r"\s*<tr[\s>]", body):
        body = f"<table><tbody>{body}</tbody></table>"
    return FRAGMENT_PAGE.format(title=page.path, body=body)


def _vnu_command() -> list[str]:
    java = shutil.which("java")
    assert java, "Java is missing: install Debian's default-jre-headless (.ci/run does)"
    assert VNU_JAR.exists(), (
        f"{VNU_JAR} is missing: run `npm ci --prefix tools/html-check --ignore-scripts` "
        "(.ci/run does)"
    )
    return [java, "-Xss4m", "-jar", str(VNU_JAR), "--errors-only", "--format", "json"]


@pytest.fixture
def demo_pages(db) -> list[Page]:
    load_demo(io.StringIO(), now=timezone.now())
    return [page for role in ROLES for page in crawl(role)]


def test_every_page_of_the_demo_validates_in_the_nu_html_checker(demo_pages, tmp_path):
    command = _vnu_command()
    files: dict[str, Page] = {}
    for number, page in enumerate(demo_pages):
        path = tmp_path / f"{number:03d}.html"
        path.write_text(_document(page))
        files[path.name] = page
    result = subprocess.run(
        [*command, *sorted(str(tmp_path / name) for name in (p.name for p in tmp_path.iterdir()))],
        capture_output=True,
        text=True,
        timeout=600,
    )
    messages = json.loads(result.stderr)["messages"]
    errors = []
    for message in messages:
        if message.get("type") not in ("error", "non-document-error"):
            continue
        page = files[Path(message.get("url", "")).name]
        errors.append(
            f"{page.role} {page.path} line {message.get('lastLine')}: {message['message']}"
            f"\n    {message.get('extract', '').strip()}"
        )
    undescribed = [
        f"{page.role} {page.path}"
        for page in demo_pages
        if page.html.lstrip()[:9].lower() == "<!doctype"
        and not re.search(r'<meta name="description" content="[^"]{20,}">', page.html)
    ]
    assert not undescribed, "pages without a meta description:\n" + "\n".join(undescribed)
    roles = {page.role for page in demo_pages}
    shapes = sorted({f"{page.role} {page.path}" for page in demo_pages})
    print(f"{len(demo_pages)} pages and fragments checked:\n" + "\n".join(shapes))
    assert roles == set(ROLES), f"roles without pages: {set(ROLES) - roles}"
    assert len(demo_pages) > 100
    assert not errors, f"{len(errors)} HTML errors:\n" + "\n".join(errors)


def _sources() -> list[Path]:
    found = [*SOURCES.rglob("*.html"), *SOURCES.rglob("*.py"), *SOURCES.rglob("*.js")]
    return sorted(path for path in found if "vendor" not in path.parts)


def test_no_template_writes_a_bare_htmx_attribute():
    """htmx attributes take their valid form, data-hx-*: a merge that brings hx-* back fails.

    Templates, the Python that writes HTML (live fragments) and the scripts are read."""
    offenders = []
    for template in _sources():
        for number, line in enumerate(template.read_text().splitlines(), 1):
            if BARE_HTMX.search(line):
                offenders.append(f"{template.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "write data-hx-* instead:\n" + "\n".join(offenders)
