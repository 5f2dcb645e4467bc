from __future__ import annotations

import datetime as dt

from django.utils import timezone

from reformer.core.timezones import local_to_utc, local_today
from reformer.web.client.forms import BrowseFilterForm
from reformer.web.client.queries import browse_sessions, filter_options
from tests import factories


def _filters(actor, **params):
    today = local_today(actor.organization.time_zone)
    form = BrowseFilterForm(params, options=filter_options(actor), today=today)
    return form.filters()


def test_it_filters_by_local_time_of_day(world):
    a = world.a
    tomorrow = local_today("America/New_York") + dt.timedelta(days=1)
    for hour in (7, 13, 19):
        factories.ClassSessionFactory(
            room=a.room,
            class_type=a.class_type,
            starts_at=local_to_utc(tomorrow, dt.time(hour), "America/New_York"),
            ends_at=local_to_utc(tomorrow, dt.time(hour, 50), "America/New_York"),
        )
    page = browse_sessions(a.client, _filters(a.client, when="tomorrow", time="evening"))
    assert [c.local_start.hour for c in page.cards] == [19]
    page = browse_sessions(a.client, _filters(a.client, when="tomorrow"))
    assert [c.local_start.hour for c in page.cards] == [7, 13, 19]
    assert timezone.now() < page.cards[0].row.starts_at
