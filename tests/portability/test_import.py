"""Imports from the Reformer template, Mindbody and Mariana Tek: dry run with per-row
outcomes, all or nothing, and the same file twice changes nothing the second time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from reformer.accounts.models import Membership, User
from reformer.billing.models import ClientPackage, PackageProduct
from reformer.bookings.integrity import check_integrity
from reformer.bookings.models import Booking
from reformer.core.errors import DomainError, PermissionDenied
from reformer.core.timezones import zone
from reformer.portability.importing import run_import
from tests.factories import make_session


def csv_bytes(text: str, *, bom: bool = False) -> bytes:
    data = text.strip().encode() + b"\n"
    return (b"\xef\xbb\xbf" + data) if bom else data


REFORMER_CLIENTS = csv_bytes("""
email,name,phone
ana@example.com,Ana Lima,+14155550101
ben@example.com,Ben Ode,
""")


def test_a_dry_run_writes_nothing_and_says_what_each_row_would_do(world):
    plan = run_import(world.a.owner, "clients", REFORMER_CLIENTS)
    assert plan.ok and plan.counts == {"create": 2, "skip": 0, "error": 0}
    assert [(r.line, r.action) for r in plan.rows] == [(2, "create"), (3, "create")]
    assert not User.objects.filter(email="ana@example.com").exists()


def test_importing_twice_changes_nothing_the_second_time(world):
    first = run_import(world.a.owner, "clients", REFORMER_CLIENTS, dry_run=False)
    assert first.counts["create"] == 2
    ana = Membership.objects.get(user__email="ana@example.com", organization=world.a.organization)
    assert ana.role == "client" and ana.user.name == "Ana Lima"
    assert not ana.user.has_usable_password()
    members = Membership.objects.count()
    second = run_import(world.a.owner, "clients", REFORMER_CLIENTS, dry_run=False)
    assert second.counts == {"create": 0, "skip": 2, "error": 0}
    assert Membership.objects.count() == members


def test_one_bad_row_means_nothing_is_imported(world):
    content = csv_bytes("""
email,name
ok@example.com,Fine
not-an-email,Broken
shared@example.com,One
SHARED@example.com,Two
""")
    plan = run_import(world.a.owner, "clients", content)
    assert [r.action for r in plan.rows] == ["create", "error", "error", "error"]
    assert "not an email" in plan.rows[1].message
    assert "appears 2 times" in plan.rows[2].message
    with pytest.raises(DomainError) as refused:
        run_import(world.a.owner, "clients", content, dry_run=False)
    assert refused.value.code == "import.has_errors"
    assert not User.objects.filter(email="ok@example.com").exists()


def test_mindbody_and_mariana_tek_client_columns_are_recognised(world):
    mindbody = csv_bytes(
        """
First Name;Last Name;Email;Mobile Phone;Birth Date
Cara;Diaz;cara@example.com;+14155550123;1990-01-01
""",
        bom=True,
    )
    plan = run_import(world.a.owner, "clients", mindbody, dry_run=False)
    assert plan.source == "mindbody"
    assert plan.mapping["phone"] == "Mobile Phone"
    cara = User.objects.get(email="cara@example.com")
    assert (cara.name, cara.phone) == ("Cara Diaz", "+14155550123")

    mariana = csv_bytes("""
Customer ID,Email,First Name,Last Name,Full Name,Join Date,Phone Number
17,dev@example.com,Dev,Kim,Dev Kim,2024-05-01,555-0100
""")
    plan = run_import(world.a.owner, "clients", mariana, dry_run=False)
    assert plan.source == "mariana_tek"
    assert User.objects.get(email="dev@example.com").name == "Dev Kim"


def test_a_column_can_be_mapped_by_hand(world):
    content = csv_bytes("""
E-post,Namn
eva@example.com,Eva Berg
""")
    assert run_import(world.a.owner, "clients", content).missing == ["Email address (email)"]
    plan = run_import(
        world.a.owner, "clients", content, mapping={"email": "E-post", "name": "Namn"}
    )
    assert plan.ok and plan.rows[0].values["name"] == "Eva Berg"


def test_active_packages_keep_remaining_credits_and_expiry_and_the_ledger_balances(world):
    run_import(world.a.owner, "clients", REFORMER_CLIENTS, dry_run=False)
    # Dates are the studio's calendar days, which near midnight UTC differ from UTC's.
    today = timezone.localdate(timezone=zone(world.a.organization.time_zone))
    expiry = today + dt.timedelta(days=40)
    past = today - dt.timedelta(days=1)
    content = csv_bytes(f"""
