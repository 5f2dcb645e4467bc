"""axe-core over the demo's pages of every role at 1280 and 390 px: no serious or critical
violation (issue 13).

The pages are the ones the Nu HTML Checker test walks (`tests/demo_pages.py`), each URL
shape once whichever role reached it first (the roles are walked in an order that gives
each its own pages: the client's browse, dashboard and profile, the desk's check-in and
roster, the owner's dashboard, analytics and settings). Each page is loaded once and
checked at both widths; the client's booking dialog is opened and checked too.
"""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reformer.accounts.models import User
from reformer.demo import load_demo
from tests.browser.conftest import _axe_source
from tests.demo_pages import crawl, login_email

pytestmark = pytest.mark.browser

WIDTHS = ({"width": 1280, "height": 900}, {"width": 390, "height": 844})
ORDER = ("client", "newcomer", "front_desk", "instructor", "owner", "manager", "anonymous")
AXE = """async () => {
    const result = await axe.run(document, {resultTypes: ['violations']});
    return result.violations
        .filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => `${v.id} (${v.impact}): ${v.help} at `
                  + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
}"""


def _violations(page, label: str) -> list[str]:
    found = []
    for viewport in WIDTHS:
        page.set_viewport_size(viewport)
        page.evaluate(_axe_source())
        found += [f"{label} @{viewport['width']}px: {v}" for v in page.evaluate(AXE)]
    return found


def test_no_page_of_the_demo_has_a_serious_accessibility_violation(
    transactional_db, live_url, browser, login
):
    load_demo(io.StringIO(), now=timezone.now())
    shapes: set[str] = set()
    walks = {
        role: [p.path for p in crawl(role, seen_shapes=shapes) if not p.fragment] for role in ORDER
    }
    violations: list[str] = []
    checked = 0
    for role, paths in walks.items():
        context = browser.new_context(base_url=live_url, viewport=WIDTHS[0])
        context.set_default_timeout(15_000)
        page = context.new_page()
        email = login_email(role)
        if email:
            login(page, User.objects.get(email=email))
        for path in paths:
            response = page.goto(path)
            if response is None or response.status >= 400:
                continue
            page.wait_for_load_state("networkidle")
            violations += _violations(page, f"{role} {path}")
            checked += 1
        if role == "client":  # the booking dialog, opened as a client opens it
            page.set_viewport_size(WIDTHS[0])
            page.goto("/classes/?when=week")
            page.locator("a[id^='book-']").first.click()
            expect(page.locator("#book-dialog")).to_be_visible()
            violations += _violations(page, "client booking dialog")
            checked += 1
        context.close()
    print(f"{checked} pages checked by axe at 1280 and 390 px")
    assert checked > 50
    assert not violations, "\n".join(violations)
