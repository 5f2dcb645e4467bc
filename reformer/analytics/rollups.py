"""Keeping the ClientMonth rollup current.

`refresh(organization_id)` rebuilds the months from two months before "now" onwards and
every month not yet rolled up, then moves `complete_before` to the current month; it also
brings ClientVisits up to "now" (`visits.refresh_visits`). Late
changes to older months (attendance marked weeks later) are caught by `rebuild`, which the
nightly job runs. Readers use `activity_sql`, which unions the rollup (months before
`complete_before`) with the live bookings (from it on): the answer is the same as a
direct computation whenever the job ran.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from reformer.analytics.models import RollupState
from reformer.analytics.visits import refresh_visits
from reformer.studios.models import Organization

# Months local to each class's studio.
_MONTH = "date_trunc('month', b.starts_at AT TIME ZONE st.time_zone)::date"

_LIVE = f"""
    SELECT b.client_id, s.studio_id, {_MONTH} AS month,
           COUNT(*) FILTER (WHERE b.status IN ('confirmed', 'attended', 'no_show')) AS booked,
           COUNT(*) FILTER (WHERE b.status = 'attended') AS attended
      FROM bookings_booking b
      JOIN scheduling_classsession s ON s.id = b.session_id
      JOIN studios_studio st ON st.id = s.studio_id
     WHERE b.organization_id = %s AND b.status IN ('confirmed', 'attended', 'no_show')
"""


def _slack_instant(month: dt.date) -> dt.datetime:
    """An instant safely before the month starts anywhere (lets the index skip older rows)."""
    return dt.datetime.combine(month - dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _previous_month(day: dt.date, n: int = 1) -> dt.date:
    for _ in range(n):
        day = (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return day


def refresh(organization_id: int, *, now: dt.datetime | None = None, full: bool = False) -> None:
    now = now or timezone.now()
    organization = Organization.objects.get(pk=organization_id)
    # The latest month any studio may be in (zones ahead of UTC are at most +14 h).
    current = _month_start((now + dt.timedelta(hours=14)).date())
    state = RollupState.objects.filter(organization_id=organization_id).first()
    if full or state is None:
        since = None
    else:
        since = min(_previous_month(current, 2), state.complete_before)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext('analytics-rollup'), %s)", [organization_id]
        )
        delete = "DELETE FROM analytics_clientmonth WHERE organization_id = %s"
        params: list[Any] = [organization_id]
        live = _LIVE
        live_params: list[Any] = [organization_id]
        if since is not None:
            delete += " AND month >= %s"
            params.append(since)
            live += f" AND {_MONTH} >= %s AND b.starts_at >= %s"
            live_params += [since, _slack_instant(since)]
        live += f" AND {_MONTH} < %s GROUP BY 1, 2, 3"
        live_params.append(current)
        cursor.execute(delete, params)
        cursor.execute(
            "INSERT INTO analytics_clientmonth (client_id, studio_id, month, booked, attended,"
            f" organization_id) SELECT client_id, studio_id, month, booked, attended, %s"
            f" FROM ({live}) AS live",
            [organization_id, *live_params],
        )
        _refresh_firsts(cursor, organization_id, since)
        visits_before = None if full or state is None else state.visits_before
        if visits_before is not None and now < visits_before:
            visits_before = None  # asked about an earlier "now": rebuilt up to it
        refresh_visits(cursor, organization_id, visits_before, now)
        RollupState.objects.update_or_create(
            organization=organization,
            defaults={"complete_before": current, "refreshed_at": now, "visits_before": now},
        )


_FIRSTS = """
    SELECT b.client_id, s.studio_id,
           MIN(b.starts_at) AS first_booked_at,
           MIN(b.starts_at) FILTER (WHERE b.status = 'attended') AS first_attended_at
      FROM bookings_booking b JOIN scheduling_classsession s ON s.id = b.session_id
     WHERE b.organization_id = %s AND b.status IN ('confirmed', 'attended', 'no_show')
