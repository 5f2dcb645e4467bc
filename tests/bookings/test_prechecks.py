"""The class and everything a booking reads before the lock, in one statement
(bookings/actions/_prechecks.py): the same answers as the separate reads."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from reformer.bookings.actions import _prechecks
from reformer.bookings.context import load_session
from reformer.core.timezones import local_week_bounds
from reformer.scheduling.models import ClassSession

# Zones with a daylight-saving change near the week's edge, one far east, one without DST.
ZONES = ["Europe/London", "America/New_York", "Pacific/Auckland", "Asia/Kolkata", "UTC"]


@pytest.mark.parametrize("zone", ZONES)
def test_it_reads_what_the_class_and_the_separate_reads_give(tenant, session, alice, zone):
    tenant.studio.time_zone = zone
    tenant.studio.save()
    package = alice.packages.get()
    package.weekly_limit = 3
    package.save()
    # A Monday just after local midnight and a Sunday just before: the week's two edges.
    for day, at in (
        (dt.date(2027, 3, 29), dt.time(0, 30)),
        (dt.date(2027, 11, 7), dt.time(23, 30)),
    ):
        local = dt.datetime.combine(day, at).replace(tzinfo=zoneinfo.ZoneInfo(zone))
        ClassSession.objects.filter(pk=session.pk).update(
            starts_at=local, ends_at=local + dt.timedelta(minutes=50)
        )
        now = timezone.now()
        loaded, together = _prechecks.load_before_lock(session.pk, alice, None, now=now)
        apart = _prechecks.read_before_lock(alice, load_session(session.pk), None, now=now)
        assert loaded.starts_at == local and loaded.studio.time_zone == zone
        assert loaded.organization_id == tenant.organization.pk
        assert together.readiness == apart.readiness
        assert [p.pk for p in together.checked.state.packages] == [package.pk]
        assert [p.week_used for p in together.checked.state.packages] == [
            p.week_used for p in apart.checked.state.packages
        ]
        assert together.drawn[1:] == apart.drawn[1:]  # the spot (the ids are drawn anew)


def test_the_week_of_the_statement_is_the_one_of_local_week_bounds(tenant, session, alice):
    """The statement computes the class's local week itself and returns it; should it ever
    differ from core.timezones (an ambiguous midnight), the reads are made again with it."""
    columns = _prechecks.session_select()[2]
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            _prechecks._with_class_sql(),
            {
                "org": alice.organization_id,
                "client": alice.pk,
                "now": timezone.now(),
                "session_id": session.pk,
                "spot_chosen": False,
                "webhook_event": "booking.created",
            },
        )
        row = cursor.fetchone()
    assert tuple(row[columns : columns + 2]) == local_week_bounds(
        session.starts_at, tenant.studio.time_zone
    )


def test_a_week_the_statement_reads_otherwise_is_read_again(tenant, session, alice, monkeypatch):
    calls = []
    read_again = _prechecks.read_before_lock

    def spy(*args, **kwargs):
        calls.append(args)
        return read_again(*args, **kwargs)

    monkeypatch.setattr(_prechecks, "read_before_lock", spy)
    monkeypatch.setattr(_prechecks, "local_week_bounds", lambda moment, zone: (moment, moment))
    _loaded, read = _prechecks.load_before_lock(session.pk, alice, None, now=timezone.now())
    assert len(calls) == 1 and read.checked.state.packages


def test_a_missing_class_is_not_found(alice):
    with pytest.raises(ClassSession.DoesNotExist):
        _prechecks.load_before_lock(987654, alice, None, now=timezone.now())
