from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from reformer.billing.models import ClientPackage, CreditLedger
from reformer.bookings import actions
from reformer.bookings.integrity import check_integrity
from reformer.scheduling.models import ClassSession
from tests import factories


@pytest.fixture
def some_activity(tenant, session, alice, bob, carol):
    actions.book_session(alice, session)
    cancelled = actions.book_session(bob, session)
    actions.cancel_booking(bob, cancelled)
    actions.book_session(carol, session)
    return session


def test_it_reports_a_consistent_database(some_activity, capsys):
    call_command("check_ledger")
    out = capsys.readouterr().out
    assert "Checked " in out and "no discrepancies." in out
    report = check_integrity()
    assert report.ok
    assert report.bookings_checked == 3 and report.sessions_checked >= 1


def test_it_finds_a_wrong_class_count(some_activity, capsys):
    ClassSession.objects.filter(pk=some_activity.pk).update(booked_count=1)
    with pytest.raises(CommandError) as caught:
        call_command("check_ledger")
    assert caught.value.returncode == 1
    out = capsys.readouterr().out
    assert f"class {some_activity.pk}: booked_count is 1 but 2 places are held" in out


def test_it_finds_an_overbooked_class(some_activity):
    # The database refuses booked_count > capacity, but bookings written around the counter
    # (a bad import, a manual fix) would still overfill the class: the checker counts rows.
    ClassSession.objects.filter(pk=some_activity.pk).update(capacity=1, booked_count=1)
    problems = check_integrity().problems
    assert any("2 places held but capacity is 1" in p for p in problems)


def test_it_finds_a_package_that_disagrees_with_its_ledger(some_activity, alice, capsys):
    package = ClientPackage.objects.get(client=alice)
    ClientPackage.objects.filter(pk=package.pk).update(credits_remaining=5)
    with pytest.raises(CommandError):
        call_command("check_ledger")
    out = capsys.readouterr().out
    assert f"package {package.pk}: spent 0 credits but the ledger sums to -1" in out


def test_it_finds_a_booking_whose_credit_went_missing(some_activity, alice):
    CreditLedger.objects.filter(client_package__client=alice).delete()
    ClientPackage.objects.filter(client=alice).update(credits_remaining=5)
    problems = check_integrity().problems
    assert len(problems) == 1 and "ledger nets 0, expected -1" in problems[0]


def test_it_checks_one_organization(world, some_activity):
    other = factories.make_session(world.b)
    ClassSession.objects.filter(pk=other.pk).update(booked_count=3)
    assert check_integrity(organization_id=world.a.organization.pk).ok
    assert not check_integrity(organization_id=world.b.organization.pk).ok
