"""Load the demo: wipe the previous one, plan everything in memory, insert in bulk."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterable, Sequence
from typing import TextIO, cast

from django.db import connection, models, transaction
from django.db.models import F, Value
from django.db.models.functions import Least
from django.utils import timezone

from reformer.accounts.models import Membership, User
from reformer.appointments.models import Appointment, Attendee
from reformer.billing.models import (
    ClientPackage,
    CreditLedger,
    Payment,
    Subscription,
)
from reformer.bookings.models import Booking, WaitlistEntry
from reformer.demo import content, history
from reformer.demo.demo_client import plan_demo_client
from reformer.demo.front_door import create_front_door
from reformer.demo.people import create_people, create_profiles
from reformer.demo.places import create_catalogue, create_places
from reformer.demo.timetable import create_timetable
from reformer.demo.world import World
from reformer.onboarding.models import Acceptance, IntroRedemption
from reformer.scheduling.models import ClassSession
from reformer.studios.models import Organization, Studio

BATCH = 2000
SEED = 42


def load_demo(out: TextIO, *, now: dt.datetime | None = None) -> None:
    started = time.monotonic()
    now = now or timezone.now()

    def say(text: str) -> None:
        out.write(f"{text}\n")
        out.flush()

    with transaction.atomic():
        if wipe_demo():
            say("Removed the previous demo data.")
        organization = Organization.objects.create(
            name=content.ORGANIZATION_NAME,
            slug=content.ORGANIZATION_SLUG,
            time_zone="America/New_York",
            brand_colour="#2f6f8f",
            public_description=(
                "Reformer Pilates in London and New York: small classes, expert instructors."
            ),
        )
        world = World(now=now, rng=random.Random(SEED), organization=organization)
        create_places(world)
        create_catalogue(world)
        say(f"Created {organization.name}: {len(world.studios)} studios, {len(world.rooms)} rooms.")
        joined = create_people(world)
        say(f"Created {len(world.staff)} staff and {len(world.clients)} clients.")
        create_timetable(world)
        say(f"Planned {len(world.sessions)} classes from the weekly timetable.")

        history.plan_subscriptions(world)
        plan_demo_client(world)
        history.plan_weeks(world)
        history.fill_popular_classes(world)
        history.plan_waitlists(world)
        history.update_counters(world)
        say(f"Planned {len(world.bookings)} bookings and {len(world.packages)} packages.")

        _insert(world, joined)
        create_front_door(world)
        say("Saved (with privates, waivers, health questions and an intro offer).")
    # Fresh statistics for the rows just written: before autovacuum gets to them, the
    # planner guesses (the analytics retention panel took 0.7 s instead of 50 ms, and
    # seconds under load).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    elapsed = time.monotonic() - started
    past = sum(1 for session in world.sessions if session.is_past)
    say(
        f"Demo loaded in {elapsed:.1f} s: {len(world.studios)} studios, "
        f"{len(world.sessions)} sessions ({past} past, {len(world.sessions) - past} upcoming), "
        f"{len(world.bookings)} bookings, {len(world.clients)} clients."
    )


def wipe_demo() -> bool:
    """Deletes the demo organization with all its rows, and every demo user."""
    organization = Organization.objects.filter(slug=content.ORGANIZATION_SLUG).first()
    if organization is not None:
        # Bottom up, as the schema protects packages, rooms and class types from cascades.
        for model in (
            Attendee,
            Appointment,
            IntroRedemption,
            Acceptance,
            CreditLedger,
            Payment,
            WaitlistEntry,
            Booking,
            Subscription,
            ClientPackage,
            ClassSession,
        ):
            model.objects.filter(organization=organization).delete()
        organization.delete()
    users = User.objects.filter(email__iendswith=f"@{content.EMAIL_DOMAIN}")
    deleted_users = users.delete()[0]
    return organization is not None or bool(deleted_users)


def _insert(world: World, joined: Sequence[tuple[Membership, dt.datetime]]) -> None:
    create_profiles(world)
    ClassSession.objects.bulk_create((s.obj for s in world.sessions), batch_size=BATCH)
    ClientPackage.objects.bulk_create(world.packages, batch_size=BATCH)
    Payment.objects.bulk_create(world.payments, batch_size=BATCH)
    Subscription.objects.bulk_create((row for row, _ in world.subscriptions), batch_size=BATCH)
    Booking.objects.bulk_create((row for row, _ in world.bookings), batch_size=BATCH)
    CreditLedger.objects.bulk_create((row for row, _ in world.ledger), batch_size=BATCH)
    WaitlistEntry.objects.bulk_create(
        [*world.promotions, *(entry for s in world.sessions for entry in s.waiting)],
        batch_size=BATCH,
    )

    # auto_now_add fields took the load time: give them the times the story says.
    _set_times(Membership, "created_at", joined)
    _set_times(ClientPackage, "created_at", ((p, p.starts_at) for p in world.packages))
    _set_times(Subscription, "created_at", world.subscriptions)
    _set_times(Booking, "created_at", world.bookings)
    _set_times(CreditLedger, "at", world.ledger)
    earliest = min(world.first_day(key) for key in world.studios)
    founded = dt.datetime.combine(earliest, dt.time(9), tzinfo=dt.UTC) - dt.timedelta(days=600)
    Organization.objects.filter(pk=world.organization.pk).update(created_at=founded)
    Studio.objects.filter(organization=world.organization).update(created_at=founded)
    ClassSession.objects.filter(organization=world.organization).update(
        created_at=Least(F("starts_at") - dt.timedelta(days=28), Value(world.now))
    )


def _set_times(
    model: type[models.Model], field: str, rows: Iterable[tuple[models.Model, dt.datetime]]
) -> None:
    ids, times = [], []
    for row, moment in rows:
        ids.append(row.pk)
        times.append(moment)
    if not ids:
        return
    quote = connection.ops.quote_name
    table, column = model._meta.db_table, cast(models.Field, model._meta.get_field(field)).column
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(table)} AS t SET {quote(column)} = v.at "
            f"FROM unnest(%s::bigint[], %s::timestamptz[]) AS v(id, at) WHERE t.id = v.id",
            [ids, times],
        )
