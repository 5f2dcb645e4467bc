"""PHX-25 in a real browser: filters, charts, drill-down, exports, a failing panel."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from reformer.analytics import utilisation
from tests.analytics import dataset

pytestmark = pytest.mark.browser

MARCH = "range=custom&from=2026-03-01&to=2026-03-31"
SHOTS = os.environ.get("REFORMER_SCREENSHOTS")  # a folder: save screenshots there


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _open(page, login, member, query=MARCH):
    login(page, member.user)
    page.goto(f"/owner/analytics/?{query}")
    expect(
        page.locator("#panel-utilisation [data-chart='utilisation'][data-drawn='1']")
    ).to_be_visible()
    expect(page.locator("#panel-revenue [data-chart='revenue'][data-drawn='1']")).to_be_visible()


@pytest.mark.scenario("PHX-25", "View class utilization heatmap")
def test_charts_drill_down_and_accessibility(page, world, login, assert_accessible):
    dataset.build(world.a)
    _open(page, login, world.a.owner)
    expect(page.locator("#panel-revenue [data-revenue-total]")).to_have_text("$125.50")
    expect(page.locator("#panel-retention")).to_contain_text("Returning")
    # Click the Tuesday 09:00 cell of the heatmap: its classes appear below the chart.
    page.locator("[data-chart='utilisation']").scroll_into_view_if_needed()
    point = page.evaluate(
        """() => {
            const el = document.querySelector("[data-chart='utilisation']");
            const chart = echarts.getInstanceByDom(el);
            const data = document.getElementById('chart-data-utilisation').textContent;
            const hours = JSON.parse(data).hours;
            return chart.convertToPixel({seriesIndex: 0}, [hours.indexOf('09:00'), 1]);
        }"""
    )
    box = page.locator("[data-chart='utilisation']").bounding_box()
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    drill = page.locator("#drill-utilisation")
    expect(drill).to_contain_text("Classes on Tuesdays at 09:00")
    expect(drill).to_contain_text("2026-03-10 09:00")
    expect(drill.get_by_role("heading")).to_be_focused()
    assert_accessible(page)
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "analytics-1280.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(300)  # screenshots only: let ECharts finish its resize
        page.screenshot(path=str(Path(SHOTS) / "analytics-390.png"), full_page=True)


@pytest.mark.scenario("PHX-25", "View analytics for multiple studios")
def test_filters_and_exports(page, world, login):
    dataset.build(world.a)
    _open(page, login, world.a.owner)
    page.select_option("#a-studio", str(world.a.other_studio.pk))
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(f"studio={world.a.other_studio.pk}"))
    expect(page.locator("#panel-revenue")).to_contain_text("$25.50")  # that studio's payments
    expect(page.locator("#panel-utilisation")).to_contain_text("Tuesday 09:00 (80.0%)")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export Class utilisation as Excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export Class utilisation as CSV").click()
    assert "80.0%" in Path(download.value.path()).read_text(encoding="utf-8-sig")


@pytest.mark.scenario("PHX-25", "Handle metric calculation failure")
def test_a_failing_panel_shows_retry_and_the_rest_works(page, world, login, monkeypatch):
    dataset.build(world.a)
    real = utilisation.heatmap

    def broken(q):
        from django.db import OperationalError

        raise OperationalError("canceling statement due to statement timeout")

    monkeypatch.setattr(utilisation, "heatmap", broken)
    login(page, world.a.owner.user)
    page.goto(f"/owner/analytics/?{MARCH}")
    error = page.locator("[data-panel-error='utilisation']")
    expect(error).to_contain_text("Class utilisation could not be loaded")
    expect(page.locator("#panel-revenue [data-revenue-total]")).to_have_text("$125.50")
    monkeypatch.setattr(utilisation, "heatmap", real)
    error.get_by_role("button", name="Retry").click()
    expect(
        page.locator("#panel-utilisation [data-chart='utilisation'][data-drawn='1']")
    ).to_be_visible()


@pytest.mark.scenario("PHX-25", "View revenue trends chart")
def test_revenue_trends_with_aggregation_tooltips_and_exports(page, world, login):
    dataset.build(world.a)
    _open(page, login, world.a.owner)
    revenue = page.locator("#panel-revenue")
    option = page.evaluate(
        """() => {
            const el = document.querySelector("[data-chart='revenue']");
            const chart = echarts.getInstanceByDom(el);
            const o = chart.getOption();
            return {points: o.xAxis[0].data.length, tooltip: o.tooltip[0].trigger,
                    png: !!o.toolbox[0].feature.saveAsImage, zoom: o.dataZoom.length,
                    series: o.series.map(s => s.name)};
        }"""
    )
    assert option == {
        "points": 31,
        "tooltip": "axis",
        "png": True,
        "zoom": 2,
        "series": ["Other payments", "Previous period"],
    }
    revenue.get_by_role("button", name="Weekly").click()
    expect(revenue.get_by_role("button", name="Weekly")).to_have_attribute("aria-pressed", "true")
    # The weeks starting Feb 23, Mar 2, 9, 16, 23 and 30, once the swapped-in chart is drawn.
    page.wait_for_function(
        """() => {
            const el = document.querySelector("[data-chart='revenue']");
            const chart = el && echarts.getInstanceByDom(el);
            return !!chart && chart.getOption().xAxis[0].data.length === 6;
        }"""
    )
    with page.expect_download() as download:
        page.get_by_role("link", name="Export Revenue as CSV").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "2026-03-03,Other payments,100.00" in exported
