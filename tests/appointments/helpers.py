"""Building blocks for appointment tests (also used by the concurrency suite, the tenancy
rows and the bench)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from reformer.appointments.models import AppointmentType, WeeklyHours
from reformer.core.timezones import local_to_utc, local_today
from tests import factories


def private_room(tenant, *, reformers: int = 2, towers: int = 1):
    room = factories.RoomFactory(studio=tenant.studio, name="Private Studio", capacity=4)
    spots = [
        factories.SpotFactory(room=room, label=f"Private reformer {i + 1}", row=0, column=i)
        for i in range(reformers)
    ]
    spots += [
        factories.SpotFactory(
            room=room, label=f"Tower {i + 1}", equipment_type="tower", row=1, column=i
        )
        for i in range(towers)
    ]
    return room, spots


def make_type(tenant, *, name="Private 55", capacity=1, instructors=None, **fields):
    kind = AppointmentType.objects.create(
        organization=tenant.organization,
        name=name,
        capacity=capacity,
        duration_minutes=fields.pop("duration_minutes", 55),
        **fields,
    )
    kind.instructors.set(instructors if instructors is not None else [tenant.instructor])
    return kind


def open_every_day(tenant, instructor=None, *, studio=None, starts="08:00", ends="18:00"):
    instructor = instructor or tenant.instructor
    for day in range(7):
        WeeklyHours.objects.create(
            organization=tenant.organization,
            instructor=instructor,
            studio=studio or tenant.studio,
            weekday=day,
            starts=dt.time.fromisoformat(starts),
            ends=dt.time.fromisoformat(ends),
        )


def local_day(tenant, days: int = 3) -> dt.date:
    return local_today(tenant.studio.time_zone, timezone.now()) + dt.timedelta(days=days)


def at(tenant, *, days: int = 3, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A local time `days` ahead at the tenant's main studio, in UTC."""
    return local_to_utc(local_day(tenant, days), dt.time(hour, minute), tenant.studio.time_zone)


def setup_privates(tenant, *, capacity=1, name="Private 55"):
    room, spots = private_room(tenant)
    kind = make_type(tenant, capacity=capacity, name=name)
    open_every_day(tenant)
    return kind, room, spots