"""


def _refresh_firsts(cursor, organization_id: int, since: dt.date | None) -> None:
    """Full: rebuilt. Incremental: the recent bookings can only make a first earlier
    (LEAST ignores NULL); corrections to old bookings wait for the nightly rebuild."""
    if since is None:
        cursor.execute(
            "DELETE FROM analytics_clientfirsts WHERE organization_id = %s", [organization_id]
        )
        cursor.execute(
            "INSERT INTO analytics_clientfirsts (client_id, studio_id, first_booked_at,"
            " first_attended_at, organization_id) SELECT *, %s FROM ("
            + _FIRSTS
            + " GROUP BY 1, 2) AS f",
            [organization_id, organization_id],
        )
        return
    cursor.execute(
        "INSERT INTO analytics_clientfirsts (client_id, studio_id, first_booked_at,"
        " first_attended_at, organization_id) SELECT *, %s FROM ("
        + _FIRSTS
        + " AND b.starts_at >= %s GROUP BY 1, 2) AS f"
        " ON CONFLICT (organization_id, studio_id, client_id) DO UPDATE SET"
        " first_booked_at = LEAST(analytics_clientfirsts.first_booked_at,"
        " EXCLUDED.first_booked_at),"
        " first_attended_at = LEAST(analytics_clientfirsts.first_attended_at,"
        " EXCLUDED.first_attended_at)",
        [organization_id, organization_id, _slack_instant(since)],
    )


def firsts_sql(
    organization_id: int, studio_ids: list[int], before: dt.datetime
) -> tuple[str, list[Any]]:
    """SQL of (client_id, first_booked_at, first_attended_at) over the given studios: the
    ClientFirsts rollup combined with live bookings from where the rollup stops.

    Only firsts earlier than `before` are exact (a caller asks "before the period's end"):
    live bookings from then on cannot move a first that matters, so they are not read, and
    the live part is a few days of bookings, not the weeks booked ahead."""
    state = RollupState.objects.filter(organization_id=organization_id).first()
    if state is None:
        sql = (
            "SELECT client_id, MIN(first_booked_at), MIN(first_attended_at) FROM ("
            + _FIRSTS
            + " AND s.studio_id = ANY(%s) AND b.starts_at < %s AND s.starts_at < %s"
            " GROUP BY 1, 2) AS f GROUP BY client_id"
        )
        return sql, [organization_id, studio_ids, before, before]
    since = _slack_instant(state.complete_before)
    sql = f"""
        SELECT client_id, MIN(first_booked_at), MIN(first_attended_at) FROM (
            SELECT client_id, first_booked_at, first_attended_at FROM analytics_clientfirsts
             WHERE organization_id = %s AND studio_id = ANY(%s)
            UNION ALL
            SELECT client_id, first_booked_at, first_attended_at FROM (
                {_FIRSTS} AND s.studio_id = ANY(%s) AND b.starts_at >= %s AND b.starts_at < %s
                AND s.starts_at >= %s AND s.starts_at < %s GROUP BY 1, 2
            ) AS live
        ) AS f GROUP BY client_id
    """
    return sql, [
        organization_id,
        studio_ids,
        organization_id,
        studio_ids,
        since,
        before,
        since,
        before,
    ]


def activity_sql(organization_id: int, studio_ids: list[int]) -> tuple[str, list[Any]]:
    """SQL of (client_id, studio_id, month, booked, attended) for the organization's
    studios: rolled-up months, then live bookings from where the rollup stops."""
    state = RollupState.objects.filter(organization_id=organization_id).first()
    if state is None:
        sql = _LIVE + " AND s.studio_id = ANY(%s) GROUP BY 1, 2, 3"
        return sql, [organization_id, studio_ids]
    boundary = state.complete_before
    sql = f"""
        SELECT client_id, studio_id, month, booked, attended FROM analytics_clientmonth
         WHERE organization_id = %s AND studio_id = ANY(%s) AND month < %s
        UNION ALL
        {_LIVE} AND s.studio_id = ANY(%s) AND {_MONTH} >= %s AND b.starts_at >= %s
        GROUP BY 1, 2, 3
    """
    return sql, [
        organization_id,
        studio_ids,
        boundary,
        organization_id,
        studio_ids,
        boundary,
        _slack_instant(boundary),
    ]
