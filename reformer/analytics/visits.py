"""The ClientVisits rollup (see models.py): keeping it current, and reading windows from it.

`refresh_visits` moves `RollupState.visits_before` to "now": the clients listed in
`VisitsChanged` get their rows rebuilt from their bookings, everyone else gets the classes
that started since the last refresh appended (later than every start already there, so
the arrays stay sorted). `visits_sql` combines the rollup with the bookings it does not
cover (changed clients; classes from `visits_before` on), so a figure is the direct
computation's whatever the job did.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connection

HOLDING = "('confirmed', 'attended', 'no_show')"
ONE_TICK = dt.timedelta(microseconds=1)

_GROUPED = f"""
    SELECT b.organization_id, s.studio_id, s.class_type_id, s.instructor_id, b.client_id,
           COALESCE(array_agg(b.starts_at ORDER BY b.starts_at), '{{}}'),
           COALESCE(array_agg(b.starts_at ORDER BY b.starts_at)
                    FILTER (WHERE b.status = 'attended'), '{{}}'),
           COALESCE(array_agg(b.starts_at ORDER BY b.starts_at)
                    FILTER (WHERE b.status = 'no_show'), '{{}}')
      FROM bookings_booking b JOIN scheduling_classsession s ON s.id = b.session_id
     WHERE b.organization_id = %s AND b.status IN {HOLDING}
