"""Security headers on every page; Secure cookies on HTTPS behind the proxy setting."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reformer.web.security import PERMISSIONS_POLICY


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/accounts/signup/"])
def test_every_page_carries_the_security_headers(db, client, path):
    response = client.get(path)
    csp = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives["script-src"] == "'self'"  # no inline script, no eval
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'self'"  # our own preview iframe only
    assert "unsafe" not in directives["style-src"]
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY
    assert "camera=()" in PERMISSIONS_POLICY and "geolocation=()" in PERMISSIONS_POLICY
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_script(world, client):
    client.force_login(world.a.owner.user)
    for path in ("/owner/", "/staff/", "/staff/schedule/", "/me/"):
        html = client.get(path).content.decode()
        for chunk in html.split("<script")[1:]:
            attributes = chunk.split(">", 1)[0]
            if 'type="application/json"' in attributes:
                continue  # a data block (the chart's figures): never run, not script under CSP
            assert attributes.strip().startswith("src="), (path, chunk[:80])
        assert " onclick=" not in html and " onload=" not in html


def _login_page_cookies(client, **headers):
    response = client.get(reverse("account_login"), **headers)
    return response.cookies


def test_cookies_are_secure_on_https_behind_a_trusted_proxy(db, client, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    cookies = _login_page_cookies(client, HTTP_X_FORWARDED_PROTO="https")
    assert cookies["csrftoken"]["secure"] is True
    # The same site over plain HTTP (a local install) still works: no Secure flag there.
    client.cookies.clear()
    assert not _login_page_cookies(client)["csrftoken"]["secure"]


def test_the_forwarded_header_is_ignored_without_the_proxy_setting(db, client, settings):
    settings.SECURE_PROXY_SSL_HEADER = None
    cookies = _login_page_cookies(client, HTTP_X_FORWARDED_PROTO="https")
    assert not cookies["csrftoken"]["secure"]


def test_the_session_cookie_is_secure_after_signing_in_over_https(world, client, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.post(
        reverse("account_login"),
        {"login": world.a.owner.user.email, "password": "correct-horse-42"},
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert response.status_code == 302
    assert response.cookies["sessionid"]["secure"] is True
    assert response.cookies["sessionid"]["httponly"] is True
