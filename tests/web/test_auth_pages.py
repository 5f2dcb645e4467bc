"""allauth in our layout: sign up with a name, verification email, sign in, reset, sign out."""

from __future__ import annotations

import re

from django.urls import reverse

from reformer.accounts.models import User
from tests import factories


def test_it_renders_the_auth_pages_in_the_site_layout(db, client):
    for name in ("account_login", "account_signup", "account_reset_password"):
        html = client.get(reverse(name)).content.decode()
        assert 'class="site-header"' in html, name
        assert 'class="card auth-card"' in html, name
        assert '<label for="id_' in html, name  # every field has a visible label


def test_it_asks_for_the_name_first_on_sign_up(db, client):
    html = client.get(reverse("account_signup")).content.decode()
    assert (
        html.index('id="id_name"') < html.index('id="id_email"') < html.index('id="id_password1"')
    )


def test_it_signs_up_with_a_name_and_sends_a_verification_email(db, client, mailoutbox):
    response = client.post(
        reverse("account_signup"),
        {
            "name": "Zoë Client",
            "email": "Zoe@Example.com",
            "password1": "stretchy-spring-77",
            "password2": "stretchy-spring-77",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email__iexact="zoe@example.com")
    assert user.name == "Zoë Client"
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject.startswith("[Reformer]")
    assert re.search(r"/accounts/confirm-email/\S+/", mailoutbox[0].body)
    # Signed as the product, not the host ("Hello from testserver!").
    assert mailoutbox[0].body.startswith("Hello from Reformer!")
    assert "Thank you for using Reformer!" in mailoutbox[0].body


def test_it_shows_field_errors_next_to_the_fields(db, client):
    response = client.post(reverse("account_signup"), {"name": "", "email": "nope"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_email_error"' in html
    assert 'aria-describedby="id_email_error"' in html or "id_email_error" in html


def test_it_signs_in_by_email_and_out_by_post_only(db, client):
    factories.UserFactory(email="member@example.com")
    response = client.post(
        reverse("account_login"), {"login": "MEMBER@example.com", "password": "correct-horse-42"}
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    client.get(reverse("account_logout"))  # GET shows a confirmation, does not sign out
    assert "_auth_user_id" in client.session
    response = client.post(reverse("account_logout"))
    assert response["Location"] == "/"
    assert "_auth_user_id" not in client.session


def test_it_emails_a_password_reset_link(db, client, mailoutbox):
    factories.UserFactory(email="forgetful@example.com")
    response = client.post(reverse("account_reset_password"), {"email": "forgetful@example.com"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "/accounts/password/reset/key/" in mailoutbox[0].body


def test_it_shows_the_account_menu_with_a_sign_out_form(world, client):
    client.force_login(world.a.client.user)
    html = client.get("/o/alpha/").content.decode()
    assert f'action="{reverse("account_logout")}"' in html
    assert reverse("account_change_password") in html


def test_sign_up_and_change_password_refuse_a_password_over_128_characters(db, client):
    huge = "Long-pass-1" + "x" * 100_000
    signup = client.post(
        reverse("account_signup"),
        {"name": "Long", "email": "long@example.com", "password1": huge, "password2": huge},
    )
    assert signup.status_code == 200
    assert "at most 128 characters" in signup.content.decode()
    assert not User.objects.filter(email="long@example.com").exists()

    user = factories.UserFactory()
    client.force_login(user)
    change = client.post(
        reverse("account_change_password"),
        {"oldpassword": "correct-horse-42", "password1": huge, "password2": huge},
    )
    assert change.status_code == 200
    assert "at most 128 characters" in change.content.decode()
    user.refresh_from_db()
    assert user.check_password("correct-horse-42")
