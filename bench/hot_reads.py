"""The two reads every booking makes, raw SQL (as shipped) against the ORM, in the same run.

    uv run python bench/hot_reads.py [--calls 2000]

`bookings/context.load_session` (the class with studio, policy, type, room and instructor)
and `bookings/eligibility.load_client_state` (suspension, places held, active packages with
their week's use) build model instances from hand-written SQL. This prints what each costs
per call beside the plain ORM query or queries that would give the same objects, called
alternately on the same rows so that both see the same machine load. Uses bench/booking.py's
database and seed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import booking  # bench/booking.py: database set-up and seed


def orm_load_session(session_id: int):
    from reformer.scheduling.models import ClassSession

    return ClassSession.objects.select_related(
        "studio__policy", "class_type", "room", "instructor__user"
    ).get(pk=session_id)


def orm_client_state(client, session, now):
    """The same answer as eligibility.load_client_state through the ORM: three queries."""
    from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
    from django.db.models.functions import Coalesce

    from reformer.accounts.models import ClientProfile
    from reformer.billing.models import ClientPackage
    from reformer.bookings.models import Booking
    from reformer.core.timezones import local_week_bounds

    week_start, week_end = local_week_bounds(session.starts_at, session.studio.time_zone)
    suspended = (
        ClientProfile.objects.filter(membership_id=client.pk)
        .values_list("suspended_until", flat=True)
        .first()
    )
    holding = list(
        Booking.objects.filter(
            client_id=client.pk, ends_at__gt=now, status__in=Booking.HOLDING
        ).only("id", "session_id", "starts_at", "ends_at", "reference", "status")
    )
    week_use = (
        Booking.objects.filter(
            client_package_id=OuterRef("pk"),
            starts_at__gte=week_start,
            starts_at__lt=week_end,
        )
        .filter(Q(status__in=Booking.HOLDING) | Q(status="late_cancelled", credit_returned=False))
        .order_by()
        .values("client_package_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    packages = list(
        ClientPackage.objects.filter(client_id=client.pk, status=ClientPackage.Status.ACTIVE)
        .annotate(
            week_used=Coalesce(
                Subquery(week_use, output_field=IntegerField()),
                Value(0),
            )
        )
        .order_by("expires_at", "pk")
    )
    return suspended, holding, packages


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    booking.configure(2)
    booking.migrate()
    clients, spread, _hot, _rush = booking.seed(200)

    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from reformer.bookings.context import load_session
    from reformer.bookings.eligibility import load_client_state

    now = timezone.now()
    cases = {
        "load_session: raw SQL": lambda i: load_session(spread[i % len(spread)].pk),
        "load_session: ORM select_related": lambda i: orm_load_session(spread[i % len(spread)].pk),
    }
    session = load_session(spread[0].pk)
    state_cases = {
        "client state: raw SQL (1 query)": lambda i: load_client_state(
            clients[i % len(clients)], session, now=now
        ),
        "client state: ORM": lambda i: orm_client_state(clients[i % len(clients)], session, now),
    }
    print(
        f"PostgreSQL {connection.cursor().connection.info.server_version}, one thread, "
        f"{args.calls} calls each, alternating\n"
    )
    print(f"{'read':<36}{'queries':>8}{'p50 us':>9}{'mean us':>9}{'p99 us':>9}")
    for group in (cases, state_cases):
        samples: dict[str, list[float]] = {name: [] for name in group}
        for fn in group.values():  # warm up: statement caches, imports
            for i in range(50):
                fn(i)
        for i in range(args.calls):
            for name, fn in group.items():
                samples[name].append(timed(lambda fn=fn, i=i: fn(i)))
        for name, fn in group.items():
            with CaptureQueriesContext(connection) as queries:
                fn(0)
            values = sorted(samples[name])
            print(
                f"{name:<36}{len(queries):>8}{statistics.median(values):>9.0f}"
                f"{statistics.fmean(values):>9.0f}{values[int(len(values) * 0.99)]:>9.0f}"
            )
        reset_queries()
        print()


if __name__ == "__main__":
    main()
