from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reformer.accounts import profile
from tests.web_profile.images import image_bytes, oversized_png

ROLES = ["owner", "manager", "front_desk", "instructor", "client"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _login(client, user):
    client.force_login(user)
    return client


def _details(user, **changes):
    data = {"name": user.name, "email": user.email, "phone": user.phone}
    data.update(changes)
    return data


@pytest.mark.parametrize("role", ROLES)
def test_it_shows_every_member_their_current_details(client, world, role):
    user = world.a.members[role].user
    user.phone = "+14155550123"
    user.save()
    html = _login(client, user).get(reverse("profile:edit")).content.decode()
    assert user.name in html and user.email in html and "+14155550123" in html
    assert ("Emergency contact" in html) is (role == "client")


def test_it_serves_a_user_without_an_organization(client, world):
    response = _login(client, world.outsider).get(reverse("profile:edit"))
    assert response.status_code == 200
    assert "Emergency contact" not in response.content.decode()


def test_it_sends_visitors_to_sign_in(client):
    for name in ("profile:edit", "profile:photo_file"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(reverse("profile:photo")).status_code == 302


def test_it_updates_the_phone_and_says_profile_updated(client, world):
    user = world.a.client.user
    response = _login(client, user).post(
        reverse("profile:edit"),
        _details(user, phone="415 555 0123", emergency_contact_name="Bob"),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Profile updated" in response.content.decode()
    user.refresh_from_db()
    assert user.phone == "+14155550123"
    world.a.client.client_profile.refresh_from_db()
    assert world.a.client.client_profile.emergency_contact_name == "Bob"


def test_it_shows_field_errors_and_saves_nothing(client, world):
    user = world.a.owner.user
    _login(client, user)
    response = client.post(
        reverse("profile:edit"), _details(user, name="Changed", phone="12"), HTTP_HX_REQUEST="1"
    )
    assert response.status_code == 422
    assert "Enter a valid phone number" in response.content.decode()
    response = client.post(reverse("profile:edit"), _details(user, name=""), HTTP_HX_REQUEST="1")
    assert "This field is required." in response.content.decode()
    user.refresh_from_db()
    assert user.name == "alpha owner"


def test_it_refuses_an_email_already_registered(client, world):
    user = world.a.client.user
    response = _login(client, user).post(
        reverse("profile:edit"),
        _details(user, name="New Name", email="Owner@Alpha.example.com"),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "This email is already registered" in response.content.decode()
    user.refresh_from_db()
    assert (user.email, user.name) == ("client@alpha.example.com", "alpha client")
    assert not mail.outbox


def test_it_changes_the_email_through_the_emailed_link(
    client, world, django_capture_on_commit_callbacks
):
    user = world.a.client.user
    _login(client, user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("profile:edit"), _details(user, email="me@new.example.com"))
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "client@alpha.example.com"
    message = mail.outbox[-1]
    assert message.to == ["me@new.example.com"]
    link = re.search(r"http://testserver(/me/email/confirm/\S+/)", message.body).group(1)
    # Opened while signed out (another device): it still works.
    client.logout()
    response = client.get(link)
    assert response.status_code == 200
    assert "Your email is now me@new.example.com" in response.content.decode()
    user.refresh_from_db()
    assert user.email == "me@new.example.com"
    assert EmailAddress.objects.get(user=user, primary=True).email == "me@new.example.com"


def test_it_refuses_a_link_for_someone_else(client, world):
    token = profile.email_change_token(world.a.client.user, "x@new.example.com")
    _login(client, world.a.owner.user)
    response = client.get(reverse("profile:confirm_email", args=[token]))
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    response = client.get(reverse("profile:confirm_email", args=["garbage"]))
    assert response.status_code == 400


def test_it_saves_notification_preferences(client, world):
    user = world.a.client.user
    _login(client, user)
    html = client.get(reverse("profile:edit"), {"tab": "notifications"}).content.decode()
    assert "Class reminders" in html and 'name="sms"' not in html  # texts: confirmed by code
    response = client.post(
        reverse("profile:notifications"),
        {"class_reminders": "on", "booking_confirmations": "on", "sms": "on"},
        HTTP_HX_REQUEST="true",
    )
    assert "Notification preferences saved" in response.content.decode()
    user.refresh_from_db()
    assert (user.notify_class_reminders, user.notify_booking_confirmations) == (True, True)
    # A posted "sms" (an old form) turns nothing on: only a confirmed number does.
    assert (user.notify_promotional_email, user.notify_sms) == (False, False)


def test_it_changes_the_password_and_keeps_the_session(client, world):
    user = world.a.client.user
    _login(client, user)
    url = reverse("profile:password")
    wrong = {
        "current_password": "nope",
        "new_password": "Brand-new-42",
        "new_password_again": "Brand-new-42",
    }
    response = client.post(url, wrong, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "Your current password is incorrect." in response.content.decode()
    weak = {**wrong, "current_password": "correct-horse-42", "new_password": "1234"}
    weak["new_password_again"] = "1234"
    assert "too short" in client.post(url, weak, HTTP_HX_REQUEST="true").content.decode()
    good = {**wrong, "current_password": "correct-horse-42"}
    response = client.post(url, good, HTTP_HX_REQUEST="true")
    assert "Password changed" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password("Brand-new-42")
    assert client.get(reverse("profile:edit")).status_code == 200  # still signed in


def _photo(data: bytes, name="me.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_it_uploads_a_photo_and_serves_it(client, world):
    user = world.a.instructor.user
    _login(client, user)
    response = client.post(
        reverse("profile:photo"), {"photo": _photo(image_bytes())}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Photo updated" in response.content.decode()
    user.refresh_from_db()
    assert user.photo.name.startswith(f"photos/{user.pk}/")
    served = client.get(reverse("profile:photo_file"))
    assert served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content)[:2] == b"\xff\xd8"


def test_it_refuses_a_text_file_named_like_a_photo(client, world):
    _login(client, world.a.client.user)
    response = client.post(
        reverse("profile:photo"), {"photo": _photo(b"just text")}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "Choose a JPEG or PNG image." in response.content.decode()


def test_it_refuses_an_oversized_photo(client, world):
    _login(client, world.a.client.user)
    response = client.post(
        reverse("profile:photo"),
        {"photo": _photo(oversized_png(), "big.png", "image/png")},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "Image must be smaller than 5MB" in response.content.decode()


def test_it_answers_a_malformed_content_length_without_an_error(client, world):
    _login(client, world.a.client.user)
    response = client.post(
        reverse("profile:photo"), {}, CONTENT_LENGTH="abc", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "Choose a JPEG or PNG image." in response.content.decode()


def test_it_keeps_the_old_photo_when_the_upload_fails(client, world, monkeypatch):
    user = world.a.client.user
    _login(client, user)
    client.post(reverse("profile:photo"), {"photo": _photo(image_bytes())})
    user.refresh_from_db()
    old = user.photo.name

    def broken(*args, **kwargs):
        raise ConnectionError("storage unreachable")

    monkeypatch.setattr(default_storage, "save", broken)
    response = client.post(
        reverse("profile:photo"), {"photo": _photo(image_bytes())}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "Upload failed. Please try again" in response.content.decode()
    user.refresh_from_db()
    assert user.photo.name == old
    assert default_storage.exists(old)


def test_it_removes_the_photo(client, world, django_capture_on_commit_callbacks):
    user = world.a.client.user
    _login(client, user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("profile:photo"), {"photo": _photo(image_bytes())})
    user.refresh_from_db()
    old = user.photo.name
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("profile:photo_remove"))
    user.refresh_from_db()
    assert not user.photo and not default_storage.exists(old)
    assert client.get(reverse("profile:photo_file")).status_code == 404


def test_it_switches_tabs_with_htmx(client, world):
    _login(client, world.a.client.user)
    response = client.get(reverse("profile:edit"), {"tab": "password"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="profile-tabs">')
    assert "Change password" in html and "<html" not in html


def test_it_refuses_a_password_longer_than_128_characters(client, world):
    user = world.a.client.user
    _login(client, user)
    huge = "Long-pass-1" + "x" * 100_000
    response = client.post(
        reverse("profile:password"),
        {
            "current_password": "correct-horse-42",
            "new_password": huge,
            "new_password_again": huge,
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "too long: use at most 128 characters" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password("correct-horse-42")