Client Email,Pricing Option,Remaining Count,Expiration Date,Status
ana@example.com,10 Class Pack,4,{expiry:%m/%d/%Y},Active
ben@example.com,Monthly Unlimited,,{expiry:%m/%d/%Y},Active
ben@example.com,Old Pack,2,{past:%m/%d/%Y},Active
ana@example.com,Frozen Pack,3,{expiry:%m/%d/%Y},Frozen
""")
    plan = run_import(world.a.owner, "packages", content, dry_run=False)
    assert [r.action for r in plan.rows] == ["create", "create", "skip", "skip"]
    ana_pack = ClientPackage.objects.get(client__user__email="ana@example.com")
    assert (ana_pack.credits_total, ana_pack.credits_remaining) == (4, 4)
    local_expiry = ana_pack.expires_at.astimezone(zone(world.a.organization.time_zone))
    assert local_expiry.date() == expiry
    product = PackageProduct.objects.get(organization=world.a.organization, name="10 Class Pack")
    assert not product.active  # created by the import, not for sale
    unlimited = ClientPackage.objects.get(client__user__email="ben@example.com")
    assert unlimited.is_unlimited

    again = run_import(world.a.owner, "packages", content, dry_run=False)
    assert again.counts["create"] == 0
    assert ClientPackage.objects.filter(organization=world.a.organization).count() == 2

    template = csv_bytes(f"""
client_email,product,kind,credits_total,credits_remaining,expires_at
ben@example.com,20 Pack,class_pack,20,5,{expiry.isoformat()}
""")
    run_import(world.a.owner, "packages", template, dry_run=False)
    twenty = ClientPackage.objects.get(product__name="20 Pack")
    assert (twenty.credits_total, twenty.credits_remaining) == (20, 5)
    report = check_integrity()
    assert report.ok, report.problems


def test_future_bookings_from_mariana_tek_reservations_in_utc(world):
    run_import(world.a.owner, "clients", REFORMER_CLIENTS, dry_run=False)
    starts = (timezone.now() + dt.timedelta(days=5)).replace(minute=0, second=0, microsecond=0)
    session = make_session(world.a, starts_at=starts)
    make_session(world.a, starts_at=starts + dt.timedelta(hours=3))
    content = csv_bytes(f"""
Reservation ID,Reservation Type,Status,Guest Email,Class ID,Class Start Date,Class Start Time
1,Standard,Pending,ana@example.com,9,{starts:%Y-%m-%d},{starts:%H:%M}
2,Standard,Standard cancel,ben@example.com,9,{starts:%Y-%m-%d},{starts:%H:%M}
3,Standard,Pending,ben@example.com,9,{starts:%Y-%m-%d},{(starts + dt.timedelta(hours=1)):%H:%M}
""")
    plan = run_import(world.a.owner, "bookings", content)
    assert plan.source == "mariana_tek"
    assert [r.action for r in plan.rows] == ["create", "skip", "error"], [
        r.message for r in plan.rows
    ]
    assert [r.action for r in plan.rows] == ["create", "skip", "error"]
    assert "set up the schedule first" in plan.rows[2].message
    with pytest.raises(DomainError):
        run_import(world.a.owner, "bookings", content, dry_run=False)
    assert not Booking.objects.filter(session=session).exists()

    good = b"\n".join(content.splitlines()[:3]) + b"\n"
    run_import(world.a.owner, "bookings", good, dry_run=False)
    booking = Booking.objects.get(session=session)
    assert booking.client.user.email == "ana@example.com" and booking.client_package is None
    session.refresh_from_db()
    assert session.booked_count == 1
    assert run_import(world.a.owner, "bookings", good, dry_run=False).counts["create"] == 0
    assert check_integrity().ok


def test_only_the_owner_imports(world):
    with pytest.raises(PermissionDenied):
        run_import(world.a.manager, "clients", REFORMER_CLIENTS)


def test_files_that_are_not_csv_get_a_clear_error(world):
    with pytest.raises(DomainError) as empty:
        run_import(world.a.owner, "clients", b"")
    assert "empty" in empty.value.message
    with pytest.raises(DomainError):
        run_import(world.a.owner, "nonsense", REFORMER_CLIENTS)
    plan = run_import(world.a.owner, "clients", b"\x89PNG\r\n\x1a\n\x00\x00garbage")
    assert not plan.ok
