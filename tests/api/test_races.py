"""The engine's booking races, repeated through the API on real threads (own connections).

Each racer is a separate HTTP request with its own key; PostgreSQL decides. Afterwards the
invariant checker (tests/concurrency/conftest.py) confirms counts and ledgers.
"""

from __future__ import annotations

import pytest
from django.test import Client

from reformer.billing.models import ClientPackage, CreditLedger
from reformer.bookings.models import Booking
from reformer.scheduling.models import ClassSession
from tests.api.conftest import Api
from tests.bookings import helpers
from tests.concurrency.conftest import race
from tests.factories import make_session

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tenant(world):
    return world.a


@pytest.fixture(autouse=True)
def invariants_hold_afterwards():
    yield
    helpers.assert_consistent()


def client_keys(tenant, n: int, *, credits: int = 10) -> list[tuple[object, str]]:
    from reformer.api.keys import create_api_key

    made = []
    for i in range(n):
        client = helpers.make_client(tenant, f"Racer{i}")
        helpers.give_package(client, credits=credits)
        key = create_api_key(
            tenant.owner, name=f"racer {i}", scopes=["bookings:write"], acts_as=client
        ).secret
        made.append((client, key))
    return made


def book_over_http(key: str, session_id: int, headers: dict | None = None):
    response = Api(Client(), key).post("/bookings", {"class_id": session_id}, headers=headers)
    return response.status_code, response.json()


def test_32_clients_race_for_the_last_place_through_the_api(tenant, clean_job_tables):
    session = make_session(tenant, capacity=2)
    early = client_keys(tenant, 1)[0]
    assert book_over_http(early[1], session.pk)[0] == 201
    racers = client_keys(tenant, 32)

    outcomes = race([lambda k=k: book_over_http(k, session.pk) for _, k in racers])

    answers = [o.value for o in outcomes]
    assert all(o.error is None for o in outcomes), [o.error for o in outcomes]
    assert sum(status == 201 for status, _ in answers) == 1
    refusals = {(status, body["code"]) for status, body in answers if status != 201}
    assert refusals == {(409, "booking.class_full")}
    assert ClassSession.objects.get(pk=session.pk).booked_count == 2
    assert Booking.objects.filter(session=session).count() == 2


def test_the_same_request_20_times_with_one_idempotency_key_books_once(tenant, clean_job_tables):
    session = make_session(tenant, capacity=5)
    client, key = client_keys(tenant, 1)[0]
    headers = {"Idempotency-Key": "tap-tap-tap"}

    outcomes = race([lambda: book_over_http(key, session.pk, headers)] * 20)

    answers = [o.value for o in outcomes]
    assert all(o.error is None for o in outcomes), [o.error for o in outcomes]
    created = [body for status, body in answers if status == 201]
    # Every repeat waited for the first and replayed its answer (or, past the lock wait,
    # was told the first is still in progress): one booking, one credit.
    assert len({body["id"] for body in created}) == 1
    assert {status for status, _ in answers} <= {201, 409}
    assert Booking.objects.filter(session=session, client=client).count() == 1
    assert ClientPackage.objects.get(client=client).credits_remaining == 9
    assert CreditLedger.objects.filter(client_package__client=client).count() == 1


def test_one_credit_books_only_one_of_two_classes_through_the_api(tenant, clean_job_tables):
    first = make_session(tenant)
    second = make_session(tenant)
    client, key = client_keys(tenant, 1, credits=1)[0]

    outcomes = race([lambda: book_over_http(key, first.pk), lambda: book_over_http(key, second.pk)])

    statuses = sorted(o.value[0] for o in outcomes)
    assert statuses == [201, 402]
    assert [o.value[1]["code"] for o in outcomes if o.value[0] == 402] == [
        "booking.insufficient_credits"
    ]
    assert ClientPackage.objects.get(client=client).credits_remaining == 0
