from __future__ import annotations

import io

import pytest
from allauth.account.models import EmailAddress
from django.core import mail, signing
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from reformer.accounts import profile
from reformer.core.errors import DomainError
from reformer.core.models import AuditEvent
from tests import factories
from tests.web_profile.images import image_bytes, oversized_png


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_it_updates_name_and_phone_in_e164(world):
    user = world.a.owner.user
    profile.update_profile(user, name=" Ada Lovelace ", phone="(415) 555-0123")
    user.refresh_from_db()
    assert (user.name, user.phone) == ("Ada Lovelace", "+14155550123")
    assert AuditEvent.objects.filter(code="accounts.user.profile_updated").exists()


def test_it_refuses_an_invalid_phone_and_an_empty_name(world):
    user = world.a.owner.user
    with pytest.raises(DomainError) as error:
        profile.update_profile(user, name="Ada", phone="12345")
    assert error.value.data["field"] == "phone"
    with pytest.raises(DomainError) as error:
        profile.update_profile(user, name="  ", phone="")
    assert error.value.data["field"] == "name"


def test_it_reads_national_numbers_in_the_studio_country(world):
    world.a.studio.time_zone = "Europe/London"
    world.a.studio.save()
    member = world.a.owner
    assert profile.default_region(member) == "GB"
    profile.update_profile(member.user, name="Ada", phone="020 7946 0018", membership=member)
    assert member.user.phone == "+442079460018"
    assert profile.default_region(None) == "US"


def test_it_stores_a_client_emergency_contact(world):
    client = world.a.client
    profile.update_profile(
        client.user,
        name="Cli Ent",
        phone="",
        membership=client,
        emergency_contact_name="Bob",
        emergency_contact_phone="+1 212 555 0199",
    )
    client.client_profile.refresh_from_db()
    assert client.client_profile.emergency_contact_name == "Bob"
    assert client.client_profile.emergency_contact_phone == "+12125550199"


def test_it_refuses_an_emergency_contact_with_a_bad_phone(world):
    client = world.a.client
    with pytest.raises(DomainError) as error:
        profile.update_profile(
            client.user,
            name="Cli",
            phone="",
            membership=client,
            emergency_contact_name="Bob",
            emergency_contact_phone="not a phone",
        )
    assert error.value.data["field"] == "emergency_contact_phone"


def test_it_persists_notification_preferences(world):
    user = world.a.client.user
    assert (user.notify_class_reminders, user.notify_booking_confirmations) == (True, True)
    assert (user.notify_promotional_email, user.notify_sms) == (False, False)
    profile.update_notification_preferences(
        user, class_reminders=False, booking_confirmations=True, promotional_email=True
    )
    user.refresh_from_db()
    assert (user.notify_class_reminders, user.notify_promotional_email) == (False, True)


def test_it_changes_the_password_only_with_the_current_one(world):
    user = world.a.client.user
    with pytest.raises(DomainError) as error:
        profile.change_password(user, current_password="wrong", new_password="A-much-better-1")
    assert error.value.data["field"] == "current_password"
    with pytest.raises(DomainError) as error:
        profile.change_password(user, current_password="correct-horse-42", new_password="123")
    assert error.value.data["field"] == "new_password"
    assert "too short" in error.value.message
    profile.change_password(
        user, current_password="correct-horse-42", new_password="A-much-better-1"
    )
    user.refresh_from_db()
    assert user.check_password("A-much-better-1")


def test_it_refuses_an_email_already_registered_in_any_case(world):
    user = world.a.client.user
    with pytest.raises(DomainError) as error:
        profile.request_email_change(
            user, new_email="OWNER@alpha.example.com", confirm_url=lambda t: t
        )
    assert error.value.message == "This email is already registered"
    other = factories.UserFactory(email="someone@example.com")
    EmailAddress.objects.create(user=other, email="alias@example.com", verified=True)
    with pytest.raises(DomainError):
        profile.request_email_change(user, new_email="Alias@Example.com", confirm_url=str)
    with pytest.raises(DomainError) as error:
        profile.request_email_change(user, new_email="not-an-email", confirm_url=str)
    assert error.value.message == "Enter a valid email address."


def test_it_changes_the_email_only_when_the_link_is_used(world, django_capture_on_commit_callbacks):
    user = world.a.client.user
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    with django_capture_on_commit_callbacks(execute=True):
        token = profile.request_email_change(
            user, new_email="New@Example.com", confirm_url=lambda t: f"http://x/confirm/{t}/"
        )
    user.refresh_from_db()
    assert user.email == "client@alpha.example.com"
    assert mail.outbox[-1].to == ["new@example.com"]
    assert f"http://x/confirm/{token}/" in mail.outbox[-1].body

    profile.confirm_email_change(token, user=user)
    user.refresh_from_db()
    assert user.email == "new@example.com"
    addresses = list(EmailAddress.objects.filter(user=user).values_list("email", "primary"))
    assert addresses == [("new@example.com", True)]
    assert EmailAddress.objects.get(user=user).verified
    # Using the link again changes nothing and does not fail.
    assert profile.confirm_email_change(token).email == "new@example.com"


