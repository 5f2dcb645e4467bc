"""What the API promises beyond tenancy: the web's rules and errors, pages, filters,
Idempotency-Key, rate limits."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from reformer.billing.models import ClientPackage
from reformer.bookings.integrity import check_integrity
from reformer.bookings.models import Booking, WaitlistEntry
from tests.bookings.helpers import give_package, make_client
from tests.factories import make_session


def days(n: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=n)


def test_a_client_books_and_cancels_with_the_web_rules(world, api_as):
    give_package(world.a.client, credits=5)
    session = make_session(world.a, starts_at=days(3))
    api = api_as("a", "client")

    booked = api.post("/bookings", {"class_id": session.pk})
    assert booked.status_code == 201
    body = booked.json()
    assert body["class_id"] == session.pk and body["status"] == "confirmed"
    assert ClientPackage.objects.get(client=world.a.client).credits_remaining == 4

    again = api.post("/bookings", {"class_id": session.pk})
    assert again.status_code == 409  # a conflict with the class's state, as on the web
    assert again["Content-Type"] == "application/problem+json"
    assert again.json()["code"] == "booking.already_booked"
    assert again.json()["detail"] == "You have already booked this class."

    cancelled = api.post(f"/bookings/{body['id']}/cancel", {"reason": "Sick"})
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["credit_returned"] is True
    assert ClientPackage.objects.get(client=world.a.client).credits_remaining == 5
    assert check_integrity().ok


def test_a_full_class_answers_class_full_and_the_client_can_wait(world, api_as):
    session = make_session(world.a, starts_at=days(3), capacity=1)
    filler = make_client(world.a, "Filler")
    give_package(filler)
    give_package(world.a.client)
    desk = api_as("a", "front_desk")
    assert (
        desk.post("/bookings", {"class_id": session.pk, "client_id": filler.pk}).status_code == 201
    )

    client = api_as("a", "client")
    full = client.post("/bookings", {"class_id": session.pk})
    assert full.status_code == 409
    assert full.json()["code"] == "booking.class_full"

    joined = client.post("/waitlist", {"class_id": session.pk})
    assert joined.status_code == 201
    assert joined.json()["position"] == 1
    listed = client.get("/waitlist", {"class": session.pk}).json()["data"]
    assert [(e["id"], e["position"]) for e in listed] == [(joined.json()["id"], 1)]
    left = client.post(f"/waitlist/{joined.json()['id']}/leave")
    assert left.status_code == 200 and left.json()["status"] == "removed"
    assert left.json()["position"] == 0


def test_staff_must_name_the_client_and_the_error_names_the_field(world, api_as):
    session = make_session(world.a, starts_at=days(3))
    response = api_as("a", "front_desk").post("/bookings", {"class_id": session.pk})
    assert response.status_code == 422
    assert response.json()["code"] == "validation"
    assert response.json()["errors"] == [
        {"field": "client", "message": "Choose the client to book for."}
    ]


def test_bad_input_is_a_problem_document_and_changes_nothing(world, api_as):
    api = api_as("a", "owner")
    before = Booking.objects.count()
    for body in ({}, {"class_id": "seven"}, {"class_id": -1}, {"class_id": 1, "spot_id": 0}):
        response = api.post("/bookings", body)
        assert response.status_code == 422, body
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["errors"]
    raw = api.client.post(
        "/api/v1/bookings",
        "{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.key}"},
    )
    assert raw.status_code in (400, 422)
    assert raw["Content-Type"] == "application/problem+json"
    assert api.get("/classes", {"from": "yesterday"}).status_code == 422
    assert api.get("/classes", {"studio_id": 3}).json()["errors"][0]["field"] == "studio_id"
    assert api.get("/classes", {"cursor": "garbage!"}).json()["code"] == "validation"
    assert api.get("/bookings/999999999").status_code == 404
    assert Booking.objects.count() == before


def test_instructors_mark_attendance_of_their_class(world, api_as, time_machine):
    give_package(world.a.client)
    starts = days(1)
    session = make_session(world.a, starts_at=starts)
    booking = api_as("a", "client").post("/bookings", {"class_id": session.pk}).json()
    time_machine.move_to(starts + dt.timedelta(minutes=5))
    instructor = api_as("a", "instructor")
    marked = instructor.post(f"/bookings/{booking['id']}/attendance", {"status": "attended"})
    assert marked.status_code == 200, marked.content
    assert marked.json()["status"] == "attended"
    roster = instructor.get(f"/classes/{session.pk}/attendance").json()["data"]
    assert [(r["id"], r["status"]) for r in roster] == [(booking["id"], "attended")]
    undone = instructor.post(f"/bookings/{booking['id']}/attendance", {"status": "undo"})
    assert undone.json()["status"] == "confirmed"
    client = api_as("a", "client")
    refused = client.post(f"/bookings/{booking['id']}/attendance", {"status": "attended"})
    assert refused.status_code == 403


def test_pages_follow_the_cursor_without_gaps_or_repeats(world, api_as):
    sessions = [make_session(world.a, starts_at=days(1 + i * 0.1)) for i in range(7)]
    api = api_as("a", "owner")
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        body = api.get("/classes", params).json()
        seen += [row["id"] for row in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [s.pk for s in sessions]
    assert pages == 3


def test_filters_by_date_and_studio(world, api_as):
    main = make_session(world.a, starts_at=days(1))
    annex_room = world.a.other_studio.rooms.create(
        organization=world.a.organization, name="Annex Room", capacity=8
    )
    annex = make_session(world.a, starts_at=days(2), room=annex_room, instructor=None)
    later = make_session(world.a, starts_at=days(9))
    api = api_as("a", "owner")

    def ids(params):
        return [row["id"] for row in api.get("/classes", params).json()["data"]]

    assert ids({}) == [main.pk, annex.pk, later.pk]
    assert ids({"studio": world.a.other_studio.pk}) == [annex.pk]
    assert ids({"from": days(1.5).isoformat(), "to": days(5).isoformat()}) == [annex.pk]
    assert ids({"from": days(8).date().isoformat()}) == [later.pk]


def test_an_idempotency_key_replays_the_first_answer(world, api_as):
    give_package(world.a.client, credits=5)
    session = make_session(world.a, starts_at=days(3))
    other = make_session(world.a, starts_at=days(4))
    api = api_as("a", "client")
    headers = {"Idempotency-Key": "order-42"}

    first = api.post("/bookings", {"class_id": session.pk}, headers=headers)
    second = api.post("/bookings", {"class_id": session.pk}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Booking.objects.filter(client=world.a.client).count() == 1
    assert ClientPackage.objects.get(client=world.a.client).credits_remaining == 4

    reused = api.post("/bookings", {"class_id": other.pk}, headers=headers)
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency.key_reused"
    assert Booking.objects.filter(client=world.a.client).count() == 1

    # A refusal is an answer too: repeating it gives the same refusal, not a new attempt.
    refused = api.post("/bookings", {"class_id": session.pk}, headers={"Idempotency-Key": "x"})
    assert refused.json()["code"] == "booking.already_booked"
    replay = api.post("/bookings", {"class_id": session.pk}, headers={"Idempotency-Key": "x"})
    assert replay.json() == refused.json() and replay["Idempotent-Replayed"] == "true"


def test_keys_are_rate_limited_per_minute_with_retry_after(world, api_as, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, 15, tzinfo=dt.UTC), tick=False)
    limited = api_as("a", "owner", rate_limit_per_minute=3)
    other = api_as("a", "manager", rate_limit_per_minute=3)
    assert [limited.get("/studios").status_code for _ in range(3)] == [200, 200, 200]
    refused = limited.get("/studios")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "45"
    assert refused.json()["code"] == "rate_limited"
    assert other.get("/studios").status_code == 200  # per key, not per organization
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 1, 0, tzinfo=dt.UTC), tick=False)
    assert limited.get("/studios").status_code == 200


def test_payments_carry_every_field_of_the_record(world, api_as):
    from decimal import Decimal

    from reformer.billing.models import Payment

    Payment.objects.create(
        organization=world.a.organization,
        client=world.a.client,
        amount=Decimal("25.50"),
        provider_id="pi_1",
        status="succeeded",
        created_at=timezone.now(),
    )
    row = api_as("a", "owner").get("/payments").json()["data"][0]
    model_fields = {f.name for f in Payment._meta.concrete_fields}
    assert model_fields <= set(row)
    assert row["amount"] in ("25.50", 25.5)


@pytest.mark.parametrize("role", ["owner", "client"])
def test_the_openapi_document_is_3_1_and_served(world, api_client, role):
    document = api_client.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    booking = document["paths"]["/api/v1/bookings"]["post"]
    assert "application/problem+json" in booking["responses"]["422"]["content"]
    assert any(p["name"] == "Idempotency-Key" for p in booking["parameters"])
    docs = api_client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"<script>" not in docs.content  # only external scripts (CSP)


def test_waitlist_rows_for_staff(world, api_as):
    session = make_session(world.a, starts_at=days(3), capacity=1)
    filler = make_client(world.a, "Filler")
    give_package(filler)
    give_package(world.a.client)
    api_as("a", "front_desk").post("/bookings", {"class_id": session.pk, "client_id": filler.pk})
    api_as("a", "front_desk").post(
        "/waitlist", {"class_id": session.pk, "client_id": world.a.client.pk}
    )
    rows = api_as("a", "manager").get("/waitlist", {"status": "waiting"}).json()["data"]
    assert [r["client_id"] for r in rows] == [world.a.client.pk]
    assert WaitlistEntry.objects.count() == 1
