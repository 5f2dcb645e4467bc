"""Every endpoint for every role of both organizations, and callers without a valid key.

Keys act as a member: the answer is the web's (core.permissions). Another organization's
object is 404; its lists never hold a row of this organization.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from reformer.billing.models import Payment
from reformer.bookings import actions
from reformer.bookings.models import Booking
from tests.api.conftest import Api, key_for
from tests.bookings.helpers import give_package, make_client
from tests.conftest import ROLES
from tests.factories import make_session

DESK = {"owner", "manager", "front_desk"}
EVERYONE = set(ROLES)


@pytest.fixture
def made(world):
    """Tenant a's objects: a class taught by a's instructor with a's client booked, a full
    class with the client waiting, a package and a payment."""
    a = world.a
    package = give_package(a.client)
    session = make_session(a, starts_at=timezone.now() + dt.timedelta(days=2))
    booking = actions.book_session(a.client, session)
    full = make_session(a, starts_at=timezone.now() + dt.timedelta(days=3), capacity=1)
    filler = make_client(a, "Filler")
    give_package(filler)
    actions.book_session(filler, full)
    entry = actions.join_waitlist(a.client, full)
    payment = Payment.objects.create(
        organization=a.organization,
        client=a.client,
        client_package=package,
        amount=Decimal("120.00"),
        currency="USD",
        provider_id="pi_test_1",
        status=Payment.Status.SUCCEEDED,
        created_at=timezone.now(),
    )
    return {
        "studio": a.studio.pk,
        "session": session.pk,
        "client": a.client.pk,
        "package": package.pk,
        "booking": booking.pk,
        "entry": entry.pk,
        "payment": payment.pk,
    }


# (path template, roles of a that get 200; the others 403)
READS = [
    ("/studios", EVERYONE),
    ("/studios/{studio}", EVERYONE),
    ("/class-types", EVERYONE),
    ("/classes", EVERYONE),
    ("/classes/{session}", EVERYONE),
    ("/clients", DESK),
    ("/clients/{client}", DESK | {"client"}),
    ("/packages", DESK | {"client"}),
    ("/packages/{package}", DESK | {"client"}),
    ("/payments", {"owner", "client"}),
    ("/payments/{payment}", {"owner", "client"}),
    ("/bookings", EVERYONE),
    ("/bookings/{booking}", EVERYONE),
    ("/classes/{session}/attendance", DESK | {"instructor"}),
    ("/waitlist", EVERYONE),
]


def _ids(body) -> set[int]:
    return {row["id"] for row in body.get("data", [])}


@pytest.mark.parametrize(("template", "allowed"), READS, ids=[r[0] for r in READS])
def test_every_read_answers_each_role_as_the_web_does(world, made, api_client, template, allowed):
    path = template.format(**made)
    is_detail = "{" in template and not template.endswith("attendance")
    for role in ROLES:
        response = Api(api_client, key_for(world.a, role)).get(path)
        expected = 200 if role in allowed else 403
        assert response.status_code == expected, (role, response.content)
        if expected == 403:
            assert response["Content-Type"] == "application/problem+json"
            assert response.json()["code"] == "permission_denied"

    for role in ROLES:
        response = Api(api_client, key_for(world.b, role)).get(path)
        if is_detail or template.endswith("attendance"):
            assert response.status_code == 404, (role, response.content)
        else:
            assert response.status_code in (200, 403), (role, response.content)
            leaked = _ids(response.json()) & set(made.values())
            if response.status_code == 200 and leaked:
                kind = template.strip("/").split("/")[0]
                assert not _rows_of_a(world, kind, leaked), (role, template)


def _rows_of_a(world, kind: str, ids: set[int]) -> list:
    from reformer.accounts.models import Membership
    from reformer.billing.models import ClientPackage
    from reformer.bookings.models import WaitlistEntry
    from reformer.scheduling.models import ClassSession, ClassType
    from reformer.studios.models import Studio

    model = {
        "studios": Studio,
        "class-types": ClassType,
        "classes": ClassSession,
        "clients": Membership,
        "packages": ClientPackage,
        "payments": Payment,
        "bookings": Booking,
        "waitlist": WaitlistEntry,
    }[kind]
    return list(model.objects.filter(pk__in=ids, organization=world.a.organization))


def test_the_other_organization_sees_none_of_our_objects_by_id(world, made, api_client):
    api = Api(api_client, key_for(world.b, "owner"))
    for template, _ in READS:
        if "{" in template:
            response = api.get(template.format(**made))
            assert response.status_code == 404, template
            assert response.json()["code"] == "not_found"


def test_writes_on_another_organizations_objects_are_not_found(world, made, api_client):
    api = Api(api_client, key_for(world.b, "owner"))
    before = Booking.objects.count()
    assert (
        api.post(
            "/bookings", {"class_id": made["session"], "client_id": made["client"]}
        ).status_code
        == 404
    )
    assert api.post(f"/bookings/{made['booking']}/cancel", {}).status_code == 404
    assert (
        api.post(f"/bookings/{made['booking']}/attendance", {"status": "attended"}).status_code
        == 404
    )
    assert api.post(f"/waitlist/{made['entry']}/leave").status_code == 404
    assert api.post("/waitlist", {"class_id": made["session"]}).status_code == 404
    assert Booking.objects.count() == before
    assert Booking.objects.get(pk=made["booking"]).status == "confirmed"


def test_callers_without_a_valid_key_are_unauthorized(world, made, api_client):
    from reformer.api.keys import revoke_api_key
    from reformer.api.models import ApiKey

    key = key_for(world.a, "owner")
    assert Api(api_client, None).get("/classes").status_code == 401
    assert Api(api_client, "rk_nope_nope").get("/classes").status_code == 401
    assert (
        Api(api_client, key[:-1] + ("A" if key[-1] != "A" else "B")).get("/classes").status_code
        == 401
    )
    response = Api(api_client, "Basic abc").get("/classes")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["code"] == "unauthorized"

    api = Api(api_client, key)
    assert api.get("/classes").status_code == 200
    stored = ApiKey.objects.get(name="owner key")
    assert stored.last_used_at is not None
    revoke_api_key(world.a.owner, stored)
    assert api.get("/classes").status_code == 401


def test_a_key_whose_member_left_stops_working(world, made, api_client):
    api = Api(api_client, key_for(world.a, "front_desk"))
    assert api.get("/clients").status_code == 200
    world.a.front_desk.active = False
    world.a.front_desk.save(update_fields=["active"])
    assert api.get("/clients").status_code == 401


def test_scopes_narrow_what_the_member_may_do(world, made, api_client):
    api = Api(api_client, key_for(world.a, "owner", scopes=["schedule:read"]))
    assert api.get("/classes").status_code == 200
    response = api.get("/clients")
    assert response.status_code == 403
    assert "clients:read" in response.json()["detail"]
    assert (
        api.post(
            "/bookings", {"class_id": made["session"], "client_id": made["client"]}
        ).status_code
        == 403
    )


def test_the_public_schedule_needs_no_key(world, made, api_client):
    response = api_client.get(f"/api/v1/public/{world.a.organization.slug}/classes")
    assert response.status_code == 200
    assert made["session"] in _ids(response.json())
    assert api_client.get("/api/v1/public/no-such-studio/classes").status_code == 404
    other = api_client.get(f"/api/v1/public/{world.b.organization.slug}/classes").json()
    assert made["session"] not in _ids(other)


WRITERS = {"owner", "manager", "front_desk", "client"}


def test_every_role_books_and_cancels_as_in_the_web(world, api_client):
    give_package(world.a.client, credits=20)
    for role in ROLES:
        session = make_session(world.a)
        api = Api(api_client, key_for(world.a, role))
        body = {"class_id": session.pk} | (
            {} if role == "client" else {"client_id": world.a.client.pk}
        )
        booked = api.post("/bookings", body)
        if role not in WRITERS:
            assert booked.status_code == 403, role
            continue
        assert booked.status_code == 201, (role, booked.content)
        cancelled = api.post(f"/bookings/{booked.json()['id']}/cancel", {"reason": "Plans changed"})
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    refused = Api(api_client, key_for(world.b, "owner")).post(
        "/bookings", {"class_id": session.pk, "client_id": world.a.client.pk}
    )
    assert refused.status_code == 404
