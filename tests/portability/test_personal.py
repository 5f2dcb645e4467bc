"""A client downloads their data and is deleted by anonymisation; the books stay true."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from reformer.accounts.models import ClientProfile
from reformer.billing.models import ClientPackage, Payment
from reformer.bookings import actions as bookings
from reformer.bookings.integrity import check_integrity
from reformer.bookings.models import Booking, WaitlistEntry
from reformer.core.errors import PermissionDenied
from reformer.portability import personal
from tests.bookings.helpers import give_package, make_client
from tests.factories import make_session


@pytest.fixture
def history(world):
    client = world.a.client
    package = give_package(client, credits=10)
    future = make_session(world.a, starts_at=timezone.now() + dt.timedelta(days=3))
    full = make_session(world.a, starts_at=timezone.now() + dt.timedelta(days=4), capacity=1)
    other = make_client(world.a, "Other")
    give_package(other)
    bookings.book_session(other, full)
    booking = bookings.book_session(client, future)
    entry = bookings.join_waitlist(client, full)
    Payment.objects.create(
        organization=world.a.organization,
        client=client,
        client_package=package,
        product=package.product,
        amount=Decimal("50.00"),
        status="succeeded",
        created_at=timezone.now(),
    )
    return {"package": package, "booking": booking, "entry": entry}


def test_a_client_downloads_everything_held_about_them(world, history):
    ClientProfile.objects.update_or_create(
        membership=world.a.client,
        defaults={"organization": world.a.organization, "birth_date": dt.date(1990, 3, 14)},
    )
    data = personal.personal_data(world.a.client)
    assert data["profile"]["birth_date"] == "1990-03-14"
    assert data["person"]["email"] == world.a.client.user.email
    assert [b["id"] for b in data["bookings"]] == [history["booking"].pk]
    assert [p["id"] for p in data["packages"]] == [history["package"].pk]
    assert len(data["payments"]) == 1 and len(data["credit_ledger"]) == 1
    with pytest.raises(PermissionDenied):
        personal.personal_data(world.a.front_desk, world.a.client)


def test_deletion_anonymises_and_keeps_ledgers_and_counts_consistent(world, history):
    client = world.a.client
    booking_count = Booking.objects.filter(organization=world.a.organization).count()
    ClientProfile.objects.update_or_create(
        membership=client,
        defaults={"organization": world.a.organization, "birth_date": dt.date(1990, 3, 14)},
    )

    personal.delete_client(client)
    assert ClientProfile.objects.get(membership=client).birth_date is None

    client.refresh_from_db()
    user = client.user
    user.refresh_from_db()
    assert not client.active
    assert user.email == f"deleted-{user.pk}@deleted.invalid"
    assert user.name == personal.DELETED_NAME and user.phone == "" and not user.is_active
    assert not user.has_usable_password()
    assert Booking.objects.get(pk=history["booking"].pk).status == "cancelled"
    assert ClientPackage.objects.get(pk=history["package"].pk).credits_remaining == 10
    assert WaitlistEntry.objects.get(pk=history["entry"].pk).status == "removed"
    assert Booking.objects.filter(organization=world.a.organization).count() == booking_count
    assert Payment.objects.filter(client=client).count() == 1
    report = check_integrity()
    assert report.ok, report.problems


def test_the_owner_deletes_on_request_and_others_may_not(world, history):
    with pytest.raises(PermissionDenied):
        personal.delete_client(world.a.manager, world.a.client)
    other = make_client(world.a, "Someone")
    with pytest.raises(PermissionDenied):
        personal.delete_client(other, world.a.client)
    personal.delete_client(world.a.owner, world.a.client)
    world.a.client.refresh_from_db()
    assert not world.a.client.active


def test_a_person_still_client_elsewhere_keeps_their_account(world, history):
    from tests import factories

    factories.MembershipFactory(user=world.a.client.user, organization=world.b.organization)
    email = world.a.client.user.email
    personal.delete_client(world.a.client)
    world.a.client.user.refresh_from_db()
    assert world.a.client.user.email == email and world.a.client.user.is_active
    world.a.client.refresh_from_db()
    assert not world.a.client.active


@pytest.mark.django_db(transaction=True)
def test_deletion_works_outside_a_test_transaction(world, clean_job_tables):
    """The booking actions commit durably: deletion must not wrap them (a test transaction
    would hide that, so this one runs without)."""
    give_package(world.a.client)
    booking = bookings.book_session(
        world.a.client, make_session(world.a, starts_at=timezone.now() + dt.timedelta(days=2))
    )
    personal.delete_client(world.a.client)
    assert Booking.objects.get(pk=booking.pk).status == "cancelled"
    assert check_integrity().ok
