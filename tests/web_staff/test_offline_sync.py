"""PHX-26: attendance marks made offline, sent when the device reconnects: applied in the
order made, each once (a repeated key answers with the stored outcome), a booking
cancelled meanwhile is a conflict the person is shown; bad input is a clear 400."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from reformer.bookings.actions import MarkRequest, apply_offline_marks
from reformer.bookings.models import Booking, OfflineMark
from tests.factories import make_session
from tests.web_staff.conftest import add_booking, make_client

pytestmark = pytest.mark.django_db

URL = "/staff/attendance/sync/"


@pytest.fixture
def class_now(world):
    session = make_session(world.a, starts_at=timezone.now() - dt.timedelta(minutes=5))
    ada = add_booking(session, make_client(world.a, "Ada Lovelace"))
    grace = add_booking(session, make_client(world.a, "Grace Hopper"))
    return session, ada, grace


def _post(client, marks):
    return client.post(URL, data=json.dumps({"marks": marks}), content_type="application/json")


def test_marks_are_applied_in_order_and_once(client, world, class_now):
    _, ada, grace = class_now
    client.force_login(world.a.front_desk.user)
    marks = [
        {"key": "k1", "booking": ada.pk, "status": "attended"},
        {"key": "k2", "booking": grace.pk, "status": "no_show"},
        # Changed their mind while offline: the later mark wins.
        {"key": "k3", "booking": ada.pk, "status": "late"},
    ]
    first = _post(client, marks).json()["results"]
    assert [r["outcome"] for r in first] == ["applied", "applied", "applied"]
    assert first[0]["message"] == "Ada Lovelace marked attended."
    ada.refresh_from_db()
    grace.refresh_from_db()
    assert (ada.status, ada.is_late) == ("attended", True)
    assert grace.status == "no_show"

    again = _post(client, marks).json()["results"]
    assert [r["repeated"] for r in again] == [True, True, True]
    assert [r["outcome"] for r in again] == ["applied", "applied", "applied"]
    assert OfflineMark.objects.count() == 3
    ada.refresh_from_db()
    assert (ada.status, ada.is_late) == ("attended", True)


def test_a_booking_cancelled_meanwhile_is_a_conflict(client, world, class_now):
    _, ada, _ = class_now
    Booking.objects.filter(pk=ada.pk).update(status="cancelled")
    client.force_login(world.a.front_desk.user)
    result = _post(client, [{"key": "k1", "booking": ada.pk, "status": "attended"}]).json()
    assert result["results"][0]["outcome"] == "conflict"
    assert "Ada Lovelace" in result["results"][0]["message"]
    assert "cancelled" in result["results"][0]["message"]
    ada.refresh_from_db()
    assert ada.status == "cancelled"


def test_another_organizations_booking_is_refused_and_unchanged(client, world):
    session = make_session(world.b, starts_at=timezone.now() - dt.timedelta(minutes=5))
    theirs = add_booking(session, make_client(world.b, "Beta Client"))
    client.force_login(world.a.front_desk.user)
    result = _post(client, [{"key": "k1", "booking": theirs.pk, "status": "attended"}]).json()
    assert result["results"][0]["outcome"] == "refused"
    assert result["results"][0]["message"] == "This booking is not yours to mark."
    theirs.refresh_from_db()
    assert theirs.status == "confirmed"
    assert not OfflineMark.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps({"marks": "x"}),
        json.dumps({"marks": [{"key": "k", "booking": "abc", "status": "attended"}]}),
        json.dumps({"marks": [{"key": "k", "booking": 1, "status": "cancelled"}]}),
        json.dumps({"marks": [{"key": "", "booking": 1, "status": "attended"}]}),
    ],
)
def test_bad_input_is_a_clear_error_and_changes_nothing(client, world, class_now, body):
    client.force_login(world.a.front_desk.user)
    response = client.post(URL, data=body, content_type="application/json")
    assert response.status_code in (400, 422)
    assert response.json()["error"]
    assert not OfflineMark.objects.exists()


def test_clients_cannot_send_marks(client, world, class_now):
    _, ada, _ = class_now
    client.force_login(world.a.client.user)
    response = _post(client, [{"key": "k1", "booking": ada.pk, "status": "attended"}])
    assert response.status_code in (403, 404)
    ada.refresh_from_db()
    assert ada.status == "confirmed"


@pytest.mark.django_db(transaction=True)
def test_the_same_mark_sent_twice_at_once_is_applied_once(world, class_now):
    from tests.concurrency.conftest import race

    _, ada, _ = class_now
    desk = world.a.front_desk
    mark = [MarkRequest(key="same", booking_id=ada.pk, status="attended")]
    outcomes = race([lambda: apply_offline_marks(desk, mark) for _ in range(4)])
    assert all(o.error is None for o in outcomes), outcomes
    results = [o.value[0] for o in outcomes]
    assert sorted(r.repeated for r in results) == [False, True, True, True]
    assert OfflineMark.objects.get().outcome == "applied"
    from reformer.core.models import AuditEvent as Audit

    assert Audit.objects.filter(code="bookings.booking.attended").count() == 1
