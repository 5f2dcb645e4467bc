from __future__ import annotations

import datetime as dt

from procrastinate.contrib.django import app

from reformer.scheduling.jobs import generate_upcoming_sessions
from reformer.scheduling.models import ClassSession, RecurringTemplate
from tests.scheduling.helpers import NEXT_MONDAY, NOW


def test_it_schedules_generation_nightly():
    periodic = {
        task_name: entry.cron
        for (task_name, _), entry in app.periodic_registry.periodic_tasks.items()
    }

    assert periodic[generate_upcoming_sessions.name] == "15 3 * * *"
    assert generate_upcoming_sessions.queueing_lock == "scheduling.generate_upcoming_sessions"


def test_it_generates_four_weeks_ahead_of_the_scheduled_day(world, frozen):
    RecurringTemplate.objects.create(
        organization=world.a.organization,
        studio=world.a.studio,
        room=world.a.room,
        class_type=world.a.class_type,
        weekday=0,
        local_start_time=dt.time(7),
        capacity=8,
        start_date=NEXT_MONDAY,
    )

    created = generate_upcoming_sessions(timestamp=int(NOW.timestamp()))
    again = generate_upcoming_sessions(timestamp=int(NOW.timestamp()))

    # Wednesday 25 February + 4 weeks = Wednesday 25 March: Mondays 2, 9, 16 and 23 March.
    assert (created, again) == (4, 0)
    assert ClassSession.objects.count() == 4
