"""Building blocks for the client page tests: classes at local times, packages, bookings."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from reformer.bookings.actions import book_session, join_waitlist
from reformer.core.timezones import local_to_utc, local_today
from tests import factories

TZ = "America/New_York"


def local_day(offset: int = 0) -> dt.date:
    return local_today(TZ) + dt.timedelta(days=offset)


def session_at(
    tenant,
    *,
    day: int = 1,
    hour: int = 9,
    minute: int = 0,
    studio=None,
    room=None,
    class_type=None,
    instructor=None,
    capacity: int = 10,
    **fields,
):
    """A class `day` days from today at a local time (studio: the tenant's main one)."""
    room = room or (tenant.room if studio is None else factories.RoomFactory(studio=studio))
    start = local_to_utc(local_day(day), dt.time(hour, minute), TZ)
    return factories.ClassSessionFactory(
        room=room,
        class_type=class_type or tenant.class_type,
        instructor=instructor,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=50),
        capacity=capacity,
        **fields,
    )


def later_today(tenant, *, minutes: int = 90, **fields):
    """A class later today (or just after midnight when it is late: tests avoid that)."""
    start = (timezone.now() + dt.timedelta(minutes=minutes)).replace(second=0, microsecond=0)
    return factories.ClassSessionFactory(
        room=fields.pop("room", tenant.room),
        class_type=fields.pop("class_type", tenant.class_type),
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=50),
        **fields,
    )


def package_for(member, *, credits: int | None = 10, remaining: int | None = None, **fields):
    kind = "unlimited" if credits is None else "class_pack"
    product = factories.PackageProductFactory(
        organization=member.organization, kind=kind, credits=credits
    )
    return factories.ClientPackageFactory(
        client=member,
        product=product,
        credits_total=credits,
        credits_remaining=credits if remaining is None else remaining,
        **fields,
    )


def book(member, session, **kwargs):
    return book_session(member, session, **kwargs)


def fill(session, tenant, *, count: int | None = None):
    """Book the class full (or `count` places) with fresh clients of the tenant."""
    count = session.capacity - session.booked_count if count is None else count
    for _ in range(count):
        other = factories.MembershipFactory(organization=tenant.organization, role="client")
        package_for(other)
        session.refresh_from_db()
        book_session(other, session)
    session.refresh_from_db()
    return session


def wait_for(member, session):
    return join_waitlist(member, session)
