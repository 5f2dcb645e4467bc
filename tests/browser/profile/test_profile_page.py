"""PHX-14 in a real browser: details, photo (preview, progress, limits), preferences,
email change, password."""

from __future__ import annotations

import io
import os
import re
import time

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from PIL import Image
from playwright.sync_api import expect

from reformer.notifications import preferences
from reformer.notifications.models import Message
from tests.browser.messaging.test_messaging_pages import capture

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = tmp_path / "media"


def _photo_file(tmp_path, name="me.jpg", size=(900, 700), noise=False) -> str:
    if noise:  # random pixels: a big file that still is a valid image
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (180, 90, 60))
    out = io.BytesIO()
    image.save(out, "PNG" if name.endswith(".png") else "JPEG", quality=95)
    path = tmp_path / name
    path.write_bytes(out.getvalue())
    return str(path)


@pytest.mark.scenario("PHX-14", "Update basic profile information")
def test_it_updates_the_phone_with_loading_state(page, login, world, assert_accessible):
    user = world.a.client.user
    login(page, user)
    page.goto("/me/")
    expect(page.get_by_label("Full name")).to_have_value("alpha client")
    expect(page.get_by_label("Email")).to_have_value("client@alpha.example.com")
    assert_accessible(page)

    def slow(route):
        time.sleep(0.8)
        route.continue_()

    page.route(re.compile(r"/me/$"), slow)
    page.get_by_label("Mobile phone").fill("(415) 555-0123")
    page.get_by_label("Emergency contact name").fill("Bob Client")
    page.get_by_label("Emergency contact phone").fill("+1 212 555 0199")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#profile-details .profile-submit__busy")).to_be_visible()
    expect(page.get_by_text("Profile updated")).to_be_visible()
    expect(page.get_by_label("Mobile phone")).to_have_value("+14155550123")
    user.refresh_from_db()
    assert user.phone == "+14155550123"


def test_it_shows_validation_errors(page, login, world):
    login(page, world.a.owner.user)
    page.goto("/me/")
    expect(page.get_by_label("Emergency contact name")).to_have_count(0)  # staff
    page.get_by_label("Mobile phone").fill("123")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Enter a valid phone number")).to_be_visible()


@pytest.mark.scenario("PHX-14", "Update email to existing email")
def test_it_refuses_an_email_already_registered(page, login, world):
    user = world.a.client.user
    login(page, user)
    page.goto("/me/")
    page.get_by_label("Email").fill("OWNER@alpha.example.com")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("This email is already registered")).to_be_visible()
    user.refresh_from_db()
    assert user.email == "client@alpha.example.com"


