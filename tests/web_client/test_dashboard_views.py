from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reformer.bookings.models import Booking
from reformer.core.timezones import zone
from tests import factories
from tests.web_client.conftest import htmx
from tests.web_client.helpers import book, fill, later_today, package_for, session_at, wait_for

DASHBOARD = "/dashboard/"


def _past_booking(tenant, member, *, days_ago: int, status: str, hour: int = 9, **fields):
    session = session_at(tenant, day=-days_ago, hour=hour)
    return Booking.objects.create(
        organization=tenant.organization,
        session=session,
        client=member,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        status=status,
        **fields,
    )


def test_it_sends_outsiders_away_and_refuses_staff(client, world):
    assert client.get(DASHBOARD).status_code == 302
    client.force_login(world.outsider)
    assert client.get(DASHBOARD)["Location"] == "/start/"
    client.force_login(world.a.instructor.user)
    assert client.get(DASHBOARD).status_code == 403


def test_it_lists_upcoming_classes_in_order_with_a_countdown(as_client, world):
    package_for(world.a.client)
    third = book(world.a.client, session_at(world.a, day=5, hour=9))
    first = book(world.a.client, later_today(world.a, minutes=185))
    second = book(world.a.client, session_at(world.a, day=2, hour=9))
    html = as_client.get(DASHBOARD).content.decode()
    positions = [html.index(f'id="booking-{b.reference}"') for b in (first, second, third)]
    assert positions == sorted(positions)
    assert "Starting in 3 hours" in html
    assert html.count("data-countdown") == 1
    assert f'data-hx-get="/bookings/{first.reference}/cancel/?from=dashboard"' in html


def test_it_shows_the_credit_balance_expiry_progress_and_history(as_client, world):
    package = package_for(world.a.client)
    for day in (1, 2, 3):
        book(world.a.client, session_at(world.a, day=day))
    html = as_client.get(DASHBOARD).content.decode()
    assert "7 of 10 credits remaining" in html
    assert '<progress class="package__progress" max="10" value="7"' in html
    expires = package.expires_at.astimezone(zone("America/New_York")).strftime("%-d %B %Y")
    assert "Expires on <time" in html and f">{expires}</time>" in html
    assert "Credit history" in html
    assert html.count("Booked a class: Reformer Flow") == 3
    assert "\u22121" in html


def test_it_shows_an_unlimited_package_as_unlimited(as_client, world):
    package_for(world.a.client, credits=None)
    html = as_client.get(DASHBOARD).content.decode()
    assert 'class="package__balance">Unlimited</p>' in html
    assert "<progress" not in html


def test_it_invites_to_browse_when_nothing_is_booked_but_still_shows_credits(as_client, world):
    package_for(world.a.client, remaining=4)
    html = as_client.get(DASHBOARD).content.decode()
    assert "No upcoming classes" in html
    assert 'href="/classes/">Browse classes</a>' in html
    assert "4 of 10 credits remaining" in html


def test_it_warns_about_an_expired_package_and_lists_packages_to_buy(as_client, world):
    now = timezone.now()
    package_for(
        world.a.client,
        remaining=3,
        starts_at=now - dt.timedelta(days=60),
        expires_at=now - dt.timedelta(days=1),
    )
    factories.PackageProductFactory(
        organization=world.a.organization, name="Monthly Unlimited", kind="unlimited", credits=None
    )
    html = as_client.get(DASHBOARD).content.decode()
    assert "Your package has expired" in html
    assert "Monthly Unlimited" in html and 'class="products"' in html
    assert 'badge badge--danger">Expired' in html and "Expired on" in html
    assert "3 of 10 credits remaining" in html


def test_a_current_used_up_package_is_not_called_expired(as_client, world):
    # PHX-11: a client with a current package used up and an older one expired was told
    # "Your package has expired"; the package that matters now is the used-up one.
    now = timezone.now()
    older = package_for(
        world.a.client,
        remaining=2,
        starts_at=now - dt.timedelta(days=80),
        expires_at=now - dt.timedelta(days=40),
    )
    oldest = package_for(
        world.a.client,
        remaining=1,
        starts_at=now - dt.timedelta(days=85),
        expires_at=now - dt.timedelta(days=60),
    )
    current = package_for(
        world.a.client, credits=8, remaining=0, expires_at=now + dt.timedelta(days=4)
    )
    html = as_client.get(DASHBOARD).content.decode()
    assert "used all your credits" in html
    assert "Your package has expired" not in html
    # The current package first, then the expired ones, the newest first.
    order = [html.index(f'id="package-{p.pk}"') for p in (current, older, oldest)]
    assert order == sorted(order)


