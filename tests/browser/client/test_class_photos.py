"""A class type's photo in the browser: the owner uploads it on the class type's setup page,
clients see it on the class card and the class page (placeholders before that)."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.web_client.helpers import session_at

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    settings.MEDIA_ROOT = tmp_path


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), "#c98f6b").save(out, "JPEG")
    return out.getvalue()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_owner_uploads_a_photo_clients_see_it(
    browser, live_url, login, world, width, assert_accessible
):
    session = session_at(world.a, day=1, hour=8, instructor=world.a.instructor)
    size = {"width": width, "height": 844 if width < 500 else 900}
    owner = browser.new_context(base_url=live_url, viewport=size)
    page = owner.new_page()
    login(page, world.a.owner.user)
    page.goto(f"/staff/setup/class-types/{world.a.class_type.pk}/")
    expect(page.locator(".type-photo--placeholder")).to_have_text("RF")
    page.get_by_label("Upload a photo").set_input_files(
        files=[{"name": "reformer.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}]
    )
    page.get_by_role("button", name="Save photo").click()
    expect(page.get_by_text("Photo saved.")).to_be_visible()
    photo = page.locator("img.type-photo")
    expect(photo).to_have_attribute("src", re.compile(r"/photos/class-types/\d+\.jpg\?v="))
    assert photo.evaluate("img => img.decode().then(() => img.naturalWidth)") == 300
    page.screenshot(path=f"/tmp/issue13-class-type-photo-{width}.png", full_page=True)
    assert_accessible(page)
    owner.close()

    client = browser.new_context(base_url=live_url, viewport=size)
    page = client.new_page()
    login(page, world.a.client.user)
    page.goto("/classes/?when=tomorrow")
    card_photo = page.locator(f"#session-{session.pk} img.type-photo")
    expect(card_photo).to_be_visible()
    assert card_photo.evaluate("img => img.decode().then(() => img.naturalWidth)") == 300
    page.locator(f"#session-{session.pk}").get_by_role(
        "link", name="Reformer Flow", exact=True
    ).click()
    expect(page.get_by_test_id("instructor")).to_contain_text("alpha instructor")
    expect(page.locator(".class-hero img.type-photo")).to_be_visible()
    page.screenshot(path=f"/tmp/issue13-class-page-{width}.png", full_page=True)
    assert_accessible(page)
    client.close()
