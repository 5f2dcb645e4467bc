from __future__ import annotations

import datetime as dt

import pytest

from reformer.core.errors import DomainError, PermissionDenied
from reformer.core.models import AuditEvent
from reformer.scheduling.models import ClassSession
from reformer.studios.actions import (
    add_closure,
    create_studio,
    remove_closure,
    set_opening_hours,
    set_special_hours,
    update_policy,
    update_studio,
)
from reformer.studios.models import Closure, Studio, StudioPolicy
from tests import factories
from tests.factories import make_session
from tests.scheduling.helpers import NEXT_MONDAY, audit_codes, local

# ---------------------------------------------------------------------------------- studios


def test_it_creates_a_studio_with_its_policy(world):
    studio = create_studio(
        world.a.owner,
        name="Alpha Downtown",
        address="2 High Street",
        time_zone="America/Chicago",
        opening_hours={0: ["07:00", "20:00"], "5": ["08:00", "12:00"]},
    )

    assert studio.organization == world.a.organization
    assert studio.opening_hours == {"0": ["07:00", "20:00"], "5": ["08:00", "12:00"]}
    policy = StudioPolicy.objects.get(studio=studio)
    assert (policy.organization, policy.booking_window_days) == (world.a.organization, 14)
    assert audit_codes() == ["studios.studio.created"]


def test_it_gives_a_new_studio_the_default_hours(world):
    studio = create_studio(world.a.owner, name="Loft", address="", time_zone="Europe/London")

    assert studio.opening_hours["0"] == ["06:00", "21:00"]


def test_it_refuses_a_second_studio_of_the_same_name(world):
    with pytest.raises(DomainError, match="already a studio called ALPHA main"):
        create_studio(world.a.owner, name="ALPHA main", address="", time_zone="UTC")
    assert Studio.objects.filter(organization=world.a.organization).count() == 2
    assert not AuditEvent.objects.exists()


def test_it_allows_the_same_studio_name_in_another_organization(world):
    studio = create_studio(world.b.owner, name="alpha Main", address="", time_zone="UTC")

    assert studio.organization == world.b.organization


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "Name is required"),
        ({"time_zone": "Atlantis"}, "not a known time zone"),
        ({"address": "x" * 256}, "too long"),
        ({"opening_hours": {0: ["21:00", "06:00"]}}, "must be before closing time"),
    ],
)
def test_it_validates_a_new_studio(world, fields, message):
    data = {"name": "Loft", "address": "", "time_zone": "UTC"} | fields

    with pytest.raises(DomainError, match=message):
        create_studio(world.a.owner, **data)
    assert not Studio.objects.filter(name="Loft").exists()


def test_it_lets_only_owners_create_studios(world):
    with pytest.raises(PermissionDenied):
        create_studio(world.a.manager, name="Loft", address="", time_zone="UTC")


def test_it_renames_a_studio(world):
    studio = update_studio(world.a.manager, world.a.studio, name="Alpha Central", address="3 Rd")

    studio.refresh_from_db()
    assert (studio.name, studio.address) == ("Alpha Central", "3 Rd")
    event = AuditEvent.objects.get()
    assert event.data["changes"]["name"] == ["alpha Main", "Alpha Central"]


def test_it_refuses_renaming_onto_another_studio(world):
    with pytest.raises(DomainError, match="already a studio called alpha annex"):
        update_studio(world.a.owner, world.a.studio, name="alpha annex")
    world.a.studio.refresh_from_db()
    assert world.a.studio.name == "alpha Main"


def test_it_writes_nothing_when_nothing_changes(world):
    update_studio(world.a.owner, world.a.studio, name="alpha Main")

    assert not AuditEvent.objects.exists()


def test_it_changes_the_time_zone_while_no_class_is_scheduled(world):
    studio = update_studio(world.a.owner, world.a.studio, time_zone="Europe/London")

    assert Studio.objects.get(pk=studio.pk).time_zone == "Europe/London"


def test_it_keeps_the_time_zone_while_classes_are_scheduled(world, frozen):
    make_session(world.a, starts_at=local(NEXT_MONDAY, 7), instructor=None)

    with pytest.raises(DomainError, match="1 upcoming class at fixed times"):
        update_studio(world.a.owner, world.a.studio, time_zone="Europe/London")
    assert Studio.objects.get(pk=world.a.studio.pk).time_zone == "America/New_York"