def test_it_changes_the_email_after_the_link_is_opened(page, login, world, assert_accessible):
    user = world.a.client.user
    login(page, user)
    page.goto("/me/")
    page.get_by_label("Email").fill("fresh@example.com")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("We sent a confirmation link to fresh@example.com")).to_be_visible()
    user.refresh_from_db()
    assert user.email == "client@alpha.example.com"
    link = re.search(r"(/me/email/confirm/\S+/)", mail.outbox[-1].body).group(1)
    page.goto(link)
    expect(page.get_by_text("Your email is now fresh@example.com")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value("fresh@example.com")
    assert_accessible(page)
    # Opened signed out (e.g. on a phone): the confirmation page itself.
    page.context.clear_cookies()
    page.goto(link)
    expect(page.get_by_role("heading", name="Confirm your email")).to_be_visible()
    assert_accessible(page)


@pytest.mark.scenario("PHX-14", "Upload profile photo")
def test_it_previews_and_uploads_a_photo_with_progress(
    page, login, world, tmp_path, assert_accessible
):
    user = world.a.instructor.user
    login(page, user)
    page.goto("/me/")
    save = page.get_by_role("button", name="Save photo")
    expect(save).to_be_disabled()
    page.set_input_files("#photo-input", _photo_file(tmp_path, size=(700, 700), noise=True))
    preview = page.locator("#photo-preview")
    expect(preview).to_be_visible()
    assert preview.get_attribute("src").startswith("data:image/jpeg")
    expect(save).to_be_enabled()
    assert_accessible(page)

    page.evaluate(
        """() => { window.progressSeen = [];
            document.addEventListener('htmx:xhr:progress', () => window.progressSeen.push(
                document.getElementById('photo-progress').value)); }"""
    )
    save.click()
    expect(page.get_by_text("Photo updated")).to_be_visible()
    assert page.evaluate("window.progressSeen.length") > 0
    current = page.locator("img#photo-current")
    expect(current).to_be_visible()
    page.wait_for_function("() => document.querySelector('img#photo-current').naturalWidth === 300")
    user.refresh_from_db()
    first = user.photo.name
    assert default_storage.exists(first)

    page.set_input_files("#photo-input", _photo_file(tmp_path, "second.png"))
    with page.expect_response(re.compile(r"/me/photo/$")):
        page.get_by_role("button", name="Save photo").click()
    expect(page.get_by_text("Photo updated")).to_be_visible()
    user.refresh_from_db()
    assert user.photo.name != first
    assert not default_storage.exists(first)  # the old photo is deleted


@pytest.mark.scenario("PHX-14", "Upload oversized image")
def test_it_refuses_an_oversized_image_before_uploading(page, login, world, tmp_path):
    login(page, world.a.client.user)
    page.goto("/me/")
    uploads = []
    page.on("request", lambda r: uploads.append(r.url) if "/me/photo/" in r.url else None)
    big = _photo_file(tmp_path, "big.png", size=(1500, 1500), noise=True)
    assert os.path.getsize(big) > 5 * 1024 * 1024
    page.set_input_files("#photo-input", big)
    expect(page.get_by_text("Image must be smaller than 5MB")).to_be_visible()
    expect(page.get_by_role("button", name="Save photo")).to_be_disabled()
    expect(page.locator("#photo-preview")).to_be_hidden()
    # A different image can be chosen at once.
    page.set_input_files("#photo-input", _photo_file(tmp_path))
    expect(page.get_by_text("Image must be smaller than 5MB")).to_be_hidden()
    expect(page.get_by_role("button", name="Save photo")).to_be_enabled()
    assert uploads == []


@pytest.mark.scenario("PHX-14", "Handle upload failure")
def test_it_keeps_the_old_photo_when_the_upload_fails(page, login, world, tmp_path, monkeypatch):
    user = world.a.client.user
    login(page, user)
    page.goto("/me/")
    page.set_input_files("#photo-input", _photo_file(tmp_path))
    page.get_by_role("button", name="Save photo").click()
    expect(page.get_by_text("Photo updated")).to_be_visible()
    user.refresh_from_db()
    old = user.photo.name

    def broken(*args, **kwargs):
        raise ConnectionError("storage unreachable")

    monkeypatch.setattr(default_storage, "save", broken)
    page.set_input_files("#photo-input", _photo_file(tmp_path, "again.jpg"))
    page.get_by_role("button", name="Save photo").click()
    expect(page.get_by_text("Upload failed. Please try again")).to_be_visible()
    user.refresh_from_db()
    assert user.photo.name == old
    expect(page.locator("img#photo-current")).to_be_visible()
    monkeypatch.undo()
    page.set_input_files("#photo-input", _photo_file(tmp_path, "retry.jpg"))
    with page.expect_response(re.compile(r"/me/photo/$")):
        page.get_by_role("button", name="Save photo").click()
    expect(page.get_by_text("Photo updated")).to_be_visible()


@pytest.mark.scenario("PHX-14", "Update notification preferences")
def test_it_saves_notification_preferences(page, login, world, assert_accessible):
    user = world.a.client.user
    login(page, user)
    page.goto("/me/")
    page.get_by_role("link", name="Notifications").click()
    expect(page).to_have_url(re.compile(r"tab=notifications"))
    expect(page.get_by_label("Class reminders")).to_be_checked()
    expect(page.get_by_label("Booking confirmations")).to_be_checked()
    expect(page.get_by_label("Promotional emails")).not_to_be_checked()
    # SMS notifications: one control, off by default, turned on by confirming the number
    # with a texted code (PHX-23; docs/specification.md, PHX-14 notes).
    texts = page.get_by_role("region", name="SMS notifications")
    expect(texts.get_by_text("Off", exact=True)).to_be_visible()
    assert_accessible(page)
    capture(page, "profile-sms-off")
    page.get_by_label("Promotional emails").check()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_text("Notification preferences saved")).to_be_visible()
    texts.get_by_label("Mobile number").fill("+1 415 555 0111")
    texts.get_by_role("button", name="Enable SMS notifications").click()
    code_field = texts.get_by_label("Code sent to +14155550111")
    expect(code_field).to_be_visible()
    code = Message.objects.get(recipient=user, kind="sms_opt_in_code").context["code"]
    code_field.fill(code)
    texts.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Text messages are on.")).to_be_visible()
    page.reload()
    texts = page.get_by_role("region", name="SMS notifications")
    expect(texts.get_by_text("On", exact=True)).to_be_visible()
    expect(texts.get_by_text("+14155550111")).to_be_visible()
    expect(page.get_by_label("Promotional emails")).to_be_checked()
    capture(page, "profile-sms-on")
    user.refresh_from_db()
    assert user.notify_sms and preferences.sms_number(user) == "+14155550111"


def test_it_changes_the_password_with_the_current_one(page, login, world, assert_accessible):
    user = world.a.client.user
    login(page, user)
    page.goto("/me/?tab=password")
    assert_accessible(page)
    page.get_by_label("Current password").fill("wrong-password")
    page.locator("#id_new_password").fill("Brand-new-secret-9")
    page.get_by_label("New password again").fill("Brand-new-secret-9")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your current password is incorrect.")).to_be_visible()
    page.get_by_label("Current password").fill("correct-horse-42")
    page.locator("#id_new_password").fill("Brand-new-secret-9")
    page.get_by_label("New password again").fill("Brand-new-secret-9")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Password changed")).to_be_visible()
    page.goto("/me/")
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
