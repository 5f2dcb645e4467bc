"""The demo data: loaded once for the module (committed, wiped at the end), then checked."""

from __future__ import annotations

import datetime as dt
import io
import time
from collections import Counter
from dataclasses import dataclass

import pytest
from django.db.models import Count, F, Q, Sum

from reformer.accounts.models import ClientProfile, Membership, User
from reformer.billing.models import ClientPackage, CreditLedger, Payment
from reformer.bookings.models import Booking, WaitlistEntry
from reformer.core.timezones import local_today, to_local
from reformer.demo import demo_logins, load_demo
from reformer.demo.loader import wipe_demo
from reformer.scheduling.models import ClassSession, ClassType
from reformer.studios.models import Organization, Room, Studio

# Just after New York's spring-forward and before London's: the window spans both changes.
NOW = dt.datetime(2026, 3, 10, 15, 30, tzinfo=dt.UTC)
HOLDING = ("confirmed", "attended", "no_show")

pytestmark = pytest.mark.django_db


@dataclass
class Loaded:
    seconds: float
    output: str
    signature: tuple


def signature() -> tuple:
    sessions = tuple(
        ClassSession.objects.filter(organization__slug="harbour-pilates")
        .order_by("starts_at", "studio__name", "class_type__name")
        .values_list("studio__name", "class_type__name", "starts_at", "booked_count")
    )
    bookings = Booking.objects.filter(organization__slug="harbour-pilates")
    return (
        sessions,
        bookings.count(),
        tuple(bookings.values_list("status").annotate(n=Count("id")).order_by("status")),
    )


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        out = io.StringIO()
        started = time.monotonic()
        load_demo(out, now=NOW)
        seconds = time.monotonic() - started
        print(f"\ndemo loaded in {seconds:.1f} s")
        yield Loaded(seconds, out.getvalue(), signature())
        wipe_demo()


@pytest.fixture
def org(demo) -> Organization:
    return Organization.objects.get(slug="harbour-pilates")


def test_it_loads_fast_and_prints_a_summary(demo):
    assert demo.seconds < 60
    assert "3 studios" in demo.output
    assert "300 clients" in demo.output


def test_it_creates_three_studios_with_rooms_and_spots(org):
    studios = {s.name: s for s in Studio.objects.filter(organization=org)}
    assert {name: s.time_zone for name, s in studios.items()} == {
        "Harbour Pilates Shoreditch": "Europe/London",
        "Harbour Pilates SoHo": "America/New_York",
        "Harbour Pilates Brooklyn": "America/New_York",
    }
    assert "London" in studios["Harbour Pilates Shoreditch"].address
    for studio in studios.values():
        assert studio.policy.booking_window_days == 14
        assert studio.opening_hours["0"] == ["06:30", "21:00"]
        private = Room.objects.get(studio=studio, name="Private Studio")  # for appointments
        assert set(private.spots.values_list("equipment_type", flat=True)) == {
            "reformer",
            "tower",
            "chair",
        }
        rooms = Room.objects.filter(studio=studio).exclude(pk=private.pk).annotate(n=Count("spots"))
        assert 1 <= len(rooms) <= 2
        for room in rooms:
            assert 8 <= room.n <= 12
            assert room.capacity == room.n
            cells = set(room.spots.values_list("row", "column"))
            assert len(cells) == room.n
            assert all(r < room.grid_rows and c < room.grid_columns for r, c in cells)
            assert room.spots.filter(label="Reformer 1").exists()


def test_it_creates_staff_class_types_and_clients(org):
    members = Membership.objects.filter(organization=org)
    roles = Counter(members.values_list("role", flat=True))
    # 300 clients with a history, 10 who only took the intro offer, the newcomer login.
    assert roles == {"owner": 1, "manager": 1, "front_desk": 1, "instructor": 8, "client": 311}
    for instructor in members.filter(role="instructor").annotate(n=Count("studios")):
        assert 1 <= instructor.n <= 2
    assert members.filter(role="instructor", user__name="Sarah Johnson").exists()
    manager = members.get(role="manager")
    assert {s.name for s in manager.studios.all()} == {
        "Harbour Pilates SoHo",
        "Harbour Pilates Brooklyn",
    }
    assert [s.name for s in members.get(role="front_desk").studios.all()] == [
        "Harbour Pilates SoHo"
    ]
    assert ClientProfile.objects.filter(organization=org).count() == 311  # front door too
    clients = User.objects.filter(memberships__organization=org, memberships__role="client")
    assert clients.filter(email__regex=r"^[a-z]+\.[a-z]+\.\d+@demo\.reformer\.test$").count() == 299
    assert clients.filter(phone__regex=r"^\+(1\d{10}|44\d{10})$").count() == 300
    # Texts on means a confirmed number (PHX-23): some demo clients take them, all confirmed.
    texters = clients.filter(notify_sms=True)
    assert 0 < texters.count() == texters.filter(messaging__sms_confirmed_at__isnull=False).count()
    assert len(set(clients.values_list("name", flat=True))) == 311

    types = {t.name: t for t in ClassType.objects.filter(organization=org)}
    assert {name: t.duration_minutes for name, t in types.items()} == {
        "Reformer Foundations": 50,
        "Reformer Flow": 55,
        "Jumpboard": 45,
        "Tower": 60,
        "Mat": 45,
        "Barre": 50,
        "Prenatal": 60,
        "Private": 55,
    }
    assert types["Private"].default_capacity == 1
    assert all(t.description and t.colour.startswith("#") for t in types.values())


