"""PHX-19, spec requirement 10: a suspension is a reversible penalty. Taking back a no-show
that made the third strike lifts the suspension it caused (audit-logged, the client told);
one that did not, or one whose suspension still stands on other strikes, leaves it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from reformer.accounts.audit_codes import ACCOUNTS_CLIENT_SUSPENSION_LIFTED
from reformer.accounts.models import ClientProfile
from reformer.bookings import actions
from reformer.core.errors import DomainError
from reformer.core.models import AdminAlert, AuditEvent
from reformer.notifications.models import Message
from tests import factories
from tests.bookings import helpers

MIN = dt.timedelta(minutes=1)


def at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def error_of(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


def profile_of(client) -> ClientProfile:
    return ClientProfile.objects.get(membership=client)


@pytest.fixture
def three_no_shows(tenant, alice):
    """Alice missed three classes two days apart; the third suspended her."""
    first = factories.next_start(days=1)
    classes = [
        factories.make_session(tenant, starts_at=first + dt.timedelta(days=d)) for d in (0, 2, 4)
    ]
    bookings = [actions.book_session(alice, s) for s in classes]
    for session in classes:
        with at(session.starts_at + 15 * MIN):
            actions.mark_overdue_no_shows()
    assert profile_of(alice).suspended_until is not None
    return classes, bookings


def test_undoing_the_third_no_show_lifts_the_suspension(tenant, alice, three_no_shows):
    classes, bookings = three_no_shows
    later = factories.make_session(tenant, starts_at=classes[2].starts_at + dt.timedelta(days=1))
    with at(classes[2].starts_at + 30 * MIN):
        assert error_of(lambda: actions.book_session(alice, later)).code == ("booking.suspended")
        actions.undo_attendance(tenant.front_desk, bookings[2])
        actions.mark_attendance(tenant.front_desk, bookings[2], "attended")
        assert actions.book_session(alice, later).status == "confirmed"
    profile = profile_of(alice)
    assert profile.suspended_until is None
    assert profile.no_show_strikes == 2  # the two real no-shows count again
    event = AuditEvent.objects.get(code=ACCOUNTS_CLIENT_SUSPENSION_LIFTED)
    assert event.actor_id == tenant.front_desk.user_id
    assert event.data["reason"] == "no_show_taken_back"
    assert Message.objects.filter(kind="suspension_lifted", recipient=alice.user).count() == 1
    assert not AdminAlert.objects.filter(
        code="bookings.client_suspended", resolved_at__isnull=True
    ).exists()

    # A no-show marked again is a fresh third strike: suspended once more.
    with at(classes[2].starts_at + 40 * MIN):
        actions.mark_attendance(tenant.front_desk, bookings[2], "no_show")
    assert profile_of(alice).suspended_until is not None


def test_correcting_an_earlier_strike_of_the_suspension_lifts_it_too(tenant, alice, three_no_shows):
    classes, bookings = three_no_shows
    with at(classes[2].starts_at + 30 * MIN):
        actions.mark_attendance(tenant.manager, bookings[0], "attended")
    assert profile_of(alice).suspended_until is None
    assert profile_of(alice).no_show_strikes == 2


def test_a_suspension_still_earned_stays(tenant, alice, three_no_shows):
    """The policy now suspends at two strikes: taking one of three back leaves enough."""
    classes, bookings = three_no_shows
    helpers.set_policy(tenant, strike_count=2)
    with at(classes[2].starts_at + 30 * MIN):
        actions.undo_attendance(tenant.front_desk, bookings[2])
    assert profile_of(alice).suspended_until is not None
    assert not AuditEvent.objects.filter(code=ACCOUNTS_CLIENT_SUSPENSION_LIFTED).exists()


def test_an_older_strike_does_not_lift_a_later_suspension(tenant, alice, three_no_shows):
    """A strike spent on a suspension staff already lifted has nothing to do with the next."""
    classes, bookings = three_no_shows
    with at(classes[2].starts_at + 20 * MIN):
        actions.lift_suspension(tenant.front_desk, alice)
    helpers.give_package(alice, credits=5)
    start = classes[2].starts_at + dt.timedelta(days=1)
    more = [
        factories.make_session(tenant, starts_at=start + dt.timedelta(days=d)) for d in (0, 1, 2)
    ]
    for session in more:
        with at(session.starts_at - 60 * MIN):
            actions.book_session(alice, session)
        with at(session.starts_at + 15 * MIN):
            actions.mark_overdue_no_shows()
    assert profile_of(alice).suspended_until is not None
    with at(more[2].starts_at + 30 * MIN):
        actions.mark_attendance(tenant.owner, bookings[0], "attended")
    assert profile_of(alice).suspended_until is not None
