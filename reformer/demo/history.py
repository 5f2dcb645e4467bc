"""Who booked what: week by week each client picks classes they like at their studios; then
some popular classes of the coming week fill up and gather a waitlist."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

from reformer.bookings.models import WaitlistEntry
from reformer.demo.booking import MINUTE, Status, book, plan_subscription
from reformer.demo.world import ClientPlan, SessionPlan, World

DAY = dt.timedelta(days=1)


def plan_subscriptions(world: World) -> None:
    for client in world.clients:
        if client.persona in ("unlimited", "membership_8"):
            plan_subscription(world, client)


def plan_weeks(world: World) -> None:
    rng = world.rng
    weeks: dict[tuple[str, int], list[SessionPlan]] = defaultdict(list)
    for session in world.sessions:
        weeks[(session.spec.region, session.week)].append(session)
    for (region, _week), sessions in sorted(weeks.items(), key=lambda item: item[0]):
        first, last = sessions[0].starts_at, sessions[-1].starts_at
        clients = [
            client
            for client in world.clients
            if client.region == region
            and client.persona != "demo"
            and client.joined_at < last
            and (client.churn_at is None or client.churn_at > first)
        ]
        rng.shuffle(clients)
        for client in clients:
            wanted = _classes_this_week(world, client)
            if wanted:
                for session in _choose(world, client, sessions, wanted):
                    if session.is_past or rng.random() < _booked_already(world, session):
                        book(world, client, session)


def _classes_this_week(world: World, client: ClientPlan) -> int:
    rng = world.rng
    if rng.random() < 0.08:  # a week off: travel, illness, a busy week at work
        return 0
    whole = math.floor(client.weekly)
    wanted = whole + (1 if rng.random() < client.weekly - whole else 0)
    return min(wanted, 2) if client.persona == "membership_8" else wanted


def _choose(
    world: World, client: ClientPlan, sessions: list[SessionPlan], wanted: int
) -> list[SessionPlan]:
    """Weighted sampling without replacement (keys u ** (1 / weight)), one class a day."""
    rng = world.rng
    keyed = []
    for session in sessions:
        weight = client.studio_weights.get(session.spec.key)
        if weight is None or not client.active_at(session.starts_at - 2 * 60 * MINUTE):
            continue
        weight *= session.popularity
        if _part_of_day(session) == client.prefers:
            weight *= 2.5
        keyed.append((rng.random() ** (1.0 / weight), session))
    keyed.sort(key=lambda item: item[0], reverse=True)
    chosen: list[SessionPlan] = []
    days: set[dt.date] = set()
    for _key, session in keyed:
        if len(chosen) == wanted:
            break
        if (
            session.is_full
            or session.local_date in days
            or not client.busy.is_free(session.starts_at, session.ends_at)
        ):
            continue
        chosen.append(session)
        days.add(session.local_date)
    chosen.sort(key=lambda session: session.starts_at)
    return chosen


def _part_of_day(session: SessionPlan) -> str:
    template = session.obj.template
    assert template is not None  # every demo class comes from a weekly class
    hour = template.local_start_time.hour
    return "morning" if hour < 11 else "midday" if hour < 15 else "evening"


def _booked_already(world: World, session: SessionPlan) -> float:
    """Share of an upcoming class's eventual bookings already made: fuller near term."""
    days_ahead = (session.starts_at - world.now) / DAY
    if days_ahead < 2:
        return 0.95
    if days_ahead < 7:
        return 0.8
    if days_ahead < 14:
        return 0.5
    return 0.2


def fill_popular_classes(world: World) -> None:
    """Some popular classes of the coming week are full (and the demo client waits for two)."""
    rng = world.rng
    week_ahead = world.now + 7 * DAY
    for session in world.sessions:
        if (
            not session.is_past
            and session.starts_at < week_ahead
            and session.obj.capacity > 1
            and session.popularity >= 1.3
            and rng.random() < 0.3
        ):
            session.force_full = True
    for session in world.sessions:
        if not session.force_full:
            continue
        for client in _candidates(world, session):
            if session.is_full:
                break
            book(world, client, session, Status.CONFIRMED)


def plan_waitlists(world: World) -> None:
    rng = world.rng
    demo_client = world.clients[0]
    for session in world.sessions:
        if session.is_past or not session.is_full or session.obj.capacity == 1:
            continue
        count = rng.randint(2, 5)
        waiting = _candidates(world, session)[:count]
        if session in world.demo_waitlist:
            waiting.insert(rng.randint(0, min(len(waiting), count - 1)), demo_client)
            waiting = waiting[:count]
        joined = sorted(world.now - rng.randint(10, 3 * 24 * 60) * MINUTE for _ in waiting)
        session.waiting = [
            WaitlistEntry(
                organization=world.organization,
                session=session.obj,
                client=client.membership,
                joined_at=joined_at,
                status=WaitlistEntry.Status.WAITING,
            )
            for client, joined_at in zip(waiting, joined, strict=True)
        ]


def _candidates(world: World, session: SessionPlan) -> list[ClientPlan]:
    """Clients of the session's studio, free at that time, in a shuffled order."""
    clients = [
        client
        for client in world.clients
        if session.spec.key in client.studio_weights
        and client.persona != "demo"
        and client.active_at(world.now)
        and client.index not in session.clients
        and client.busy.is_free(session.starts_at, session.ends_at)
    ]
    world.rng.shuffle(clients)
    return clients


def update_counters(world: World) -> None:
    thirty_days_ago = world.now - 30 * DAY
    for session in world.sessions:
        session.obj.booked_count = session.holding
        session.obj.waiting_count = len(session.waiting)
    for client in world.clients:
        recent = sum(1 for moment in client.no_shows if moment >= thirty_days_ago)
        client.strikes = min(recent, 2)  # below the default strike count: nobody suspended
