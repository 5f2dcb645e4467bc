"""The integrations pages in a real browser: accessible at desktop and phone widths, the
export's progress updating by itself until the download link appears, the API reference
(external scripts only), and a client's data page.

With REFORMER_SCREENSHOTS=1 each page is also saved under /tmp/reformer-shots/.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect

from reformer.api.keys import create_api_key
from reformer.portability.actions import build
from reformer.portability.models import Export
from reformer.webhooks import actions as webhooks
from reformer.webhooks.models import WebhookAttempt, WebhookDelivery

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/reformer-shots")


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path, clean_job_tables):
    """Files in a temporary folder; the jobs these tests queue (committed: the server runs
    in another thread) are removed afterwards."""
    settings.MEDIA_ROOT = tmp_path / "media"


def shoot(page, name: str) -> None:
    if os.environ.get("REFORMER_SCREENSHOTS"):
        SHOTS.mkdir(exist_ok=True)
        for width, height in ((1280, 900), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})


def test_owner_pages_are_accessible_at_both_widths(page, live_url, login, world, assert_accessible):
    create_api_key(world.a.owner, name="Studio website", scopes=["schedule:read"])
    endpoint = webhooks.create_endpoint(
        world.a.owner,
        url="https://hooks.example.com/reformer",
        events=["booking.created", "booking.cancelled"],
        description="Our CRM",
    )
    delivery = webhooks.send_test_event(world.a.owner, endpoint)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status="succeeded", attempts=1, last_status_code=200
    )
    WebhookAttempt.objects.create(
        delivery=delivery,
        organization=world.a.organization,
        attempted_at=delivery.created_at,
        status_code=200,
        duration_ms=42,
    )
    login(page, world.a.owner.user)
    for name, path in (
        ("overview", "/integrations/"),
        ("api-keys", "/integrations/keys/"),
        ("webhooks", "/integrations/webhooks/"),
        ("endpoint", f"/integrations/webhooks/{endpoint.pk}/"),
        ("export", "/integrations/export/"),
        ("import", "/integrations/import/"),
    ):
        page.goto(path)
        expect(page.locator("h1")).to_be_visible()
        assert_accessible(page)
        page.set_viewport_size({"width": 390, "height": 844})
        assert_accessible(page)
        page.set_viewport_size({"width": 1280, "height": 900})
        shoot(page, name)


def test_the_export_shows_progress_then_its_download_link(page, live_url, login, world):
    login(page, world.a.owner.user)
    page.goto("/integrations/export/")
    page.get_by_role("button", name="Start a new export").click()
    expect(page.get_by_role("progressbar", name="Export progress")).to_be_visible()
    export = Export.objects.get()
    worker = threading.Thread(target=build, args=(export.pk,))
    worker.start()
    worker.join(60)
    link = page.get_by_role("link", name="Download zip")
    expect(link).to_be_visible(timeout=15_000)  # polled by htmx, no reload
    shoot(page, "export-ready")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".zip")


def test_an_import_is_checked_row_by_row_before_anything_is_written(
    page, live_url, login, world, tmp_path
):
    login(page, world.a.owner.user)
    page.goto("/integrations/import/")
    csv_file = tmp_path / "clients.csv"
    csv_file.write_text("Email;First Name;Last Name\nmia@example.com;Mia;Ross\nnot-an-email;X;Y\n")
    page.get_by_label("The file holds").select_option("clients")
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("1 errors")).to_be_visible()
    expect(page.get_by_text("is not an email address")).to_be_visible()
    shoot(page, "import-checked")


def test_the_api_reference_loads_from_static_files(page, live_url):
    page.goto("/api/v1/docs")
    expect(page.get_by_text("Reformer API").first).to_be_visible(timeout=15_000)
    inline = page.evaluate(
        "[...document.scripts].filter(s => !s.src && s.type !== 'application/json').length"
    )
    assert inline == 0
    shoot(page, "api-reference")


def test_a_client_sees_their_data_page(page, live_url, login, world, assert_accessible):
    login(page, world.a.client.user)
    page.goto("/integrations/my-data/")
    expect(page.get_by_role("link", name="Download my data")).to_be_visible()
    assert_accessible(page)
    shoot(page, "my-data")
