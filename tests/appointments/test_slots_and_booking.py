"""Open slots and booking appointments: hours, time off, classes and equipment in the way,
credits through the ledger, duets, cancellation windows, attendance."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from reformer.appointments import actions, slots
from reformer.appointments.models import Appointment, Attendee, HoursException, Occupancy
from reformer.billing.models import ClientPackage, CreditLedger
from reformer.bookings import actions as booking_actions
from reformer.core.errors import DomainError
from reformer.scheduling.models import InstructorUnavailability
from tests import factories
from tests.appointments import helpers as ah
from tests.bookings import helpers

pytestmark = pytest.mark.django_db


def day_slots(kind, tenant, days=3, **kw):
    return slots.search(kind, tenant.studio, first_day=ah.local_day(tenant, days), days=1, **kw)


def test_slots_follow_the_weekly_hours_on_the_half_hour(tenant, private):
    found = day_slots(private, tenant)
    starts = [s.starts_at for s in found.slots]
    assert starts[0] == ah.at(tenant, hour=8)
    # 55 minutes must fit before 18:00: the last start is 17:00.
    assert starts[-1] == ah.at(tenant, hour=17)
    assert len(starts) == 19
    assert all(s.instructor_id == tenant.instructor.pk for s in found.slots)
    # Ten reformers in the group room and two in the private room.
    assert all(len(s.spot_ids) == 12 for s in found.slots)


def test_time_off_blocked_hours_and_classes_remove_slots(tenant, private):
    day = ah.local_day(tenant)
    HoursException.objects.create(
        organization=tenant.organization,
        instructor=tenant.instructor,
        studio=tenant.studio,
        date=day,
        kind="blocked",
        starts=dt.time(12),
        ends=dt.time(14),
    )
    factories.make_session(tenant, starts_at=ah.at(tenant, hour=9), minutes=50)
    starts = {s.starts_at for s in day_slots(private, tenant).slots}
    assert ah.at(tenant, hour=9) not in starts and ah.at(tenant, hour=8) in starts
    assert ah.at(tenant, hour=8, minute=30) not in starts  # would run into the class
    assert ah.at(tenant, hour=10) in starts
    assert ah.at(tenant, hour=12) not in starts and ah.at(tenant, hour=13) not in starts
    assert ah.at(tenant, hour=11) in starts  # 11:00-11:55 ends before 12:00
    InstructorUnavailability.objects.create(
        organization=tenant.organization, instructor=tenant.instructor, starts_on=day, ends_on=day
    )
    assert day_slots(private, tenant).slots == []


def test_extra_hours_add_slots(tenant, private):
    HoursException.objects.create(
        organization=tenant.organization,
        instructor=tenant.instructor,
        studio=tenant.studio,
        date=ah.local_day(tenant),
        kind="extra",
        starts=dt.time(19),
        ends=dt.time(21),
    )
    starts = {s.starts_at for s in day_slots(private, tenant).slots}
    assert ah.at(tenant, hour=19) in starts and ah.at(tenant, hour=20) in starts


def test_booking_spends_credits_through_the_ledger_and_occupies(tenant, private, alice):
    attendee = actions.book_appointment(
        alice,
        private,
        studio=tenant.studio,
        instructor=tenant.instructor,
        starts_at=ah.at(tenant, hour=10),
    )
    package = ClientPackage.objects.get(pk=attendee.client_package_id)
    assert package.credits_remaining == 4
    entry = CreditLedger.objects.get(client_package=package)
    assert entry.delta == -1 and attendee.appointment.reference in entry.note
    assert Occupancy.objects.filter(appointment_id=attendee.appointment_id).count() == 1
    assert Occupancy.objects.filter(attendee_id=attendee.pk, client_id=alice.pk).count() == 1
    # The slot is gone for the instructor; another instructor's slot would remain.
    starts = {s.starts_at for s in day_slots(private, tenant).slots}
    assert ah.at(tenant, hour=10) not in starts and ah.at(tenant, hour=9, minute=30) not in starts
    helpers.assert_consistent()


def test_bad_slots_are_refused_with_nothing_written(tenant, private, alice):
    before = Appointment.objects.count(), CreditLedger.objects.count()
    cases = [
        (timezone.now() - dt.timedelta(hours=2), "validation"),  # the past
        (ah.at(tenant, hour=6), "appointment.outside_hours"),
        (ah.at(tenant, hour=17, minute=30), "appointment.outside_hours"),  # runs past 18:00
        (ah.at(tenant, days=60, hour=10), "booking.not_open"),
        (ah.at(tenant, hour=10, minute=15), "validation"),  # off the half-hour grid
    ]
    for starts_at, code in cases:
        with pytest.raises(DomainError) as error:
            actions.book_appointment(
                alice,
                private,
                studio=tenant.studio,
                instructor=tenant.instructor,
                starts_at=starts_at,
            )
        assert error.value.code == code, (starts_at, error.value.message)
    assert (Appointment.objects.count(), CreditLedger.objects.count()) == before


def test_instructor_class_blocks_the_appointment_and_the_other_way(tenant, private, alice):
    factories.make_session(tenant, starts_at=ah.at(tenant, hour=11), minutes=50)
    with pytest.raises(DomainError) as error:
        actions.book_appointment(
            alice,
            private,
            studio=tenant.studio,
            instructor=tenant.instructor,
            starts_at=ah.at(tenant, hour=11),
        )
    assert error.value.code == "appointment.slot_taken"
    actions.book_appointment(
        alice,
        private,
        studio=tenant.studio,
        instructor=tenant.instructor,
        starts_at=ah.at(tenant, hour=14),
    )
    from reformer.scheduling import actions as scheduling_actions

    with pytest.raises(DomainError) as error:
        scheduling_actions.create_session(
            tenant.owner,
            studio=tenant.studio,
            room=tenant.room,
            class_type=tenant.class_type,
            starts_at=ah.at(tenant, hour=14, minute=30),
            instructor=tenant.instructor,
        )
    assert error.value.code == "session.instructor_busy"
    assert "appointment" in error.value.message


def test_a_client_with_an_appointment_cannot_book_a_class_then(tenant, private, alice):
    actions.book_appointment(
        alice,
        private,
        studio=tenant.studio,
        instructor=tenant.instructor,
        starts_at=ah.at(tenant, hour=10),
    )
    other = ah.make_type(
        tenant, name="Tower private", instructors=[tenant.manager], equipment="tower"
    )
    session = factories.make_session(
        tenant, starts_at=ah.at(tenant, hour=10, minute=30), instructor=tenant.owner
    )
    with pytest.raises(DomainError) as error:
        booking_actions.book_session(alice, session)
    assert error.value.code == "booking.overlap"
    assert other.pk
    helpers.assert_consistent()


def test_a_duet_takes_two_clients_and_refuses_a_third(tenant, alice, bob):
    ah.setup_privates(tenant, capacity=2, name="Duet 55")
    from reformer.appointments.models import AppointmentType

    duet = AppointmentType.objects.get(name="Duet 55")
    attendee = actions.book_appointment(
        tenant.front_desk,
        duet,
        studio=tenant.studio,
        instructor=tenant.instructor,
        starts_at=ah.at(tenant, hour=10),
        client=alice,
    )
    assert attendee.source == Attendee.Source.STAFF
    guest = actions.invite_to_appointment(tenant.front_desk, attendee.appointment, bob)
    assert guest.source == Attendee.Source.INVITED
    carol = helpers.make_client(tenant, "Carol")
    helpers.give_package(carol, credits=5)
    with pytest.raises(DomainError) as error:
        actions.invite_to_appointment(tenant.front_desk, attendee.appointment, carol)
    assert error.value.code == "appointment.full"
    assert "2 clients" in error.value.message
    assert Appointment.objects.get(pk=attendee.appointment_id).booked_count == 2
    assert not CreditLedger.objects.filter(client_package__client=carol).exists()


def test_no_package_of_the_right_kind(tenant, private):
    private.credit_kind = "membership"
    private.save()
    client = helpers.make_client(tenant, "Dora")
    helpers.give_package(client, credits=5)  # a class pack
    with pytest.raises(DomainError) as error:
        actions.book_appointment(
            client,
            private,
            studio=tenant.studio,
            instructor=tenant.instructor,
            starts_at=ah.at(tenant, hour=10),
        )
    assert error.value.code == "booking.insufficient_credits"
    assert "membership" in error.value.message
    assert not Appointment.objects.exists()


def test_cancel_in_time_refunds_and_frees_late_keeps(tenant, private, alice):
    attendee = actions.book_appointment(
        alice,
        private,
        studio=tenant.studio,
        instructor=tenant.instructor,
        starts_at=ah.at(tenant, hour=10),
    )
    actions.cancel_appointment_place(alice, attendee)
    attendee.refresh_from_db()
    assert attendee.status == "cancelled" and attendee.credit_returned
    assert ClientPackage.objects.get(pk=attendee.client_package_id).credits_remaining == 5
    assert Appointment.objects.get(pk=attendee.appointment_id).status == "cancelled"
    assert not Occupancy.objects.filter(appointment_id=attendee.appointment_id).exists()
    # Inside the window (24 h): a late cancel keeps the credit.
    soon = timezone.now() + dt.timedelta(hours=3)
    private.cancellation_window_hours = 24
    private.save()
    found = slots.search(private, tenant.studio, days=2)
    slot = next(s for s in found.slots if s.starts_at >= soon)
    late = actions.book_appointment(
        alice,
        private,
        studio=tenant.studio,
        instructor=tenant.instructor,
        starts_at=slot.starts_at,
    )
    actions.cancel_appointment_place(alice, late)
    late.refresh_from_db()
    assert late.status == "late_cancelled" and not late.credit_returned
    assert ClientPackage.objects.get(pk=late.client_package_id).credits_remaining == 4
    helpers.assert_consistent()


def test_attendance_and_no_show_sweep(tenant, private, alice, bob, time_machine):
    first = actions.book_appointment(
        alice,
        private,
        studio=tenant.studio,
        instructor=tenant.instructor,
        starts_at=ah.at(tenant, hour=10),
    )
    second = actions.book_appointment(
        bob,
        private,
        studio=tenant.studio,
        instructor=tenant.instructor,
        starts_at=ah.at(tenant, hour=11),
    )
    with pytest.raises(DomainError) as error:
        actions.mark_attendee(tenant.front_desk, first, "attended")
    assert error.value.code == "attendance.too_early"
    ten_to_ten, one_pm = ah.at(tenant, hour=9, minute=50), ah.at(tenant, hour=13)
    time_machine.move_to(ten_to_ten)
    actions.mark_attendee(tenant.instructor, first, "attended")
    first.refresh_from_db()
    assert first.status == "attended" and first.checked_in_at is not None
    time_machine.move_to(one_pm)
    assert actions.mark_overdue_no_shows() == 1
    second.refresh_from_db()
    assert second.status == "no_show"
    helpers.assert_consistent()


def test_another_instructor_cannot_mark_attendance(tenant, private, alice, time_machine):
    attendee = actions.book_appointment(
        alice,
        private,
        studio=tenant.studio,
        instructor=tenant.instructor,
        starts_at=ah.at(tenant, hour=10),
    )
    other = helpers.make_client(tenant, "Other")
    other.role = "instructor"
    other.save()
    other.studios.add(tenant.studio)
    time_machine.move_to(ah.at(tenant, hour=10))
    from reformer.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.mark_attendee(other, attendee, "attended")


def test_overlapping_weekly_hours_are_refused(tenant):
    actions.add_weekly_hours(
        tenant.instructor, tenant.instructor, tenant.studio, weekday=0, starts="09:00", ends="12:00"
    )
    with pytest.raises(DomainError) as error:
        actions.add_weekly_hours(
            tenant.manager,
            tenant.instructor,
            tenant.other_studio if False else tenant.studio,
            weekday=0,
            starts="11:00",
            ends="13:00",
        )
    assert error.value.code == "validation" and "already has hours" in error.value.message
    with pytest.raises(DomainError) as error:
        actions.add_weekly_hours(
            tenant.instructor,
            tenant.instructor,
            tenant.studio,
            weekday=1,
            starts="12:00",
            ends="09:00",
        )
    assert error.value.message == "The end must be after the start."
    with pytest.raises(DomainError):
        actions.add_weekly_hours(
            tenant.instructor,
            tenant.instructor,
            tenant.studio,
            weekday=9,
            starts="08:00",
            ends="09:00",
        )
    from reformer.appointments.models import WeeklyHours

    assert WeeklyHours.objects.count() == 1


def test_appointment_type_validation(tenant):
    ah.private_room(tenant)
    bad = [
        ({"name": "Quartet", "capacity": 4, "equipment": "reformer"}, "capacity"),
        ({"name": "", "equipment": "reformer"}, "name"),
        ({"name": "Sky", "equipment": "trapeze"}, "equipment"),
        ({"name": "Long", "equipment": "reformer", "duration_minutes": 600}, "duration_minutes"),
    ]
    for data, field in bad:
        with pytest.raises(DomainError) as error:
            actions.create_appointment_type(tenant.owner, data)
        assert error.value.data["field"] == field
    kind = actions.create_appointment_type(
        tenant.owner,
        {"name": "Trio 55", "capacity": "3", "equipment": "Reformer", "credits": 2},
        instructor_ids=[tenant.instructor.pk],
    )
    assert kind.capacity == 3 and kind.equipment == "reformer"
    assert list(kind.instructors.all()) == [tenant.instructor]