def test_it_refuses_a_forged_expired_or_foreign_link(world, settings):
    user = world.a.client.user
    token = profile.email_change_token(user, "fresh@example.com")
    with pytest.raises(DomainError) as error:
        profile.confirm_email_change(token + "x")
    assert error.value.code == "email_change.invalid"
    with pytest.raises(DomainError):
        profile.confirm_email_change(token, user=world.a.owner.user)
    expired = signing.dumps(
        {"user": user.pk, "old": user.email, "new": "fresh@example.com"},
        salt=profile.EMAIL_CHANGE_SALT,
        compress=True,
    )
    profile_max_age = profile.EMAIL_CHANGE_MAX_AGE
    profile.EMAIL_CHANGE_MAX_AGE = -1
    try:
        with pytest.raises(DomainError) as error:
            profile.confirm_email_change(expired)
        assert error.value.code == "email_change.expired"
    finally:
        profile.EMAIL_CHANGE_MAX_AGE = profile_max_age


def test_it_refuses_a_link_when_the_address_was_taken_meanwhile(world):
    user = world.a.client.user
    token = profile.email_change_token(user, "race@example.com")
    factories.UserFactory(email="race@example.com")
    with pytest.raises(DomainError) as error:
        profile.confirm_email_change(token)
    assert error.value.message == "This email is already registered"


def _upload(data: bytes, name: str = "me.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_it_stores_a_300px_jpeg_thumbnail_in_a_user_folder(world):
    user = world.a.client.user
    profile.set_photo(user, upload=_upload(image_bytes("JPEG", size=(1200, 800))))
    user.refresh_from_db()
    assert user.photo.name.startswith(f"photos/{user.pk}/")
    with default_storage.open(user.photo.name) as stored, Image.open(stored) as image:
        assert (image.format, image.size) == ("JPEG", (300, 300))


def test_it_accepts_a_png_named_jpg_by_its_content(world):
    user = world.a.client.user
    profile.set_photo(user, upload=_upload(image_bytes("PNG"), "holiday.jpg", "image/jpeg"))
    assert user.photo


def test_it_refuses_a_text_file_named_jpg_and_other_formats(world):
    user = world.a.client.user
    with pytest.raises(DomainError) as error:
        profile.set_photo(user, upload=_upload(b"hello, I am not a picture", "cat.jpg"))
    assert error.value.message == "Choose a JPEG or PNG image."
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    with pytest.raises(DomainError):
        profile.set_photo(user, upload=_upload(gif.getvalue(), "cat.png", "image/png"))
    user.refresh_from_db()
    assert not user.photo


def test_it_refuses_an_image_over_5_mb(world):
    user = world.a.client.user
    with pytest.raises(DomainError) as error:
        profile.set_photo(user, upload=_upload(oversized_png(), "big.png", "image/png"))
    assert error.value.message == "Image must be smaller than 5MB"


def test_it_turns_the_photo_upright_from_its_exif_orientation(world):
    # Stored pixels: red left half, blue right half. Orientation 6 says "turn 90° clockwise
    # to display", so upright the red half is on top.
    image = Image.new("RGB", (600, 300), (255, 0, 0))
    image.paste((0, 0, 255), (300, 0, 600, 300))
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    thumbnail = Image.open(io.BytesIO(profile.make_thumbnail(out.getvalue())))
    assert thumbnail.size == (300, 300)
    top, bottom = thumbnail.getpixel((10, 10)), thumbnail.getpixel((10, 290))
    assert top[0] > 200 and top[2] < 60
    assert bottom[2] > 200 and bottom[0] < 60


def test_it_deletes_the_old_photo_after_saving_the_new_one(
    world, django_capture_on_commit_callbacks
):
    user = world.a.client.user
    with django_capture_on_commit_callbacks(execute=True):
        profile.set_photo(user, upload=_upload(image_bytes()))
    old = user.photo.name
    with django_capture_on_commit_callbacks(execute=True):
        profile.set_photo(user, upload=_upload(image_bytes(colour=(0, 0, 255))))
    assert user.photo.name != old
    assert default_storage.exists(user.photo.name)
    assert not default_storage.exists(old)


def test_it_keeps_the_old_photo_when_storage_fails(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    user = world.a.client.user
    with django_capture_on_commit_callbacks(execute=True):
        profile.set_photo(user, upload=_upload(image_bytes()))
    old = user.photo.name

    def broken_save(*args, **kwargs):
        raise OSError("S3 is down")

    monkeypatch.setattr(default_storage, "save", broken_save)
    with pytest.raises(DomainError) as error:
        profile.set_photo(user, upload=_upload(image_bytes(colour=(0, 255, 0))))
    assert error.value.message == "Upload failed. Please try again"
    user.refresh_from_db()
    assert user.photo.name == old
    assert default_storage.exists(old)


def test_the_migration_clears_sms_ticks_without_a_confirmed_number(world):
    import importlib

    from django.apps import apps
    from django.utils import timezone

    from reformer.notifications.models import RecipientSettings

    migration = importlib.import_module(
        "reformer.notifications.migrations.0004_sms_on_means_confirmed"
    )
    ticked, confirmed = world.a.client.user, world.a.owner.user
    for user in (ticked, confirmed):
        user.notify_sms = True
        user.save(update_fields=["notify_sms"])
    RecipientSettings.objects.create(
        user=confirmed, sms_phone="+14155550111", sms_confirmed_at=timezone.now()
    )
    migration.clear_unconfirmed(apps, None)
    ticked.refresh_from_db()
    confirmed.refresh_from_db()
    assert (ticked.notify_sms, confirmed.notify_sms) == (False, True)


def test_an_unverified_claim_by_someone_else_does_not_block_the_change(world):
    user, other = world.a.client.user, world.a.owner.user
    EmailAddress.objects.create(user=other, email="mine@example.com", verified=False)
    token = profile.request_email_change(user, new_email="mine@example.com", confirm_url=str)
    assert profile.confirm_email_change(token, user=user).email == "mine@example.com"