"""
_INSERT = (
    "INSERT INTO analytics_clientvisits (organization_id, studio_id, class_type_id,"
    " instructor_id, client_id, booked_at, attended_at, no_show_at) "
)


def refresh_visits(cursor, organization_id: int, before: dt.datetime | None, now: dt.datetime):
    """Called by rollups.refresh under its lock and transaction; `before` is the previous
    `visits_before` (None: rebuild everything)."""
    if before is None:
        cursor.execute(
            "DELETE FROM analytics_visitschanged WHERE organization_id = %s", [organization_id]
        )
        cursor.execute(
            "DELETE FROM analytics_clientvisits WHERE organization_id = %s", [organization_id]
        )
        cursor.execute(
            _INSERT + _GROUPED + " AND b.starts_at < %s GROUP BY 1, 2, 3, 4, 5",
            [organization_id, now],
        )
        return
    cursor.execute(
        "DELETE FROM analytics_visitschanged WHERE organization_id = %s RETURNING client_id",
        [organization_id],
    )
    changed = sorted({row[0] for row in cursor.fetchall()})
    if changed:
        cursor.execute(
            "DELETE FROM analytics_clientvisits WHERE organization_id = %s AND client_id = ANY(%s)",
            [organization_id, changed],
        )
        cursor.execute(
            _INSERT + _GROUPED + " AND b.client_id = ANY(%s) AND b.starts_at < %s"
            " GROUP BY 1, 2, 3, 4, 5",
            [organization_id, changed, now],
        )
    cursor.execute(
        _INSERT + _GROUPED + " AND NOT b.client_id = ANY(%s)"
        " AND b.starts_at >= %s AND b.starts_at < %s AND s.starts_at >= %s AND s.starts_at < %s"
        " GROUP BY 1, 2, 3, 4, 5"
        " ON CONFLICT (organization_id, studio_id, class_type_id, instructor_id, client_id)"
        " DO UPDATE SET booked_at = analytics_clientvisits.booked_at || EXCLUDED.booked_at,"
        " attended_at = analytics_clientvisits.attended_at || EXCLUDED.attended_at,"
        " no_show_at = analytics_clientvisits.no_show_at || EXCLUDED.no_show_at",
        [organization_id, changed, before, now, before, now],
    )


Window = tuple[dt.datetime, dt.datetime]
_STATUS = {
    "booked": "",
    "attended": " AND b.status = 'attended'",
    "no_show": " AND b.status = 'no_show'",
}


def visits_sql(
    organization_id: int,
    studio_ids: list[int],
    windows: Sequence[Window],
    measures: Sequence[str] = ("booked", "attended", "no_show"),
    *,
    until: dt.datetime,
    firsts: bool = True,
    class_type_id: int | None = None,
    instructor_id: int | None = None,
) -> tuple[str, list[Any]]:
    """SQL of rows (studio_id, class_type_id, instructor_id, client_id, first_booked,
    first_attended, then per window each of `measures`) over the holding bookings
    of classes starting before `until` (a client may have several rows: sum them). Firsts
    are exact only below `until`; each window [start, end) must end by `until`. Without
    `firsts` (NULL then), bookings before the earliest window are not read."""
    # Counts are int on both sides (SUM of int is a bigint, of bigint a slower numeric).
    # A count in [start, end) from a sorted array: the elements up to end's last tick less
    # those up to start's (width_bucket is a binary search).
    rolled = ", ".join(
        f"width_bucket(%s, v.{measure}_at) - width_bucket(%s, v.{measure}_at)"
        for _ in windows
        for measure in measures
    )
    rolled_params: list[Any] = []
    for start, end in windows:
        rolled_params += [end - ONE_TICK, start - ONE_TICK] * len(measures)
    counted = ", ".join(
        f"(COUNT(*) FILTER (WHERE b.starts_at >= %s AND b.starts_at < %s{_STATUS[measure]}))::int"
        for _ in windows
        for measure in measures
    )
    counted_params: list[Any] = []
    for start, end in windows:
        counted_params += [start, end] * len(measures)
    filters = ""
    filter_params: list[Any] = []
    for column, value in (("class_type_id", class_type_id), ("instructor_id", instructor_id)):
        if value is not None:
            filters += f" AND {{t}}.{column} = %s"
            filter_params.append(value)
    before = (
        "COALESCE((SELECT visits_before FROM analytics_rollupstate WHERE organization_id = %s),"
        " '-infinity')"
    )
    since = None if firsts else min(start for start, _ in windows)
    changed = "SELECT client_id FROM analytics_visitschanged WHERE organization_id = %s"
    live = f"""
        SELECT s.studio_id, s.class_type_id, s.instructor_id, b.client_id,
               MIN(b.starts_at), MIN(b.starts_at) FILTER (WHERE b.status = 'attended'),
               {counted}
          FROM bookings_booking b JOIN scheduling_classsession s ON s.id = b.session_id
         WHERE b.organization_id = %s AND s.studio_id = ANY(%s) AND b.status IN {HOLDING}
               {filters.format(t="s")}
    """
    live_params: list[Any] = [*counted_params, organization_id, studio_ids, *filter_params]
    sql = f"""
        SELECT v.studio_id, v.class_type_id, v.instructor_id, v.client_id,
               v.booked_at[1], v.attended_at[1], {rolled}
          FROM analytics_clientvisits v
         WHERE v.organization_id = %s AND v.studio_id = ANY(%s) {filters.format(t="v")}
           AND v.client_id NOT IN ({changed})
           AND {before} > '-infinity'
        UNION ALL
        {live} AND b.starts_at >= GREATEST({before}, %s) AND b.starts_at < %s
               AND s.starts_at >= GREATEST({before}, %s) AND s.starts_at < %s
         GROUP BY 1, 2, 3, 4
        UNION ALL
        {live} AND b.client_id IN ({changed}) AND b.starts_at < {before}
               AND b.starts_at >= COALESCE(%s, '-infinity'::timestamptz)
         GROUP BY 1, 2, 3, 4
    """
    params: list[Any] = [
        *rolled_params,
        organization_id,
        studio_ids,
        *filter_params,
        organization_id,
        organization_id,
        *live_params,
        organization_id,
        since,
        until,
        organization_id,
        since,
        until,
        *live_params,
        organization_id,
        organization_id,
        since,
    ]
    return sql, params


def counts_by_studio(
    organization_id: int,
    studio_ids: list[int],
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
) -> dict[int, tuple[int, int, int]]:
    """Per studio: bookings holding a place in [start, end), and attended and no-shows of
    the classes among them that started before `now` (the dashboard's definitions)."""
    past_end = max(start, min(end, now))
    visits, params = visits_sql(
        organization_id,
        studio_ids,
        [(start, end), (start, past_end)],
        ("booked", "attended", "no_show"),
        until=end,
        firsts=False,
    )
    sql = f"""
        SELECT studio_id, SUM(b0), SUM(a1), SUM(n1)
          FROM ({visits}) AS v(studio_id, class_type_id, instructor_id, client_id,
                               first_booked, first_attended, b0, a0, n0, b1, a1, n1)
         GROUP BY studio_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in cursor.fetchall()}
