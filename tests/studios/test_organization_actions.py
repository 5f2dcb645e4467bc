from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from reformer.accounts.models import Membership
from reformer.core.errors import DomainError, NotFound, PermissionDenied
from reformer.core.models import AuditEvent
from reformer.studios.actions import create_organization, update_organization
from reformer.studios.models import Organization
from tests import factories


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "#3b6e8f").save(buffer, format="PNG")
    return buffer.getvalue()


def test_it_creates_an_organization_owned_by_its_creator(db):
    user = factories.UserFactory()

    owner = create_organization(user, name="Core Pilates Studio", time_zone="Europe/London")

    assert owner.role == "owner" and owner.user == user and owner.active
    organization = owner.organization
    assert organization.slug == "core-pilates-studio"
    assert organization.time_zone == "Europe/London"
    assert not organization.studios.exists()
    event = AuditEvent.objects.get()
    assert (event.code, event.organization_id, event.actor) == (
        "studios.organization.created",
        organization.pk,
        user,
    )


def test_it_picks_a_free_web_address_when_the_name_is_taken(db):
    factories.OrganizationFactory(slug="core-pilates")
    factories.OrganizationFactory(slug="core-pilates-2")

    owner = create_organization(factories.UserFactory(), name="Core Pilates", time_zone="UTC")

    assert owner.organization.slug == "core-pilates-3"


def test_it_refuses_a_chosen_web_address_that_is_taken(db):
    factories.OrganizationFactory(slug="core")
    user = factories.UserFactory()

    with pytest.raises(DomainError, match="'core' is taken") as error:
        create_organization(user, name="Core", slug="core", time_zone="UTC")

    assert error.value.data["field"] == "slug"
    assert Organization.objects.count() == 1
    assert not Membership.objects.filter(user=user).exists()


@pytest.mark.parametrize("slug", ["Core Studio", "core_studio", "", "x" * 61])
def test_it_refuses_a_malformed_web_address(db, slug):
    with pytest.raises(DomainError, match="lowercase letters"):
        create_organization(factories.UserFactory(), name="Core", slug=slug, time_zone="UTC")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "  ", "time_zone": "UTC"}, "Name is required"),
        ({"name": "x" * 121, "time_zone": "UTC"}, "too long"),
        ({"name": "Core", "time_zone": "Mars/Olympus"}, "not a known time zone"),
    ],
)
def test_it_validates_a_new_organization(db, fields, message):
    with pytest.raises(DomainError, match=message):
        create_organization(factories.UserFactory(), **fields)
    assert not Organization.objects.exists()


def test_it_refuses_an_inactive_user(db):
    user = factories.UserFactory(is_active=False)

    with pytest.raises(PermissionDenied):
        create_organization(user, name="Core", time_zone="UTC")


def test_it_updates_the_organization(world):
    organization = update_organization(
        world.a.owner,
        world.a.organization,
        name="Alpha Pilates",
        time_zone="Europe/London",
        brand_colour="#AA3300",
        public_description="Small classes.",
    )

    organization.refresh_from_db()
    assert organization.name == "Alpha Pilates"
    assert organization.brand_colour == "#aa3300"
    assert organization.time_zone == "Europe/London"
    event = AuditEvent.objects.get(code="studios.organization.updated")
    assert event.data["changes"]["name"] == ["Alpha", "Alpha Pilates"]


def test_it_stores_a_logo(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    logo = SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png")

    organization = update_organization(
        world.a.owner,
        world.a.organization,
        name="Alpha",
        time_zone="America/New_York",
        brand_colour="#3b6e8f",
        public_description="",
        logo=logo,
    )

    assert organization.logo.name.startswith("logos/logo")
    assert (tmp_path / organization.logo.name).exists()


@pytest.mark.parametrize(
    ("logo", "message"),
    [
        (SimpleUploadedFile("logo.txt", b"hello"), "must be an image"),
        (SimpleUploadedFile("logo.png", b"x" * (2 * 1024 * 1024 + 1)), "too large"),
    ],
)
def test_it_refuses_a_bad_logo(world, logo, message):
    with pytest.raises(DomainError, match=message):
        update_organization(
            world.a.owner,
            world.a.organization,
            name="Alpha",
            time_zone="America/New_York",
            brand_colour="#3b6e8f",
            public_description="",
            logo=logo,
        )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"brand_colour": "blue"}, "colour like"),
        ({"time_zone": "Nowhere"}, "time zone"),
        ({"name": ""}, "Name is required"),
        ({"public_description": "x" * 5001}, "too long"),
    ],
)
def test_it_validates_organization_changes(world, fields, message):
    data = {
        "name": "Alpha",
        "time_zone": "America/New_York",
        "brand_colour": "#3b6e8f",
        "public_description": "",
    } | fields

    with pytest.raises(DomainError, match=message):
        update_organization(world.a.owner, world.a.organization, **data)
    assert not AuditEvent.objects.exists()


def test_it_hides_another_organization(world):
    with pytest.raises(NotFound):
        update_organization(
            world.b.owner,
            world.a.organization,
            name="Hacked",
            time_zone="UTC",
            brand_colour="#000000",
            public_description="",
        )
    world.a.organization.refresh_from_db()
    assert world.a.organization.name == "Alpha"
