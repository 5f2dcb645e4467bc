"""Pages and htmx fragments go out gzipped to a browser that accepts it (issue 13: Lighthouse
"Enable text compression"); binary responses and browsers that do not ask are left alone."""

from __future__ import annotations

import gzip

from django.urls import reverse

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


def test_a_page_is_gzipped_for_a_browser_that_accepts_it(client, world):
    client.force_login(world.a.client.user)
    plain = client.get(reverse("client:browse"))
    packed = client.get(reverse("client:browse"), **GZIP)
    assert "Content-Encoding" not in plain and plain.status_code == packed.status_code == 200
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    html = gzip.decompress(packed.content).decode()
    assert html.startswith("<!doctype html>") and "</html>" in html
    assert len(packed.content) < len(plain.content) / 2


def test_an_htmx_fragment_is_gzipped_too(client, world):
    client.force_login(world.a.owner.user)
    response = client.get(reverse("owner:metrics"), HTTP_HX_REQUEST="true", **GZIP)
    assert response["Content-Encoding"] == "gzip"
    assert 'id="metrics-panel"' in gzip.decompress(response.content).decode()


def test_an_image_made_by_a_view_is_not_gzipped_again(client, world):
    slug = world.a.organization.slug
    response = client.get(reverse("pwa:icon", args=[slug, 192]), **GZIP)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert "Content-Encoding" not in response
