"""Appointments through the API: types and slots, booking and cancelling through the same
actions as the web, who sees which appointments and places, problem+json errors."""

from __future__ import annotations

import pytest

from reformer.appointments.models import Appointment, Attendee
from reformer.billing.models import ClientPackage
from tests.appointments import helpers as ah
from tests.bookings.helpers import give_package, make_client


@pytest.fixture
def private(world):
    kind, _room, _spots = ah.setup_privates(world.a, capacity=2, name="Duet 55")
    return kind


def _book_body(world, kind, hour=10, **extra):
    return {
        "appointment_type_id": kind.pk,
        "studio_id": world.a.studio.pk,
        "instructor_id": world.a.instructor.pk,
        "starts_at": ah.at(world.a, hour=hour).isoformat(),
        **extra,
    }


def test_a_client_finds_a_slot_books_and_cancels_with_the_web_rules(world, api_as, private):
    give_package(world.a.client, credits=5)
    api = api_as("a", "client")
    (listed,) = api.get("/appointment-types").json()["data"]
    assert (listed["name"], listed["capacity"], listed["instructor_ids"]) == (
        "Duet 55",
        2,
        [world.a.instructor.pk],
    )
    slots = api.get(
        f"/appointment-types/{private.pk}/slots",
        {"studio": world.a.studio.pk, "day": ah.local_day(world.a).isoformat(), "days": 1},
    ).json()["data"]
    assert slots[0]["starts_at"].startswith(ah.at(world.a, hour=8).strftime("%Y-%m-%dT%H:%M"))
    assert slots[0]["instructor_id"] == world.a.instructor.pk

    booked = api.post("/appointments", _book_body(world, private))
    assert booked.status_code == 201, booked.json()
    body = booked.json()
    assert body["status"] == "scheduled" and body["booked_count"] == 1
    (place,) = body["places"]
    assert place["client_id"] == world.a.client.pk and place["credits_spent"] == 1
    assert ClientPackage.objects.get(client=world.a.client).credits_remaining == 4

    again = api.post("/appointments", _book_body(world, private))
    assert again.status_code == 409
    assert again["Content-Type"] == "application/problem+json"
    assert again.json()["code"] == "appointment.slot_taken"

    cancelled = api.post(f"/appointments/{body['id']}/cancel", {})
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["places"][0]["status"] == "cancelled"
    assert cancelled.json()["places"][0]["credit_returned"] is True
    assert ClientPackage.objects.get(client=world.a.client).credits_remaining == 5


def test_who_sees_which_appointments_and_places(world, api_as, private):
    give_package(world.a.client, credits=5)
    guest = make_client(world.a, "Guest")
    give_package(guest, credits=5)
    desk = api_as("a", "front_desk")
    booked = desk.post("/appointments", _book_body(world, private, client_id=world.a.client.pk))
    assert booked.status_code == 201, booked.json()
    appointment = Appointment.objects.get(pk=booked.json()["id"])
    from reformer.appointments import actions

    actions.invite_to_appointment(world.a.front_desk, appointment, guest)

    owner = api_as("a", "owner").get("/appointments").json()["data"]
    assert [len(a["places"]) for a in owner] == [2]
    mine = api_as("a", "client").get("/appointments").json()["data"]
    assert [[p["client_id"] for p in a["places"]] for a in mine] == [[world.a.client.pk]]
    taught = api_as("a", "instructor").get("/appointments", {"status": "scheduled"}).json()
    assert [a["id"] for a in taught["data"]] == [appointment.pk]
    assert api_as("b", "owner").get("/appointments").json()["data"] == []
    assert api_as("b", "owner").get(f"/appointments/{appointment.pk}").status_code == 404
    assert api_as("b", "client").post(f"/appointments/{appointment.pk}/cancel", {}).status_code == (
        404
    )
    # Staff cancel one client's place: the other keeps the appointment.
    cancelled = desk.post(f"/appointments/{appointment.pk}/cancel", {"client_id": guest.pk})
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "scheduled" and cancelled.json()["booked_count"] == 1


def test_scopes_narrow_the_key(world, api_as, private):
    give_package(world.a.client, credits=5)
    read_only = api_as("a", "client", scopes=["bookings:read", "schedule:read"])
    refused = read_only.post("/appointments", _book_body(world, private))
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    no_schedule = api_as("a", "client", scopes=["bookings:read"])
    assert no_schedule.get("/appointment-types").status_code == 403
    assert not Attendee.objects.exists()


def test_bad_input_is_a_problem_document_and_changes_nothing(world, api_as, private):
    give_package(world.a.client, credits=5)
    api = api_as("a", "client")
    bodies = [
        {},
        {**_book_body(world, private), "starts_at": "tomorrow"},
        {**_book_body(world, private), "instructor_id": 0},
        _book_body(world, private, hour=7),  # outside the instructor's hours
        {**_book_body(world, private), "starts_at": "2001-01-01T10:00:00Z"},  # the past
        {**_book_body(world, private), "appointment_type_id": 2**40},
    ]
    for body in bodies:
        response = api.post("/appointments", body)
        assert response.status_code in (404, 422), (body, response.json())
        assert response["Content-Type"] == "application/problem+json"
    hours = api.post("/appointments", _book_body(world, private, hour=7))
    assert hours.json()["code"] == "appointment.outside_hours"
    assert api.get("/appointments", {"studio_id": 1}).status_code == 422
    slots = f"/appointment-types/{private.pk}/slots"
    assert api.get(slots).status_code == 422  # the studio is required
    assert api.get(slots, {"studio": world.a.studio.pk, "days": 99}).status_code == 422
    assert api.get(slots, {"studio": world.b.studio.pk}).status_code == 404
    assert not Attendee.objects.exists() and not Appointment.objects.exists()