def test_it_deactivates_a_studio_only_without_upcoming_classes(world, frozen):
    make_session(world.a, starts_at=local(NEXT_MONDAY, 7), instructor=None)
    make_session(world.a, starts_at=local(NEXT_MONDAY, 9), instructor=None)

    with pytest.raises(DomainError, match="Cancel the 2 upcoming classes at alpha Main"):
        update_studio(world.a.owner, world.a.studio, active=False)

    ClassSession.objects.update(status=ClassSession.Status.CANCELLED)
    assert update_studio(world.a.owner, world.a.studio, active=False).active is False


# ----------------------------------------------------------------------------------- hours


def test_it_sets_opening_hours(world):
    studio = set_opening_hours(
        world.a.manager,
        world.a.studio,
        hours={"6": ["09:00", "13:00"], 0: ("06:30", "21:00"), 1: None, 2: []},
    )

    expected = {"0": ["06:30", "21:00"], "6": ["09:00", "13:00"]}
    assert studio.opening_hours == expected
    assert Studio.objects.get(pk=studio.pk).opening_hours == expected
    assert audit_codes() == ["studios.studio.hours_set"]


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({7: ["06:00", "21:00"]}, "not a weekday"),
        ({"monday": ["06:00", "21:00"]}, "not a weekday"),
        ({0: ["6am", "21:00"]}, "Monday opening time must look like 07:30"),
        ({0: ["06:00", "24:00"]}, "Monday closing time must look like"),
        ({0: ["21:00", "06:00"]}, "Monday: opening time 21:00 must be before closing time 06:00"),
        ({0: ["09:00", "09:00"]}, "must be before closing time"),
        ({0: ["09:00"]}, "give an opening and a closing time"),
        ({0: "09:00-17:00"}, "give an opening and a closing time"),
        ({0: ["06:00", "21:00"], "0": ["07:00", "20:00"]}, "Monday is given twice"),
        (["06:00", "21:00"], "must map weekdays"),
    ],
)
def test_it_validates_opening_hours(world, hours, message):
    before = world.a.studio.opening_hours

    with pytest.raises(DomainError, match=message):
        set_opening_hours(world.a.owner, world.a.studio, hours=hours)
    assert Studio.objects.get(pk=world.a.studio.pk).opening_hours == before


def test_it_sets_and_clears_special_hours(world, frozen):
    studio = world.a.studio
    christmas_eve, christmas = dt.date(2026, 12, 24), dt.date(2026, 12, 25)

    set_special_hours(world.a.owner, studio, date=christmas_eve, hours=["08:00", "12:00"])
    set_special_hours(world.a.owner, studio, date=christmas, hours=[])
    assert Studio.objects.get(pk=studio.pk).special_hours == {
        "2026-12-24": ["08:00", "12:00"],
        "2026-12-25": [],
    }

    set_special_hours(world.a.owner, studio, date=christmas_eve, hours=None)
    assert Studio.objects.get(pk=studio.pk).special_hours == {"2026-12-25": []}


def test_it_drops_past_special_hours(world, frozen):
    Studio.objects.filter(pk=world.a.studio.pk).update(special_hours={"2026-01-01": []})

    studio = set_special_hours(
        world.a.owner, world.a.studio, date=dt.date(2026, 4, 3), hours=["10:00", "14:00"]
    )

    assert studio.special_hours == {"2026-04-03": ["10:00", "14:00"]}


@pytest.mark.parametrize(
    ("day", "hours", "message"),
    [
        (dt.date(2026, 2, 24), [], "in the past"),
        (dt.date(2026, 4, 3), ["14:00", "10:00"], "must be before closing time"),
        (dt.datetime(2026, 4, 3, 10), [], "calendar date"),
    ],
)
def test_it_validates_special_hours(world, frozen, day, hours, message):
    with pytest.raises(DomainError, match=message):
        set_special_hours(world.a.owner, world.a.studio, date=day, hours=hours)
    assert Studio.objects.get(pk=world.a.studio.pk).special_hours == {}


# --------------------------------------------------------------------------------- closures


def test_it_adds_a_closure(world, frozen):
    closure = add_closure(world.a.manager, world.a.studio, date=NEXT_MONDAY, reason="Floor works")

    assert (closure.organization, closure.date, closure.reason) == (
        world.a.organization,
        NEXT_MONDAY,
        "Floor works",
    )
    assert audit_codes() == ["studios.closure.added"]


