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


def test_pages_that_show_a_secret_are_never_gzipped(client, world):
    # BREACH: a compressed page's size can leak a secret beside reflected text.
    from reformer.webhooks.actions import create_endpoint

    client.force_login(world.a.owner.user)
    endpoint = create_endpoint(
        world.a.owner, url="https://hooks.example.com/in", events=["booking.created"]
    )
    page = client.get(reverse("integrations:endpoint", args=[endpoint.pk]), **GZIP)
    assert page.status_code == 200 and "Content-Encoding" not in page
    assert endpoint.secret in page.content.decode()
    new_key = client.post(
        reverse("integrations:api_keys"),
        {
            "name": "Website",
            "scopes": ["schedule:read"],
            "acts_as": world.a.owner.pk,
            "rate_limit_per_minute": 120,
        },
        **GZIP,
    )
    assert new_key.status_code == 200 and "Content-Encoding" not in new_key
    assert new_key.context["new_secret"] in new_key.content.decode()