def test_it_gives_every_demo_login_the_demo_password(org):
    logins = demo_logins()
    assert [role for role, _, _ in logins] == [
        "owner",
        "manager",
        "front_desk",
        "instructor",
        "client",
    ]
    for role, email, password in logins:
        user = User.objects.get(email=email)
        assert password == "reformer-demo"
        assert user.check_password(password)
        assert user.memberships.get(organization=org).role == role


def test_it_schedules_six_months_back_and_four_weeks_ahead_in_local_time(org):
    for studio in Studio.objects.filter(organization=org):
        today = local_today(studio.time_zone, NOW)
        sessions = ClassSession.objects.filter(studio=studio).select_related("template")
        days = {to_local(s.starts_at, studio.time_zone).date() for s in sessions}
        assert min(days) == today - dt.timedelta(days=182)
        assert max(days) == today + dt.timedelta(days=27)
        assert all(today + dt.timedelta(days=n) in days for n in range(28))
        for session in sessions:
            local = to_local(session.starts_at, studio.time_zone)
            # 07:00 stays 07:00 local across the daylight-saving changes.
            assert local.time() == session.template.local_start_time
            assert local.weekday() == session.template.weekday
            assert session.instructor_id is not None
            assert session.status == "scheduled"
        per_day = Counter(to_local(s.starts_at, studio.time_zone).date() for s in sessions)
        assert all(count <= 6 for count in per_day.values())
    months = {
        b.starts_at.strftime("%Y-%m")
        for b in Booking.objects.filter(organization=org, starts_at__lt=NOW).only("starts_at")
    }
    assert len(months) >= 6


def test_it_keeps_counts_within_capacity_and_equal_to_bookings(org):
    sessions = ClassSession.objects.filter(organization=org).annotate(
        holding=Count("bookings", filter=Q(bookings__status__in=HOLDING), distinct=True),
        waiting=Count("waitlist", filter=Q(waitlist__status="waiting"), distinct=True),
    )
    for session in sessions:
        assert session.booked_count == session.holding <= session.capacity
        assert session.waiting_count == session.waiting
    mismatched = Booking.objects.filter(organization=org).exclude(
        starts_at=F("session__starts_at"), ends_at=F("session__ends_at")
    )
    assert not mismatched.exists()
    full_upcoming = sessions.filter(starts_at__gt=NOW, booked_count=F("capacity"))
    assert full_upcoming.filter(capacity__gt=1).count() >= 5
    waiting = WaitlistEntry.objects.filter(organization=org, status="waiting")
    assert waiting.exists()
    for session in full_upcoming.filter(capacity__gt=1):
        assert 2 <= session.waiting_count <= 5
    assert not waiting.filter(session__starts_at__lt=NOW).exists()
    assert not waiting.exclude(session__booked_count=F("session__capacity")).exists()


def test_it_has_realistic_attendance(org):
    past = Counter(
        Booking.objects.filter(organization=org, starts_at__lt=NOW).values_list("status", flat=True)
    )
    total = sum(past.values())
    assert total > 8000
    assert past["attended"] / total > 0.75
    assert 0.03 < past["no_show"] / total < 0.07
    assert 0.07 < (past["cancelled"] + past["late_cancelled"]) / total < 0.13
    assert past["confirmed"] == 0
    upcoming = Booking.objects.filter(organization=org, starts_at__gt=NOW)
    assert not upcoming.filter(status__in=("attended", "no_show")).exists()
    this_week = upcoming.filter(starts_at__lt=NOW + dt.timedelta(days=7)).count()
    last_week = upcoming.filter(starts_at__gte=NOW + dt.timedelta(days=21)).count()
    assert this_week > 3 * last_week > 0


