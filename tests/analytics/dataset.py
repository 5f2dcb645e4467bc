"""A small known dataset for the metrics, with hand-computed expectations.

The clock stands at 2026-03-15 12:00 UTC (08:00 in New York, EDT since March 8).
Tenant a: "alpha Main" (room of 10) and "alpha Annex" (room of 5), both America/New_York.

| session | studio | local start   | cap | status    | bookings                                  |
|---------|--------|---------------|-----|-----------|-------------------------------------------|
| s1      | Main   | Mar 2 09:00   | 10  | scheduled | 3 attended, 1 no-show, 1 cancelled, 1 late|
| s2      | Main   | Mar 20 09:00  | 10  | scheduled | 2 confirmed, 1 cancelled                  |
| s3      | Annex  | Mar 10 09:00  | 5   | scheduled | 2 attended, 2 no-show                     |
| s4      | Main   | Mar 5 09:00   | 10  | cancelled | -                                         |
| s5      | Main   | Feb 28 23:30  | 10  | scheduled | 1 attended (Mar 1 04:30 UTC: February)    |
| s6      | Main   | Mar 31 23:30  | 10  | scheduled | 1 confirmed (Apr 1 03:30 UTC: March)      |

Payments (created, local, studio): Mar 3 100.00 succeeded (Main); Mar 4 50 failed (Main);
Feb 28 23:00 70.00 succeeded (Main; Mar 1 04:00 UTC: February); Mar 10 30 refunded in full
(Annex); Mar 12 25.50 succeeded (Annex).

Bookings made (created_at) in the last 30 days and not cancelled: s2's two confirmed on
Mar 14 23:30 local (Mar 15 03:30 UTC), s6's on Mar 15 01:00 local. All others: Jan 2.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from reformer.billing.models import Payment
from reformer.bookings.models import Booking
from reformer.scheduling.models import ClassSession
from tests import factories

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
OLD = dt.datetime(2026, 1, 2, 15, 0, tzinfo=UTC)


@dataclass
class Dataset:
    sessions: dict
    annex_room: object
    clients: list


def _session(tenant, room, key, starts_at, capacity, *, status="scheduled", instructor=None):
    return factories.ClassSessionFactory(
        room=room,
        class_type=tenant.class_type,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=50),
        capacity=capacity,
        status=status,
        instructor=instructor,
    )


def build(tenant) -> Dataset:
    org = tenant.organization
    annex_room = factories.RoomFactory(studio=tenant.other_studio, name="Annex Room", capacity=5)
    clients = [factories.MembershipFactory(organization=org, role="client") for _ in range(6)] + [
        tenant.client
    ]
    instructor = tenant.instructor
    sessions = {
        "s1": _session(tenant, tenant.room, "s1", dt.datetime(2026, 3, 2, 14, tzinfo=UTC), 10),
        "s2": _session(
            tenant,
            tenant.room,
            "s2",
            dt.datetime(2026, 3, 20, 13, tzinfo=UTC),
            10,
            instructor=instructor,
        ),
        "s3": _session(tenant, annex_room, "s3", dt.datetime(2026, 3, 10, 13, tzinfo=UTC), 5),
        "s4": _session(
            tenant,
            tenant.room,
            "s4",
            dt.datetime(2026, 3, 5, 14, tzinfo=UTC),
            10,
            status="cancelled",
        ),
        "s5": _session(tenant, tenant.room, "s5", dt.datetime(2026, 3, 1, 4, 30, tzinfo=UTC), 10),
        "s6": _session(
            tenant,
            tenant.room,
            "s6",
            dt.datetime(2026, 4, 1, 3, 30, tzinfo=UTC),
            10,
            instructor=instructor,
        ),
    }
    plan = {
        "s1": ["attended"] * 3 + ["no_show", "cancelled", "late_cancelled"],
        "s2": ["confirmed", "confirmed", "cancelled"],
        "s3": ["attended", "attended", "no_show", "no_show"],
        "s5": ["attended"],
        "s6": ["confirmed"],
    }
    recent = {
        "s2": dt.datetime(2026, 3, 15, 3, 30, tzinfo=UTC),
        "s6": dt.datetime(2026, 3, 15, 5, 0, tzinfo=UTC),
    }
    for key, statuses in plan.items():
        session = sessions[key]
        for client, status in zip(clients, statuses, strict=False):
            booking = Booking.objects.create(
                organization=org,
                session=session,
                client=client,
                starts_at=session.starts_at,
                ends_at=session.ends_at,
                status=status,
            )
            made = recent.get(key, OLD) if status == "confirmed" else OLD
            Booking.objects.filter(pk=booking.pk).update(created_at=made)
        held = sum(status in Booking.HOLDING for status in statuses)
        ClassSession.objects.filter(pk=session.pk).update(booked_count=held)
    main, annex = tenant.studio, tenant.other_studio
    payments = [
        (dt.datetime(2026, 3, 3, 15, tzinfo=UTC), "100.00", "succeeded", main),
        (dt.datetime(2026, 3, 4, 15, tzinfo=UTC), "50.00", "failed", main),
        (dt.datetime(2026, 3, 1, 4, 0, tzinfo=UTC), "70.00", "succeeded", main),
        (dt.datetime(2026, 3, 10, 15, tzinfo=UTC), "30.00", "refunded", annex),
        (dt.datetime(2026, 3, 12, 15, tzinfo=UTC), "25.50", "succeeded", annex),
    ]
    for created_at, amount, status, studio in payments:
        Payment.objects.create(
            organization=org,
            studio=studio,
            client=tenant.client,
            amount=Decimal(amount),
            amount_refunded=Decimal(amount) if status == "refunded" else 0,
            currency="USD",
            status=status,
            created_at=created_at,
        )
    for session in sessions.values():
        session.refresh_from_db()
    return Dataset(sessions=sessions, annex_room=annex_room, clients=clients)
