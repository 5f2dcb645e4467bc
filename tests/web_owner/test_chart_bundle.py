"""The reduced ECharts build (tools/echarts) is what the chart pages load, and only they."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

import reformer

PACKAGE = Path(reformer.__file__).parent
BUNDLE = PACKAGE / "web" / "owner" / "static" / "owner" / "vendor" / "echarts.custom.min.js"
CHART_TEMPLATES = {
    "web/owner/templates/owner/dashboard.html",
    "web/owner/templates/owner/analytics/page.html",
}


def test_the_vendored_bundle_is_the_reduced_build_and_the_full_one_is_gone():
    head = BUNDLE.read_text(encoding="utf-8")[:300]
    assert "reduced build: tools/echarts/entry.js" in head
    assert not (BUNDLE.parent / "echarts.min.js").exists()
    # The full 5.6 build is about 1 MB; the reduced one must stay well below it.
    assert BUNDLE.stat().st_size < 700_000


def test_only_the_chart_pages_reference_echarts():
    referencing = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("templates/**/*.html")
        if "echarts" in path.read_text(encoding="utf-8")
    }
    assert referencing == CHART_TEMPLATES


@pytest.mark.parametrize(
    ("role", "name", "charted"),
    [
        ("owner", "owner:dashboard", True),
        ("owner", "owner:analytics", True),
        ("owner", "staff:schedule", False),
        ("front_desk", "staff:checkin", False),
        ("client", "client:browse", False),
        ("client", "client:dashboard", False),
    ],
)
def test_the_bundle_is_loaded_only_where_a_chart_is_drawn(client, world, role, name, charted):
    client.force_login(world.a.members[role].user)
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert ("owner/vendor/echarts.custom.min.js" in html) is charted
    assert "echarts.min.js" not in html
