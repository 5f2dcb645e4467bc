"""The demo client login (Olivia Bennett, SoHo): a story that every client screen can show.

An expired 10-class pack she used over three months (attended, a no-show, cancellations),
a current 10-class pack with 7 of 10 credits left (three upcoming classes, one within 24
hours, and a class cancelled in time whose credit came back), and two waitlist places on
full classes in the coming week.
"""

from __future__ import annotations

import datetime as dt

from reformer.billing.models import ClientPackage
from reformer.core.timezones import local_to_utc
from reformer.demo.booking import MINUTE, Status, buy_package, record
from reformer.demo.world import ClientPlan, SessionPlan, World

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


def plan_demo_client(world: World) -> None:
    rng = world.rng
    client = world.clients[0]
    tz, today, now = client.time_zone, world.today["soho"], world.now
    product = world.products["pack_10"]
    purchase = ClientPackage.Source.PURCHASE
    older = buy_package(
        world, client, product, local_to_utc(today - 100 * DAY, dt.time(10, 15), tz), purchase
    )
    current = buy_package(
        world, client, product, local_to_utc(today - 8 * DAY, dt.time(18, 40), tz), purchase
    )
    classes = [s for s in world.sessions if s.spec.region == "nyc" and s.obj.capacity > 1]
    soho_main = [s for s in classes if s.room_key == "soho-main"]

    # Ten classes on the older pack, about one a week: 9 credits spent, 1 left when it expired.
    past = [
        s
        for s in soho_main
        if today - 96 * DAY <= s.local_date <= today - 12 * DAY
        and s.obj.template is not None
        and 9 <= s.obj.template.local_start_time.hour < 13
    ]
    days = sorted({s.local_date for s in past})
    statuses = [Status.ATTENDED] * 7 + [Status.NO_SHOW, Status.LATE_CANCELLED, Status.CANCELLED]
    rng.shuffle(statuses)
    for day, status in zip(sorted(rng.sample(days, len(statuses))), statuses, strict=True):
        session = rng.choice([s for s in past if s.local_date == day])
        _book(world, client, session, older, status)

    # A class in the last few days cancelled in time: its credit returned to the current pack.
    recent = [s for s in soho_main if today - 3 * DAY <= s.local_date < today]
    _book(world, client, rng.choice(recent), current, Status.CANCELLED)

    # Three upcoming classes on the current pack, the first within 24 hours.
    soon = [s for s in classes if now + 2 * HOUR <= s.starts_at < now + 24 * HOUR] or [
        s for s in classes if now + 20 * MINUTE <= s.starts_at < now + 24 * HOUR
    ]
    soon.sort(key=lambda s: (s.spec.key != "soho", s.starts_at))
    _book(world, client, soon[0], current, Status.CONFIRMED)
    booked_days = {soon[0].local_date}
    for low, high in ((3, 5), (6, 9)):
        options = [
            s
            for s in soho_main
            if today + low * DAY <= s.local_date <= today + high * DAY
            and client.busy.is_free(s.starts_at, s.ends_at)
        ]
        session = rng.choice(options)
        _book(world, client, session, current, Status.CONFIRMED)
        booked_days.add(session.local_date)

    # Waiting for two popular classes of the coming week (filled up by the other clients).
    options = [
        s
        for s in soho_main
        if today + DAY <= s.local_date <= today + 7 * DAY
        and s.local_date not in booked_days
        and s.popularity >= 1.2
    ]
    world.demo_waitlist = rng.sample(options, 2)
    for session in world.demo_waitlist:
        session.force_full = True


def _book(
    world: World,
    client: ClientPlan,
    session: SessionPlan,
    package: ClientPackage,
    status: str,
) -> None:
    made_at = session.starts_at - world.rng.randint(26, 72) * HOUR
    if not session.is_past:
        made_at = min(made_at, world.now - world.rng.randint(30, 600) * MINUTE)
    made_at = max(made_at, package.starts_at + 5 * MINUTE)
    record(world, client, session, package, made_at, status)
