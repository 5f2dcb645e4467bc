"""PHX-26: the manifest and icons per organization, the launch URL, the service worker
served from the root, the app shell list."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from reformer.web.middleware import SESSION_KEY
from reformer.web.pwa import icons

pytestmark = pytest.mark.django_db


def _logo(colour=(200, 30, 60)) -> SimpleUploadedFile:
    image = Image.new("RGB", (300, 150), colour)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return SimpleUploadedFile("logo.png", out.getvalue(), content_type="image/png")


def test_the_manifest_carries_the_organizations_name_colour_and_icons(client, world):
    organization = world.a.organization
    organization.brand_colour = "#aa3366"
    organization.save()
    response = client.get(f"/o/{organization.slug}/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    data = response.json()
    assert data["name"] == organization.name
    assert data["theme_color"] == "#aa3366"
    assert data["start_url"] == f"/o/{organization.slug}/launch/"
    assert data["scope"] == "/"
    assert data["display"] == "standalone"
    sizes = [(icon["sizes"], icon.get("purpose", "any")) for icon in data["icons"]]
    assert sizes == [("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")]


def test_icons_are_generated_from_the_logo_in_each_size(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    organization = world.a.organization
    organization.logo = _logo()
    organization.brand_colour = "#102030"
    organization.save()
    for size in (192, 512):
        response = client.get(f"/o/{organization.slug}/icons/{size}.png")
        image = Image.open(io.BytesIO(response.content))
        assert image.size == (size, size)
        # The logo's red is in the middle, on white.
        assert image.convert("RGB").getpixel((size // 2, size // 2)) == (200, 30, 60)
        assert image.convert("RGB").getpixel((2, 2)) == (255, 255, 255)
    maskable = Image.open(
        io.BytesIO(client.get(f"/o/{organization.slug}/icons/maskable-512.png").content)
    ).convert("RGB")
    assert maskable.size == (512, 512)
    assert maskable.getpixel((2, 2)) == (0x10, 0x20, 0x30)  # the brand colour to the edges
    assert maskable.getpixel((256, 256)) == (200, 30, 60)
    # Inside the safe zone: the logo leaves the outer 10% (and more) to the colour.
    assert maskable.getpixel((256, 60)) == (0x10, 0x20, 0x30)


def test_without_a_logo_the_icon_shows_the_initials_on_the_colour(world):
    organization = world.a.organization
    png = icons.render_icon(organization, 192)
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    colours = {image.getpixel((x, 96)) for x in range(0, 192, 4)}
    assert len(colours) > 2  # colour, the letters' ink, the transparent corners' edge


def test_unknown_organizations_and_sizes_are_404(client, world):
    assert client.get("/o/nope/manifest.webmanifest").status_code == 404
    assert client.get(f"/o/{world.a.organization.slug}/icons/64.png").status_code == 404


def test_launch_acts_in_that_organization_and_goes_home(client, world):
    user = world.a.client.user
    other = world.b.organization
    from tests import factories

    second = factories.MembershipFactory(user=user, organization=other, role="client")
    client.force_login(user)
    response = client.get(f"/o/{other.slug}/launch/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session[SESSION_KEY] == second.pk


def test_launch_by_someone_not_in_the_organization_shows_its_public_page(client, world):
    client.force_login(world.a.client.user)
    response = client.get(f"/o/{world.b.organization.slug}/launch/")
    assert response["Location"] == f"/o/{world.b.organization.slug}/"
    client.logout()
    assert client.get(f"/o/{world.b.organization.slug}/launch/")["Location"].endswith("/")


def test_the_service_worker_is_served_from_the_root_uncached(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript"
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert b'addEventListener("fetch"' in response.content


def test_the_shell_lists_static_files_and_a_members_offline_pages(client, world):
    anonymous = client.get("/pwa/shell.json").json()
    assert "/offline/" in anonymous["shell"]
    assert anonymous["pages"] == [] and anonymous["user"] is None
    client.force_login(world.a.client.user)
    data = client.get("/pwa/shell.json").json()
    assert data["pages"][:3] == ["/dashboard/", "/classes/", "/classes/?when=week"]
    assert data["user"] == world.a.client.user.pk


def test_every_page_links_the_current_organizations_manifest(client, world):
    client.force_login(world.a.client.user)
    html = client.get("/dashboard/").content.decode()
    assert f'href="/o/{world.a.organization.slug}/manifest.webmanifest"' in html
    assert 'name="reformer-app"' in html


def test_the_desk_and_the_instructor_keep_todays_rosters(client, world):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    from reformer.core.timezones import local_to_utc, local_today
    from tests.factories import make_session

    # At 10:00 in the studio's zone, so the class half an hour ahead is today's whatever the
    # hour CI runs at (from 23:30 local it fell on tomorrow).
    zone_name = world.a.studio.time_zone
    morning = local_to_utc(local_today(zone_name), dt.time(10, 0), zone_name)
    with time_machine.travel(morning, tick=False):
        session = make_session(world.a, starts_at=timezone.now() + dt.timedelta(minutes=30))
        _check_todays_rosters(client, world, session)


def _check_todays_rosters(client, world, session):
    page = f"/staff/classes/{session.pk}/"
    client.force_login(world.a.front_desk.user)
    desk = client.get("/pwa/shell.json").json()
    assert desk["pages"][0] == "/staff/checkin/" and page in desk["pages"]
    assert desk["partials"] == [f"{page}roster/"]
    client.force_login(world.a.instructor.user)
    teacher = client.get("/pwa/shell.json").json()
    assert teacher["pages"] == ["/staff/classes/", page]
    assert teacher["partials"] == [f"{page}roster/"]
    client.force_login(world.b.front_desk.user)
    assert page not in client.get("/pwa/shell.json").json()["pages"]


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("Harbour Pilates", "Harbour"),
        ("Core Studio", "Core Studio"),
        ("The Reformer Room London", "The Reformer"),
        ("Reformerpilatesstudio", "Reformerpila"),
        ("  Flow   Pilates  ", "Flow Pilates"),
    ],
)
def test_the_home_screen_name_is_whole_words_that_fit(name, short):
    from reformer.web.pwa.views import home_screen_name

    assert home_screen_name(name) == short