def test_it_refuses_a_closure_on_a_day_with_classes(world, frozen):
    make_session(world.a, starts_at=local(NEXT_MONDAY, 7), instructor=None)
    make_session(world.a, starts_at=local(NEXT_MONDAY, 18, 30), instructor=None)
    # Neither the day before (local) nor another studio counts.
    make_session(world.a, starts_at=local(NEXT_MONDAY - dt.timedelta(days=1), 23), instructor=None)
    other_room = factories.RoomFactory(studio=world.a.other_studio)
    make_session(world.a, starts_at=local(NEXT_MONDAY, 7), room=other_room, instructor=None)

    with pytest.raises(DomainError, match="Cancel the 2 classes on that day first") as error:
        add_closure(world.a.owner, world.a.studio, date=NEXT_MONDAY, reason="Floor works")

    assert error.value.code == "closure.classes_scheduled"
    assert error.value.data["count"] == 2
    assert not Closure.objects.exists()


def test_it_ignores_cancelled_classes_when_closing(world, frozen):
    make_session(world.a, starts_at=local(NEXT_MONDAY, 7), status="cancelled", instructor=None)

    assert add_closure(world.a.owner, world.a.studio, date=NEXT_MONDAY).date == NEXT_MONDAY


def test_it_refuses_a_second_closure_and_a_past_one(world, frozen):
    add_closure(world.a.owner, world.a.studio, date=NEXT_MONDAY)

    with pytest.raises(DomainError, match="already closed on Mon 2 Mar 2026"):
        add_closure(world.a.owner, world.a.studio, date=NEXT_MONDAY)
    with pytest.raises(DomainError, match="in the past"):
        add_closure(world.a.owner, world.a.studio, date=dt.date(2026, 2, 24))
    assert Closure.objects.count() == 1


def test_it_removes_a_closure(world, frozen):
    closure = add_closure(world.a.owner, world.a.studio, date=NEXT_MONDAY)

    remove_closure(world.a.owner, closure)

    assert not Closure.objects.exists()
    assert audit_codes() == ["studios.closure.added", "studios.closure.removed"]


def test_it_keeps_past_closures(world, frozen):
    closure = factories_closure(world, dt.date(2026, 2, 1))

    with pytest.raises(DomainError, match="in the past"):
        remove_closure(world.a.owner, closure)
    assert Closure.objects.filter(pk=closure.pk).exists()


def factories_closure(world, day):
    return Closure.objects.create(
        organization=world.a.organization, studio=world.a.studio, date=day
    )


# ----------------------------------------------------------------------------------- policy


def test_it_updates_the_policy(world):
    policy = update_policy(
        world.a.manager,
        world.a.studio,
        booking_window_days=21,
        cancellation_window_hours="24",
        late_cancel_rule="refund",
        waitlist_mode="off",
        quiet_hours_start="21:30",
        quiet_hours_end=dt.time(7, 0),
    )

    policy.refresh_from_db()
    assert policy.booking_window_days == 21
    assert policy.cancellation_window_hours == 24
    assert policy.late_cancel_rule == "refund"
    assert policy.waitlist_mode == "off"
    assert (policy.quiet_hours_start, policy.quiet_hours_end) == (dt.time(21, 30), dt.time(7))
    event = AuditEvent.objects.get(code="studios.policy.updated")
    assert event.data["changes"]["booking_window_days"] == [14, 21]


def test_it_clears_quiet_hours(world):
    update_policy(world.a.owner, world.a.studio, quiet_hours_start="22:00", quiet_hours_end="07:00")

    policy = update_policy(
        world.a.owner, world.a.studio, quiet_hours_start=None, quiet_hours_end=""
    )

    assert (policy.quiet_hours_start, policy.quiet_hours_end) == (None, None)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"booking_window_days": 0}, "Booking window \\(days\\) must be between 1 and 365"),
        ({"cancellation_window_hours": -1}, "between 0 and 720"),
        ({"strike_count": "three"}, "must be a whole number"),
        ({"strike_count": True}, "must be a whole number"),
        ({"late_cancel_rule": "forfeit"}, "Late-cancel rule must be one of: keep_credit, refund"),
        ({"waitlist_mode": "manual"}, "Waitlist mode must be one of"),
        ({"quiet_hours_start": "22:00"}, "both a start and an end"),
        ({"quiet_hours_start": "22:00", "quiet_hours_end": "22:00"}, "different times"),
        ({"quiet_hours_end": "7pm", "quiet_hours_start": "07:00"}, "Quiet hours end must look"),
        ({"studio": 3}, "'studio' is not a studio policy setting"),
    ],
)
def test_it_validates_the_policy(world, fields, message):
    with pytest.raises(DomainError, match=message):
        update_policy(world.a.owner, world.a.studio, **fields)
    policy = StudioPolicy.objects.get(studio=world.a.studio)
    assert (policy.booking_window_days, policy.quiet_hours_start) == (14, None)
    assert not AuditEvent.objects.exists()
