"""Class type and instructor photos: uploaded by staff like profile photos (checked by
content, 300x300 JPEG), shown to the organization's members on cards and class pages, with
placeholders when absent; other organizations' photos are not found."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from reformer.accounts import profile
from reformer.core.audit import AuditEvent
from reformer.core.errors import DomainError, PermissionDenied
from reformer.scheduling import actions as scheduling
from tests.web_client.helpers import session_at


def _png(size=(640, 480), colour="teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    settings.MEDIA_ROOT = tmp_path


def test_staff_upload_a_class_type_photo_checked_by_content(client, world):
    class_type = world.a.class_type
    client.force_login(world.a.owner.user)
    url = f"/staff/setup/class-types/{class_type.pk}/photo/"
    fake = SimpleUploadedFile("cat.png", b"not an image at all", content_type="image/png")
    refused = client.post(url, {"photo": fake})
    assert refused.status_code == 422
    assert "Choose a JPEG or PNG image." in refused.content.decode()
    class_type.refresh_from_db()
    assert not class_type.photo

    response = client.post(url, {"photo": SimpleUploadedFile("studio.png", _png())})
    assert response.status_code == 302
    class_type.refresh_from_db()
    assert class_type.photo.name.startswith(f"class-types/{world.a.organization.pk}/")
    with class_type.photo.open("rb") as stored, Image.open(stored) as image:
        assert (image.format, image.size) == ("JPEG", (300, 300))
    assert AuditEvent.objects.filter(code="scheduling.class_type.photo_changed").exists()
    page = client.get(f"/staff/setup/class-types/{class_type.pk}/").content.decode()
    assert "Remove photo" in page and "/photos/class-types/" in page

    client.post(url, {"remove": "1"})
    class_type.refresh_from_db()
    assert not class_type.photo


def test_only_class_type_managers_may_set_a_photo(world):
    with pytest.raises(PermissionDenied):
        scheduling.set_class_type_photo(
            world.a.instructor, world.a.class_type, upload=io.BytesIO(_png())
        )
    with pytest.raises(DomainError):
        scheduling.set_class_type_photo(
            world.a.owner, world.a.class_type, upload=io.BytesIO(b"GIF89a")
        )


def test_clients_see_photos_or_placeholders(client, world):
    scheduling.set_class_type_photo(
        world.a.owner, world.a.class_type, upload=io.BytesIO(_png(colour="orange"))
    )
    world.a.instructor.user.name = "Sarah Johnson"
    world.a.instructor.user.save()
    session = session_at(world.a, day=1, instructor=world.a.instructor)
    client.force_login(world.a.client.user)

    page = client.get(f"/classes/{session.pk}/").content.decode()
    assert f"/photos/class-types/{world.a.class_type.pk}.jpg?v=" in page
    assert "Your instructor" in page and "Sarah Johnson" in page
    assert 'class="instructor__photo instructor__photo--placeholder"' in page  # no photo yet
    assert ">SJ<" in page

    profile.set_photo(world.a.instructor.user, upload=io.BytesIO(_png(colour="navy")))
    page = client.get(f"/classes/{session.pk}/").content.decode()
    photo_url = f"/photos/instructors/{world.a.instructor.pk}.jpg"
    assert photo_url in page and 'alt="Photo of Sarah Johnson"' in page
    response = client.get(photo_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert client.get(f"/photos/class-types/{world.a.class_type.pk}.jpg").status_code == 200

    # Another organization's photos, and clients' own photos, are not found.
    scheduling.set_class_type_photo(
        world.b.owner, world.b.class_type, upload=io.BytesIO(_png(colour="red"))
    )
    assert client.get(f"/photos/class-types/{world.b.class_type.pk}.jpg").status_code == 404
    profile.set_photo(world.a.client.user, upload=io.BytesIO(_png()))
    assert client.get(f"/photos/instructors/{world.a.client.pk}.jpg").status_code == 404


def test_a_card_without_a_photo_shows_the_initials_on_the_type_colour(client, world):
    session = session_at(world.a, day=1)
    client.force_login(world.a.client.user)
    html = client.get("/classes/?when=tomorrow").content.decode()
    card = html[html.index(f'id="session-{session.pk}"') :]
    assert "type-photo--placeholder" in card[: card.index("</article>")]
