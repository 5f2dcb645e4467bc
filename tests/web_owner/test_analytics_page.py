"""PHX-25 over HTTP: the analytics page, its panels, drill-downs, exports and errors."""

from __future__ import annotations

import csv
import io

import pytest
import time_machine
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from reformer.analytics import utilisation
from reformer.core.models import AuditEvent
from reformer.web.owner import analytics_views
from tests.analytics import dataset
from tests.analytics.dataset import NOW

MARCH = {"range": "custom", "from": "2026-03-01", "to": "2026-03-31"}
PANELS = list(analytics_views.PANELS)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def data(world, frozen):
    return dataset.build(world.a)


def _get(client, member, url, params=None):
    client.force_login(member.user)
    return client.get(url, params or {})


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_owners_and_managers_see_every_panel(client, world, data, role):
    member = world.a.members[role]
    assert _get(client, member, reverse("owner:analytics"), MARCH).status_code == 200
    for name in PANELS:
        response = client.get(reverse("owner:analytics_panel", args=[name]), MARCH)
        assert response.status_code == 200, name
        assert b"could not be loaded" not in response.content


@pytest.mark.parametrize("role", ["front_desk", "instructor", "client"])
def test_other_roles_are_refused(client, world, role):
    member = world.a.members[role]
    assert _get(client, member, reverse("owner:analytics")).status_code == 403
    assert (
        _get(client, member, reverse("owner:analytics_panel", args=["revenue"])).status_code == 403
    )


def test_a_manager_sees_only_their_studios(client, world, data):
    response = _get(
        client, world.a.manager, reverse("owner:analytics"), {"studio": world.a.other_studio.pk}
    )
    assert response.status_code == 403
    response = _get(
        client,
        world.a.owner,
        reverse("owner:analytics_panel", args=["utilisation"]),
        {"studio": world.b.studio.pk},
    )
    assert response.status_code == 404


def test_the_heatmap_panel_shows_the_hand_computed_cells(client, world, data):
    response = _get(
        client, world.a.owner, reverse("owner:analytics_panel", args=["utilisation"]), MARCH
    )
    html = response.content.decode()
    assert "Tuesday 09:00 (80.0%)" in html
    assert "<td>Tuesday</td><td>09:00</td><td>1</td><td>4</td><td>5</td><td>80.0%</td>" in html


def test_drill_down_lists_the_classes_of_a_cell(client, world, data):
    url = reverse("owner:analytics_drill", args=["utilisation"])
    response = _get(client, world.a.owner, url, {**MARCH, "weekday": 1, "hour": 9})
    assert b"2026-03-10 09:00" in response.content and b"alpha Annex" in response.content
    assert client.get(url, {**MARCH, "weekday": "x"}).status_code == 400
    assert client.get(url, {**MARCH, "weekday": 9, "hour": 9}).status_code == 400


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_every_panel_exports(client, world, data, fmt):
    client.force_login(world.a.owner.user)
    for name in ("utilisation", "retention"):
        response = client.get(reverse("owner:analytics_export", args=[name, fmt]), MARCH)
        assert response.status_code == 200
        assert response["Content-Disposition"].endswith(f'.{fmt}"')
        if fmt == "csv":
            rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
            assert rows[0] == ["Alpha: analytics"]
        elif fmt == "xlsx":
            workbook = load_workbook(io.BytesIO(response.content))
            assert workbook.sheetnames
        else:
            text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
            assert "Alpha: analytics" in text
    assert AuditEvent.objects.filter(code="analytics.exported").count() == 2


def test_the_heatmap_csv_has_the_figures(client, world, data):
    client.force_login(world.a.owner.user)
    response = client.get(reverse("owner:analytics_export", args=["utilisation", "csv"]), MARCH)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert ["Tuesday", "09:00", "1", "4", "5", "80.0%"] in rows


@pytest.mark.scenario("PHX-25", "Handle metric calculation failure")
def test_a_failing_panel_shows_its_own_error_with_retry(client, world, data, monkeypatch):
    def broken(q):
        raise OperationalError("canceling statement due to statement timeout")

    monkeypatch.setattr(utilisation, "heatmap", broken)
    response = _get(
        client, world.a.owner, reverse("owner:analytics_panel", args=["utilisation"]), MARCH
    )
    assert response.status_code == 200
    assert b"Class utilisation could not be loaded" in response.content
    assert b"Retry" in response.content
    assert client.get(reverse("owner:analytics_panel", args=["revenue"]), MARCH).status_code == 200


def test_unknown_panels_and_formats_are_not_found(client, world):
    client.force_login(world.a.owner.user)
    assert client.get(reverse("owner:analytics_panel", args=["nope"])).status_code == 404
    assert client.get(reverse("owner:analytics_export", args=["revenue", "doc"])).status_code == 404


def test_a_bad_custom_range_is_explained(client, world):
    response = _get(
        client,
        world.a.owner,
        reverse("owner:analytics"),
        {"range": "custom", "from": "2026-03-10", "to": "2026-03-01"},
    )
    assert response.status_code == 200
    assert b"The end date must be on or after the start date." in response.content


@pytest.mark.parametrize("name", PANELS)
def test_panel_query_counts_do_not_grow_with_data(client, world, frozen, name):
    client.force_login(world.a.owner.user)
    url = reverse("owner:analytics_panel", args=[name])

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, MARCH).status_code == 200
        return len(captured)

    empty = count()
    dataset.build(world.a)
    assert count() <= empty + 2  # the at-risk and instructor lists fetch their people once


@pytest.mark.scenario("PHX-25", "View analytics for multiple studios")
def test_studios_side_by_side(client, world, data):
    response = _get(
        client, world.a.owner, reverse("owner:analytics_panel", args=["studios"]), MARCH
    )
    html = response.content.decode()
    # Main: 10 bookings... s1 4 + s2 2 + s6 1 = 7 of 30 places; Annex: s3 4 of 5.
    assert "Fullest classes: alpha Annex (80.0%)" in html
    assert '<th scope="row">alpha Main</th><td class="num">3</td><td class="num">7' in html


@pytest.mark.scenario("PHX-25", "Generate custom client retention report")
def test_the_client_retention_report_and_its_exports(client, world, data):
    client.force_login(world.a.owner.user)
    html = client.get(reverse("owner:analytics_panel", args=["retention"]), MARCH).content
    for label in (b"Active", b"New", b"Returning", b"Churned", b"100.0% of active"):
        assert label in html
    pdf = client.get(reverse("owner:analytics_export", args=["retention", "pdf"]), MARCH)
    text = " ".join(PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().split())
    assert "Client segments" in text and "Retention rate 100.0%" in text
    assert "Retention by first-visit month" in text
    csv_text = client.get(
        reverse("owner:analytics_export", args=["retention", "csv"]), MARCH
    ).content.decode("utf-8-sig")
    assert "New,2,Attended their first class in the period" in csv_text
    assert "Returning,4,Booked 2 or more classes in the period" in csv_text


@pytest.mark.scenario("PHX-25", "Handle metric calculation failure")
def test_a_panel_that_times_out_says_so_and_offers_retry(client, world, data, monkeypatch):
    def slow(q):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 50")
            cursor.execute("SELECT pg_sleep(2)")

    monkeypatch.setattr(utilisation, "heatmap", slow)
    response = _get(
        client, world.a.owner, reverse("owner:analytics_panel", args=["utilisation"]), MARCH
    )
    assert b"report generation timed out" in response.content
    assert b"Select a smaller date range, then retry." in response.content
    assert b"Retry" in response.content
