"""Hostile numbers in query strings and forms answer 4xx (never 500) and change nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reformer.billing.models import PackageProduct
from reformer.core.errors import DomainError
from reformer.core.parsing import require_int, to_id, to_int, to_key
from reformer.web.consumers import parse_subscriptions
from tests.scheduling.helpers import snapshot
from tests.web_client.helpers import package_for, session_at

SUPERSCRIPTS = ["²", "¹²", "٣", "\uff11\uff12"]  # isdigit() is True for all of them; int() is not
HUGE = ["2147483648", "9223372036854775808", "1" * 40]  # past int32, past bigint
NOT_IDS = HUGE[1:]


@pytest.mark.parametrize("raw", [*SUPERSCRIPTS, *NOT_IDS, "", " ", "-1", "0", "1e3", "+1", "1.0"])
def test_to_id_refuses_what_is_not_a_key(raw):
    assert to_id(raw) is None


def test_to_int_keeps_bounds_and_accepts_plain_numbers():
    assert to_id(" 42 ") == 42
    assert to_int("-3", minimum=-5, maximum=5) == -3
    assert to_int("6", minimum=-5, maximum=5) is None
    assert to_int(True, minimum=0, maximum=5) is None
    with pytest.raises(DomainError, match="whole number"):
        require_int("²", field="n", label="Credits")
    with pytest.raises(DomainError, match="between 1 and 9"):
        require_int("10", field="n", label="Credits", minimum=1, maximum=9)


@pytest.mark.parametrize("raw", [*SUPERSCRIPTS, *HUGE])
def test_booking_with_a_hostile_spot_is_refused_and_changes_nothing(world, client, raw):
    session = session_at(world.a)
    package_for(world.a.client)
    client.force_login(world.a.client.user)
    before = snapshot()
    response = client.post(reverse("client:book", args=[session.pk]), {"spot": raw})
    # A number no spot can have is malformed (422); a well-formed unknown key is not found.
    assert response.status_code == (404 if raw == "2147483648" else 422)
    assert snapshot() == before


@pytest.mark.parametrize("raw", [*SUPERSCRIPTS, *HUGE])
def test_the_spot_map_ignores_a_hostile_spot(world, client, raw):
    session = session_at(world.a)
    client.force_login(world.a.client.user)
    response = client.get(reverse("client:spot_map", args=[session.pk]), {"spot": raw})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "name",
    ["owner:dashboard", "owner:metrics", "owner:chart", "owner:schedule", "owner:export_csv"],
)
@pytest.mark.parametrize("raw", ["²", "9223372036854775808"])
def test_owner_filters_refuse_a_hostile_studio(world, client, name, raw):
    client.force_login(world.a.owner.user)
    response = client.get(reverse(name), {"studio": raw, "attempt": "¹²"})
    assert response.status_code == 404


@pytest.mark.parametrize("raw", [*SUPERSCRIPTS, *NOT_IDS])
def test_websocket_subscriptions_drop_hostile_ids(raw):
    requested = parse_subscriptions(f"studio={raw}&session={raw}")
    assert requested.studio_ids == set()
    assert requested.session_ids == set()
    assert len(requested.invalid) == 2


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        ("credits", "2147483648"),
        ("validity_days", "2147483648"),
        ("weekly_limit", "2147483648"),
        ("credits", "²"),
        ("validity_days", "99999"),
    ],
)
def test_package_numbers_beyond_bounds_are_refused(world, client, field, raw):
    client.force_login(world.a.owner.user)
    data = {
        "name": "Ten pack",
        "kind": "class_pack",
        "credits": "10",
        "validity_days": "90",
        "price": "120.00",
        "currency": "USD",
        "weekly_limit": "",
        field: raw,
    }
    before = snapshot()
    response = client.post(reverse("staff:products"), data)
    assert response.status_code == 422
    assert snapshot() == before
    assert not PackageProduct.objects.filter(name="Ten pack").exists()


def test_product_action_bounds_hold_without_the_form(world):
    from reformer.billing.products import create_package_product

    with pytest.raises(DomainError):
        create_package_product(
            world.a.owner,
            name="Huge",
            kind="class_pack",
            credits=2**31,
            validity_days=30,
            price="10",
            currency="USD",
            weekly_limit=None,
            description="",
        )


# A NUL in a URL's token, slug or reference: no row can hold one (PostgreSQL text refuses
# it, an error rather than "no such row"), so each lookup answers "not found" first.
NUL_PATHS = [
    ("post", "/webhooks/stripe/%00/", "owner"),
    ("post", "/webhooks/stripe/abc%00def/", "owner"),
    ("get", "/calendar/feed/%00.ics", "owner"),
    ("get", "/calendar/feed/abc%00.ics", "owner"),
    ("get", "/integrations/export/%00/download/", "owner"),
    ("get", "/api/v1/public/%00/classes", "owner"),
    ("get", "/bookings/%00/", "client"),
    ("get", "/bookings/%00/calendar.ics", "client"),
    ("post", "/bookings/%00/cancel/", "client"),
    ("get", "/privates/booked/%00/calendar.ics", "client"),
    ("post", "/privates/booked/%00/cancel/", "client"),
    ("get", "/invitations/%00/", "client"),
    ("get", "/reports/link/%00/", "owner"),
]


@pytest.mark.parametrize(("method", "path", "role"), NUL_PATHS)
def test_a_nul_in_a_urls_token_or_reference_is_not_found(world, client, method, path, role):
    client.raise_request_exception = False
    client.force_login(getattr(world.a, role).user)
    response = getattr(client, method)(path)
    assert response.status_code == 404, (path, response.status_code)


@pytest.mark.parametrize("path", ["/reminders/cancel/%00/", "/me/email/confirm/%00/"])
def test_a_nul_in_a_signed_token_is_refused_like_any_bad_token(world, client, path):
    client.raise_request_exception = False
    client.force_login(world.a.client.user)
    assert client.get(path).status_code in (400, 410)


def test_to_key_refuses_what_no_row_can_hold():
    assert to_key("abc") == "abc"
    assert to_key("a\x00b") is None
    assert to_key("") is None
    assert to_key("x" * 65, max_length=64) is None
    assert to_key(None) is None
