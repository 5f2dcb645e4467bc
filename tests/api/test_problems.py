"""Every answer under /api/ is JSON: unknown paths, wrong methods and oversized bodies are
problem documents too, not Django's HTML pages. And the small API promises around bookings:
an empty cancel body, the source "api", staff-worded refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from reformer.bookings.models import Booking
from tests.bookings.helpers import give_package
from tests.factories import make_session

PROBLEM = "application/problem+json"


def days(n: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=n)


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/bookings/1/nope", "/api/nope"])
def test_an_unknown_api_path_is_a_404_problem(world, api_as, path):
    api = api_as("a", "owner")
    response = api.client.get(path, headers={"Authorization": f"Bearer {api.key}"})
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "not_found"
    assert "/api/v1/docs" in response.json()["detail"]


@pytest.mark.parametrize("method", ["delete", "patch", "put"])
def test_a_wrong_method_is_a_405_problem_with_allow(world, api_as, method):
    api = api_as("a", "owner")
    response = getattr(api.client, method)(
        "/api/v1/bookings", headers={"Authorization": f"Bearer {api.key}"}
    )
    assert response.status_code == 405
    assert response["Content-Type"] == PROBLEM
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    body = response.json()
    assert body["code"] == "method_not_allowed"
    assert method.upper() in body["detail"] and "GET" in body["detail"]


def test_a_too_large_body_is_a_413_problem_and_books_nothing(world, api_as):
    session = make_session(world.a, starts_at=days(3))
    api = api_as("a", "client")
    padding = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = api.client.post(
        "/api/v1/bookings",
        f'{{"class_id": {session.pk}, "pad": "{padding}"}}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.key}"},
    )
    assert response.status_code == 413
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "request_too_large"
    assert "MB" in response.json()["detail"]
    assert not Booking.objects.filter(session=session).exists()


def test_cancel_takes_an_empty_body(world, api_as):
    give_package(world.a.client, credits=2)
    session = make_session(world.a, starts_at=days(3))
    api = api_as("a", "client")
    auth = {"Authorization": f"Bearer {api.key}"}
    for content_type in ("", "application/json"):  # curl -X POST; a client sending no JSON
        booking = api.post("/bookings", {"class_id": session.pk}).json()
        response = api.client.generic(
            "POST",
            f"/api/v1/bookings/{booking['id']}/cancel",
            b"",
            content_type=content_type,
            headers=auth,
        )
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "cancelled"
        assert response.json()["credit_returned"] is True


def test_api_bookings_are_recorded_with_source_api(world, api_as):
    give_package(world.a.client, credits=2)
    session = make_session(world.a, starts_at=days(3))
    mine = api_as("a", "client").post("/bookings", {"class_id": session.pk}).json()
    assert Booking.objects.get(pk=mine["id"]).source == Booking.Source.API


def test_staff_booking_a_booked_client_is_told_the_client_is_booked(world, api_as):
    give_package(world.a.client, credits=2)
    session = make_session(world.a, starts_at=days(3))
    client = world.a.client
    api_as("a", "client").post("/bookings", {"class_id": session.pk})
    again = api_as("a", "owner").post("/bookings", {"class_id": session.pk, "client_id": client.pk})
    assert again.status_code == 409
    assert again.json()["code"] == "booking.already_booked"
    assert again.json()["detail"] == f"{client.name} is already booked in this class."


def test_refusals_write_times_as_the_key_organization_does(world, api_as, time_machine):
    world.a.organization.locale = ""  # automatic: a New York organization writes US times
    world.a.organization.save(update_fields=["locale"])
    give_package(world.a.client)
    session = make_session(world.a, starts_at=days(2))
    booking = api_as("a", "client").post("/bookings", {"class_id": session.pk}).json()
    time_machine.move_to(session.starts_at - dt.timedelta(hours=5))
    refused = api_as("a", "owner").post(
        f"/bookings/{booking['id']}/attendance", {"status": "attended"}
    )
    assert refused.json()["code"] == "attendance.too_early"
    assert refused.json()["detail"].endswith(("AM EST.", "PM EST.", "AM EDT.", "PM EDT."))
