"""Sign-up reveals nothing; failed sign-ins slow down without locking the owner out."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from reformer.accounts.models import User
from reformer.web.accounts import throttle
from tests import factories

PASSWORD = "correct-horse-42"  # the factories' password


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def _sign_up(client, email: str):
    return client.post(
        reverse("account_signup"),
        {
            "name": "Someone",
            "email": email,
            "password1": "Stretchy-77-spring",
            "password2": "Stretchy-77-spring",
        },
    )


def test_sign_up_answers_the_same_for_a_registered_address(db, client, mailoutbox):
    factories.UserFactory(email="taken@example.com")
    fresh = _sign_up(client, "fresh@example.com")
    client.logout()
    taken = _sign_up(client, "Taken@Example.com")

    assert fresh.status_code == taken.status_code == 302
    assert fresh["Location"] == taken["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1
    # Each address got one email: a confirmation link, and a "you already have an account".
    by_address = {m.to[0].lower(): m for m in mailoutbox}
    assert re.search(r"/accounts/confirm-email/\S+/", by_address["fresh@example.com"].body)
    assert "/accounts/password/reset/" in by_address["taken@example.com"].body


def test_the_confirmation_link_signs_the_new_person_in(db, client, mailoutbox):
    _sign_up(client, "new@example.com")
    link = re.search(r"(/accounts/confirm-email/\S+/)", mailoutbox[0].body)[1]
    response = client.post(link)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(email="new@example.com").pk)


def _login(client, email: str, password: str, ip: str):
    return client.post(
        reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=ip
    )


def _fail(client, email: str, ip: str, times: int) -> None:
    for _ in range(times):
        assert _login(client, email, "wrong-guess", ip).status_code == 200


def test_failures_slow_down_the_address_with_growing_delays(db, client):
    owner = factories.UserFactory(email="owner@example.com")
    with time_machine.travel(1_900_000_000, tick=False) as clock:
        _fail(client, "someone@example.com", "203.0.113.9", throttle.FREE_FAILURES)
        # Even the right password waits now from this address, and says how long.
        html = _login(client, owner.email, PASSWORD, "203.0.113.9").content.decode()
        assert "Too many failed sign-ins from your network. Try again in 1 second" in html
        clock.shift(1.5)
        _fail(client, "someone@example.com", "203.0.113.9", 1)
        html = _login(client, "someone@example.com", "x", "203.0.113.9").content.decode()
        assert "Try again in 2 seconds" in html
        clock.shift(2.5)
        assert _login(client, owner.email, PASSWORD, "203.0.113.9").status_code == 302


def test_a_stranger_cannot_lock_the_owner_out(db, client):
    owner = factories.UserFactory(email="owner@example.com")
    with time_machine.travel(1_900_000_000, tick=False) as clock:
        # A stranger spreads guesses over many addresses: the account slows down...
        for i in range(12):
            clock.shift(throttle.ACCOUNT_CAP)
            _fail(client, owner.email, f"198.51.100.{i}", 1)
        html = _login(client, owner.email, PASSWORD, "192.0.2.1").content.decode()
        assert "Too many failed sign-ins for this account" in html
        assert "reset your password" in html
        # ...but never past the cap: the owner, from a new address, gets in after it.
        clock.shift(throttle.ACCOUNT_CAP)
        response = _login(client, owner.email, PASSWORD, "192.0.2.1")
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(owner.pk)


def test_a_browser_that_signed_in_before_skips_the_account_delay(db, client):
    owner = factories.UserFactory(email="owner@example.com")
    assert _login(client, owner.email, PASSWORD, "192.0.2.1").status_code == 302
    assert client.cookies[throttle.DEVICE_COOKIE].value
    client.post(reverse("account_logout"))
    stranger = client_class_copy(client)
    for i in range(10):
        _fail(stranger, owner.email, f"198.51.100.{i}", 1)
    assert _login(client, owner.email, PASSWORD, "192.0.2.77").status_code == 302


def test_a_password_reset_clears_the_account_delay(db, client):
    owner = factories.UserFactory(email="owner@example.com")
    for i in range(10):
        _fail(client, owner.email, f"198.51.100.{i}", 1)
    assert throttle.check(address="192.0.2.1", email=owner.email, known_device=False)
    from allauth.account.adapter import get_adapter

    get_adapter()._delete_login_attempts_cached_email(None, email=owner.email)
    assert throttle.check(address="192.0.2.1", email=owner.email, known_device=False) is None


def client_class_copy(client):
    from django.test import Client

    return Client()


def test_no_one_can_attach_another_accounts_address_to_their_own(db, client, mailoutbox):
    """PHX-14: allauth's "Email addresses" page is not offered; email changes go through the
    profile, which confirms the new address first and refuses one another account uses."""
    from allauth.account.models import EmailAddress

    owner = factories.UserFactory(email="owner@example.com")
    squatter = factories.UserFactory(email="squatter@example.com")
    client.force_login(squatter)

    page = client.get("/accounts/email/")
    attempt = client.post(
        "/accounts/email/", {"action_add": "", "email": "owner@example.com"}, follow=False
    )

    assert page.status_code == attempt.status_code == 302
    assert page["Location"] == reverse("profile:edit")
    assert not EmailAddress.objects.filter(user=squatter, email__iexact=owner.email).exists()
    assert not mailoutbox
    menu = client.get(reverse("profile:edit")).content.decode()
    assert "Email addresses" not in menu


def test_an_unverified_claim_does_not_keep_the_real_owner_from_signing_up(db, client, mailoutbox):
    """An address someone attached to their account without verifying it (possible before the
    page went away) neither refuses nor reveals anything at sign-up: the owner signs up and
    the stale claim is dropped."""
    from allauth.account.models import EmailAddress

    squatter = factories.UserFactory(email="squatter@example.com")
    EmailAddress.objects.create(user=squatter, email="real@example.com", verified=False)

    response = _sign_up(client, "Real@Example.com")

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.filter(email__iexact="real@example.com").exclude(pk=squatter.pk).exists()
    assert not EmailAddress.objects.filter(user=squatter, email__iexact="real@example.com")
    assert re.search(r"/accounts/confirm-email/\S+/", mailoutbox[0].body)


def test_a_verified_extra_address_still_counts_as_registered(db, client, mailoutbox):
    from allauth.account.models import EmailAddress

    holder = factories.UserFactory(email="holder@example.com")
    EmailAddress.objects.create(user=holder, email="alias@example.com", verified=True)

    _sign_up(client, "alias@example.com")

    assert not User.objects.filter(email__iexact="alias@example.com").exists()
    assert "/accounts/password/reset/" in mailoutbox[0].body
