"""Staff alerts where staff work: the panel on the staff home, check-in and the owner
dashboard, the alerts page, and resolving one."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from reformer.core import alerts
from reformer.core.models import AdminAlert, AuditEvent
from tests.factories import make_session

HTMX = {"HTTP_HX_REQUEST": "true"}


_hours = itertools.count(2)


def _alert(tenant, *, studio=None, code=alerts.NEEDS_INSTRUCTOR, data=None, message=None):
    starts_at = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(
        hours=next(_hours)
    )
    session = make_session(
        tenant, instructor=None, studio=studio or tenant.studio, starts_at=starts_at
    )
    return alerts.raise_alert(
        code,
        message or f"{session.class_type.name} needs an instructor: Sarah is away. Assign one.",
        organization_id=tenant.organization.pk,
        studio_id=session.studio_id,
        data=data or {"session": session.pk},
    )


def test_it_shows_open_alerts_with_the_way_to_act_on_the_staff_home(world, login_as):
    alert = _alert(world.a)
    page = login_as(world.a.owner).get(reverse("staff:dashboard")).content.decode()
    assert "Needs your attention" in page
    assert "Class needs an instructor" in page
    assert alert.message in page
    assert reverse("staff:session_detail", args=[alert.data["session"]]) in page
    assert "Assign an instructor" in page


@pytest.mark.parametrize(
    ("role", "url_name"), [("owner", "owner:dashboard"), ("front_desk", "staff:checkin")]
)
def test_it_shows_the_panel_where_each_role_works(world, login_as, role, url_name):
    _alert(world.a)
    page = login_as(world.a.members[role]).get(reverse(url_name)).content.decode()
    assert "Class needs an instructor" in page


def test_it_shows_nothing_when_nothing_needs_attention(world, login_as):
    page = login_as(world.a.owner).get(reverse("staff:dashboard")).content.decode()
    assert "Needs your attention" not in page
    empty = login_as(world.a.owner).get(reverse("staff:alerts")).content.decode()
    assert "Nothing needs your attention" in empty


def test_it_keeps_studio_scoped_staff_to_their_studios(world, login_as):
    mine = _alert(world.a)
    annex = _alert(world.a, studio=world.a.other_studio, message="Annex class needs someone.")
    page = login_as(world.a.manager).get(reverse("staff:alerts")).content.decode()
    assert mine.message in page and annex.message not in page
    response = login_as(world.a.manager).post(
        reverse("staff:alert_resolve", args=[annex.pk]), **HTMX
    )
    assert response.status_code == 403
    assert AdminAlert.objects.get(pk=annex.pk).resolved_at is None


def test_it_never_shows_or_resolves_another_organizations_alert(world, login_as):
    theirs = _alert(world.b, message="Beta's class needs someone.")
    page = login_as(world.a.owner).get(reverse("staff:alerts")).content.decode()
    assert theirs.message not in page
    response = login_as(world.a.owner).post(reverse("staff:alert_resolve", args=[theirs.pk]))
    assert response.status_code == 404
    assert AdminAlert.objects.get(pk=theirs.pk).resolved_at is None


def test_it_shows_installation_alerts_to_owners_only(world, login_as):
    system = alerts.raise_alert(
        "worker.stopped", "The job worker stopped.", organization_id=None, data={}
    )
    assert system.message in login_as(world.a.owner).get(reverse("staff:alerts")).content.decode()
    assert (
        system.message
        not in login_as(world.a.manager).get(reverse("staff:alerts")).content.decode()
    )


def test_it_resolves_an_alert_by_htmx_and_records_who(world, login_as):
    alert = _alert(world.a)
    client = login_as(world.a.front_desk)
    response = client.post(reverse("staff:alert_resolve", args=[alert.pk]), **HTMX)
    assert response.status_code == 200
    alert.refresh_from_db()
    assert alert.resolved_at is not None and alert.resolved_by == world.a.front_desk.user
    assert AuditEvent.objects.filter(code="core.alert.resolved", subject_id=alert.pk).exists()
    assert "Needs your attention" not in client.get(reverse("staff:checkin")).content.decode()
    again = client.post(reverse("staff:alert_resolve", args=[alert.pk]), **HTMX)
    assert again.status_code == 422
    assert "Someone already dealt with this alert" in again.content.decode()


def test_it_resolves_without_javascript_and_returns_to_the_list(world, login_as):
    alert = _alert(world.a)
    response = login_as(world.a.owner).post(reverse("staff:alert_resolve", args=[alert.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("staff:alerts")


def test_it_refuses_instructors_and_clients(world, login_as):
    _alert(world.a)
    for role in ("instructor", "client"):
        response = login_as(world.a.members[role]).get(reverse("staff:alerts"))
        assert response.status_code in (302, 403)


def test_it_raises_one_alert_per_open_problem(world):
    first = _alert(world.a)
    again = alerts.raise_alert(
        first.code, first.message, organization_id=first.organization_id, data=first.data
    )
    assert again is None
    assert AdminAlert.objects.filter(code=first.code).count() == 1


@pytest.mark.parametrize("count", [1, 12])
def test_it_reads_the_panel_in_a_fixed_number_of_queries(
    world, login_as, django_assert_max_num_queries, count
):
    for _ in range(count):
        _alert(world.a)
    client = login_as(world.a.owner)
    client.get(reverse("staff:dashboard"))  # warm the session and membership
    with django_assert_max_num_queries(12):
        page = client.get(reverse("staff:alerts")).content.decode()
    assert page.count('class="staff-alert"') == count