def test_a_usable_package_silences_the_banner_and_comes_first(as_client, world):
    now = timezone.now()
    package_for(world.a.client, remaining=0, expires_at=now + dt.timedelta(days=2))
    package_for(
        world.a.client,
        remaining=3,
        starts_at=now - dt.timedelta(days=60),
        expires_at=now - dt.timedelta(days=1),
    )
    usable = package_for(world.a.client, remaining=5, expires_at=now + dt.timedelta(days=30))
    html = as_client.get(DASHBOARD).content.decode()
    assert "used all your credits" not in html and "has expired" not in html
    assert html.index('id="package-') == html.index(f'id="package-{usable.pk}"')


def test_it_lists_waitlist_places_with_positions(as_client, world):
    package_for(world.a.client)
    sessions = [fill(session_at(world.a, day=d, capacity=1), world.a) for d in (1, 2)]
    other = factories.MembershipFactory(organization=world.a.organization, role="client")
    wait_for(other, sessions[1])
    for session in sessions:
        wait_for(world.a.client, session)
    html = as_client.get(DASHBOARD).content.decode()
    assert f'id="wait-pos-{sessions[0].pk}" class="badge badge--info">#1 on the waitlist' in html
    assert f'id="wait-pos-{sessions[1].pk}" class="badge badge--info">#2 on the waitlist' in html
    # The page follows those classes' studios live, so positions move as others leave.
    assert f"studio={world.a.studio.pk}" in html
    response = as_client.post(f"/classes/{sessions[0].pk}/waitlist/leave/", **htmx("dash-waitlist"))
    left = response.content.decode()
    assert left.lstrip().startswith('<section id="dash-waitlist"')
    assert f"wait-pos-{sessions[0].pk}" not in left and "You&#x27;ve left the waitlist." in left


def test_it_shows_past_bookings_with_attendance(as_client, world):
    member = world.a.client
    _past_booking(world.a, member, days_ago=1, status="attended")
    _past_booking(world.a, member, days_ago=2, status="attended", is_late=True)
    _past_booking(world.a, member, days_ago=3, status="no_show")
    _past_booking(world.a, member, days_ago=4, status="cancelled")
    _past_booking(world.a, member, days_ago=5, status="late_cancelled")
    html = as_client.get(DASHBOARD).content.decode()
    past = html[html.index('id="dash-past"') :]
    labels = ["Attended", "Late", "No-show", "Cancelled", "Late cancelled"]
    found = [past.index(f'">{label}</span>') for label in labels]
    assert found == sorted(found)


def test_it_shows_only_the_clients_own_things(as_client, world):
    other = factories.MembershipFactory(organization=world.a.organization, role="client")
    package_for(other)
    theirs = book(other, session_at(world.a, day=1))
    package_for(world.b.client)
    beta = book(world.b.client, session_at(world.b, day=1))
    html = as_client.get(DASHBOARD).content.decode()
    assert theirs.reference not in html and beta.reference not in html
    assert "credits remaining" not in html


@pytest.mark.parametrize("count", [2, 12])
def test_it_reads_a_fixed_number_of_queries(as_client, world, count):
    package_for(world.a.client, credits=30)
    for day in range(1, count + 1):
        book(world.a.client, session_at(world.a, day=day))
        _past_booking(world.a, world.a.client, days_ago=day, status="attended")
    with CaptureQueriesContext(connection) as queries:
        assert as_client.get(DASHBOARD).status_code == 200
    # session, user + membership, upcoming, past, packages + their ledger, products, waitlist,
    # private sessions (one query with their type, studio, instructor and equipment)
    assert len(queries) == 10, [q["sql"][:80] for q in queries]