def test_it_keeps_every_package_ledger_consistent(org):
    packages = ClientPackage.objects.filter(organization=org, credits_total__isnull=False)
    packages = packages.annotate(net=Sum("ledger__delta"))
    assert packages.count() > 500
    for package in packages:
        assert package.credits_remaining == package.credits_total + (package.net or 0)
    bookings = Booking.objects.filter(organization=org, client_package__credits_total__isnull=False)
    spent = bookings.annotate(
        debits=Count("ledger", filter=Q(ledger__delta=-1)),
        refunds=Count("ledger", filter=Q(ledger__delta=1, ledger__reason="cancellation_refund")),
    )
    for booking in spent:
        assert booking.debits == 1
        assert booking.refunds == (1 if booking.credit_returned else 0)
        assert booking.credit_returned == (booking.status == "cancelled")
    unlimited = Booking.objects.filter(organization=org, client_package__credits_total=None)
    assert unlimited.exists()
    assert not CreditLedger.objects.filter(booking__in=unlimited).exists()
    kinds = Counter(
        ClientPackage.objects.filter(organization=org, expires_at__gt=NOW).values_list(
            "product__kind", flat=True
        )
    )
    assert kinds["class_pack"] and kinds["unlimited"] and kinds["membership"]
    assert ClientPackage.objects.filter(organization=org, expires_at__lt=NOW).exists()
    payments = Payment.objects.filter(organization=org)
    assert payments.count() == ClientPackage.objects.filter(organization=org).count()
    assert not payments.exclude(status="succeeded").exists()
    assert not payments.exclude(created_at=F("client_package__starts_at")).exists()


def test_it_tells_the_demo_client_story(org):
    client = Membership.objects.get(organization=org, user__email="client@demo.reformer.test")
    packages = ClientPackage.objects.filter(client=client)
    active = packages.get(expires_at__gt=NOW)
    assert (active.product.name, active.credits_total, active.credits_remaining) == (
        "10-Class Pack",
        10,
        7,
    )
    assert packages.filter(expires_at__lt=NOW).count() == 1
    upcoming = Booking.objects.filter(client=client, status="confirmed", starts_at__gt=NOW)
    assert upcoming.count() == 3
    assert upcoming.filter(starts_at__lt=NOW + dt.timedelta(hours=24)).count() >= 1
    waiting = WaitlistEntry.objects.filter(client=client, status="waiting")
    assert waiting.count() == 2
    for entry in waiting:
        assert entry.session.booked_count == entry.session.capacity
        assert entry.session.starts_at > NOW
    past = Counter(
        Booking.objects.filter(client=client, starts_at__lt=NOW).values_list("status", flat=True)
    )
    assert past["attended"] >= 5 and past["no_show"] >= 1


def test_it_gives_the_demo_instructor_classes_today_and_ahead(org):
    sarah = Membership.objects.get(organization=org, user__email="instructor@demo.reformer.test")
    assert sarah.user.name == "Sarah Johnson"
    today = local_today("America/New_York", NOW)
    sessions = ClassSession.objects.filter(instructor=sarah)
    assert any(to_local(s.starts_at, "America/New_York").date() == today for s in sessions)
    assert sessions.filter(starts_at__gt=NOW, booked_count__gt=0).count() >= 5


def test_it_reloads_identically_and_removes_stray_demo_users(demo):
    User.objects.create_user("stray@demo.reformer.test", "x")
    load_demo(io.StringIO(), now=NOW)
    assert signature() == demo.signature
    assert not User.objects.filter(email="stray@demo.reformer.test").exists()
    assert Organization.objects.filter(slug="harbour-pilates").count() == 1


def test_it_spreads_pack_purchases_over_the_weeks_before_now(org):
    """Upcoming bookings whose natural booking time is still ahead were squeezed into the
    last 10 hours, with the packs that pay for them: the revenue chart showed a fake spike
    on the latest day (135 payments against about 15 on other days)."""
    zone_name = "America/New_York"
    today = local_today(zone_name, NOW)
    per_day: Counter = Counter()
    for created_at, amount in Payment.objects.filter(organization=org).values_list(
        "created_at", "amount"
    ):
        per_day[to_local(created_at, zone_name).date()] += amount
    earlier = sorted(per_day[today - dt.timedelta(days=n)] for n in range(2, 30))
    usual = earlier[len(earlier) // 2]
    assert usual > 0
    for day in (today, today - dt.timedelta(days=1)):
        assert per_day[day] <= 2 * usual, (day, per_day[day], usual)
    # Each booking is made after the package that pays for it was bought.
    late = Booking.objects.filter(
        organization=org,
        client_package__isnull=False,
        created_at__lt=F("client_package__starts_at"),
    )
    assert not late.exists()
