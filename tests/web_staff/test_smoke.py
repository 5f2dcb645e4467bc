from __future__ import annotations

import pytest
from django.urls import reverse

from tests.web_staff.conftest import add_booking, add_waiting, make_client

pytestmark = pytest.mark.django_db


def test_it_renders_every_page_for_an_owner(world, session_a, login_as):
    client = login_as(world.a.owner)
    ada = make_client(world.a, "Ada Lovelace")
    add_booking(session_a, ada, spot=world.a.spots[0])
    add_waiting(session_a, make_client(world.a, "Bo Waiting"))
    urls = [
        reverse("staff:dashboard"),
        reverse("staff:organization"),
        reverse("staff:studios"),
        reverse("staff:studio", args=[world.a.studio.pk]),
        reverse("staff:room", args=[world.a.room.pk]),
        reverse("staff:class_types"),
        reverse("staff:class_type", args=[world.a.class_type.pk]),
        reverse("staff:products"),
        reverse("staff:schedule"),
        reverse("staff:session_create"),
        reverse("staff:templates"),
        reverse("staff:team"),
        reverse("staff:instructor_dashboard"),
        reverse("staff:instructor_dashboard") + "?view=past",
        reverse("staff:session_detail", args=[session_a.pk]),
        reverse("staff:session_cancel", args=[session_a.pk]),
        reverse("staff:checkin"),
        reverse("staff:session_book", args=[session_a.pk]) + "?q=ada",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
    response = client.get(
        reverse("staff:session_roster", args=[session_a.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Ada Lovelace" in response.content.decode()
