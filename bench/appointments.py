"""Benchmark appointments: open slots for 10 instructors over 14 days, and 100 clients booking
the same morning's slots at once.

    uv run python bench/appointments.py [--pool 8] [--searches 60] [--clients 100]

Uses the `reformer_bench` database (created if missing, reseeded here). The studio has 10
instructors with weekly hours 07:00-20:00 every day, each teaching two group classes a day
(in the group rooms) and already booked for two privates a day, so the search subtracts real
occupancy; the private studio has 6 reformers. Figures: the search's time in the server
process (p50, p99), and for the rush each booking's time (p50, p99), outcomes, and the
double bookings found afterwards by SQL (instructor, equipment or client taken twice at
overlapping times: must be 0). There is no raw-SQL ceiling for the search (it is Python
interval arithmetic over 8 queries); the booking figures compare with bench/booking.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from booking import configure, migrate

INSTRUCTORS = 10
DAYS = 14

_DOUBLE_BOOKINGS_SQL = """
SELECT
  (SELECT count(*) FROM appointments_appointment a JOIN appointments_appointment b
      ON a.id < b.id AND a.instructor_id = b.instructor_id AND a.status = 'scheduled'
     AND b.status = 'scheduled' AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at),
  (SELECT count(*) FROM appointments_appointment a JOIN appointments_appointment b
      ON a.id < b.id AND a.spot_id = b.spot_id AND a.status = 'scheduled'
     AND b.status = 'scheduled' AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at),
  (SELECT count(*) FROM appointments_appointment a JOIN scheduling_classsession s
      ON a.instructor_id = s.instructor_id AND a.status = 'scheduled'
     AND s.status = 'scheduled' AND a.starts_at < s.ends_at AND s.starts_at < a.ends_at),
  (SELECT count(*) FROM appointments_attendee a JOIN appointments_attendee b
      ON a.id < b.id AND a.client_id = b.client_id
     AND a.status IN ('confirmed', 'attended', 'no_show')
     AND b.status IN ('confirmed', 'attended', 'no_show')
     AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at),
  (SELECT count(*) FROM appointments_appointment
    WHERE booked_count > capacity
       OR booked_count <> (SELECT count(*) FROM appointments_attendee t
                            WHERE t.appointment_id = appointments_appointment.id
                              AND t.status IN ('confirmed', 'attended', 'no_show')))
"""


def seed(clients_needed: int):
    from django.db import IntegrityError, connection, transaction
    from django.utils import timezone

    from reformer.accounts.models import Membership, User
    from reformer.appointments.models import Appointment, AppointmentType, WeeklyHours
    from reformer.billing.models import ClientPackage, PackageProduct
    from reformer.core.timezones import local_to_utc, local_today
    from reformer.scheduling.models import ClassSession, ClassType
    from reformer.studios.models import Organization, Room, Spot, Studio, StudioPolicy

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE accounts_user, studios_organization, core_auditevent, core_adminalert, "
            "notifications_message, procrastinate_jobs, procrastinate_events, "
            "procrastinate_periodic_defers CASCADE"
        )
    now = timezone.now()
    tz = "America/New_York"
    org = Organization.objects.create(name="Bench Privates", slug="bench-privates")
    studio = Studio.objects.create(organization=org, name="Bench Studio", time_zone=tz)
    StudioPolicy.objects.create(organization=org, studio=studio, booking_window_days=30)
    private = Room.objects.create(organization=org, studio=studio, name="Private", capacity=6)
    spots = Spot.objects.bulk_create(
        Spot(organization=org, room=private, label=f"Reformer {i + 1}", row=0, column=i)
        for i in range(6)
    )
    group_rooms = [
        Room.objects.create(organization=org, studio=studio, name=f"Group {i}", capacity=10)
        for i in range(INSTRUCTORS)
    ]
    class_types = [
        ClassType.objects.create(organization=org, name=f"Reformer {i}") for i in range(INSTRUCTORS)
    ]
    staff_users = User.objects.bulk_create(
        User(email=f"teacher{i}@bench.example.com", name=f"Teacher {i:02d}", password="!")
        for i in range(INSTRUCTORS)
    )
    instructors = Membership.objects.bulk_create(
        Membership(user=u, organization=org, role="instructor") for u in staff_users
    )
    for member in instructors:
        member.studios.add(studio)
    kind = AppointmentType.objects.create(organization=org, name="Private 55", capacity=1)
    kind.instructors.set(instructors)
    WeeklyHours.objects.bulk_create(
        WeeklyHours(
            organization=org,
            instructor=m,
            studio=studio,
            weekday=d,
            starts=dt.time(7),
            ends=dt.time(20),
        )
        for m in instructors
        for d in range(7)
    )
    today = local_today(tz, now)
    sessions = []
    for offset in range(DAYS + 1):
        day = today + dt.timedelta(days=offset)
        for i, member in enumerate(instructors):
            for hour in (7 + i % 3, 17 + i % 2):
                start = local_to_utc(day, dt.time(hour), tz)
                sessions.append(
                    ClassSession(
                        organization=org,
                        studio=studio,
                        room=group_rooms[i],
                        class_type=class_types[i],
                        instructor=member,
                        starts_at=start,
                        ends_at=start + dt.timedelta(minutes=50),
                        capacity=10,
                    )
                )
    ClassSession.objects.bulk_create(sessions)
    users = User.objects.bulk_create(
        User(email=f"client{i}@bench.example.com", name=f"Client {i}", password="!")
        for i in range(clients_needed + 1)
    )
    members = Membership.objects.bulk_create(
        Membership(user=u, organization=org, role="client") for u in users
    )
    product = PackageProduct.objects.create(
        organization=org, name="Privates x10", kind="class_pack", credits=10, price=Decimal(900)
    )
    ClientPackage.objects.bulk_create(
        ClientPackage(
            organization=org,
            client=m,
            product=product,
            credits_total=10,
            credits_remaining=10,
            starts_at=now - dt.timedelta(days=1),
            expires_at=now + dt.timedelta(days=365),
            source="purchase",
        )
        for m in members
    )
    # Two privates a day already booked per instructor (days 2..14: the rush day stays open).
    taken = []
    for offset in range(2, DAYS + 1):
        day = today + dt.timedelta(days=offset)
        for i, member in enumerate(instructors):
            for hour in (12, 14):
                start = local_to_utc(day, dt.time(hour), tz)
                taken.append(
                    Appointment(
                        organization=org,
                        studio=studio,
                        room=private,
                        spot=spots[i % len(spots)] if hour == 12 else spots[(i + 3) % 6],
                        appointment_type=kind,
                        instructor=member,
                        starts_at=start,
                        ends_at=start + dt.timedelta(minutes=55),
                        capacity=1,
                        booked_count=0,
                    )
                )
    created = []
    for appointment in taken:  # one by one: the equipment may clash, as in real life
        try:
            with transaction.atomic():
                appointment.save()
            created.append(appointment)
        except IntegrityError:
            continue
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return studio, kind, members[:clients_needed], today + dt.timedelta(days=1), len(created)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def bench_search(studio, kind, today, searches: int) -> dict:
    from django.db import connection

    from reformer.appointments import slots

    for _ in range(3):  # warm up
        slots.search(kind, studio, first_day=today, days=DAYS)
    timings, found = [], 0
    for _ in range(searches):
        started = time.perf_counter()
        result = slots.search(kind, studio, first_day=today, days=DAYS)
        timings.append((time.perf_counter() - started) * 1000)
        found = len(result.slots)
    one = []
    instructor_id = next(iter(result.instructors))
    for _ in range(searches):
        started = time.perf_counter()
        slots.search(kind, studio, first_day=today, days=DAYS, instructor_id=instructor_id)
        one.append((time.perf_counter() - started) * 1000)
    connection.close()
    return {"all": timings, "one": one, "slots": found}


def bench_rush(studio, kind, clients, day, pool: int) -> dict:
    """Every client picks an open morning slot from the same listing and books at once."""
    from django.db import connection

    from reformer.appointments import slots
    from reformer.appointments.actions import book_appointment
    from reformer.core.errors import DomainError
    from reformer.core.timezones import to_local

    listing = slots.search(kind, studio, first_day=day, days=1)
    morning = [s for s in listing.slots if to_local(s.starts_at, studio.time_zone).hour < 12]
    instructors = listing.instructors
    connection.close()
    rng = random.Random(7)
    picks = [rng.choice(morning) for _ in clients]
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(len(clients))

    def book(client, slot) -> None:
        try:
            barrier.wait()
            started = time.perf_counter()
            try:
                book_appointment(
                    client,
                    kind,
                    studio=studio,
                    instructor=instructors[slot.instructor_id],
                    starts_at=slot.starts_at,
                )
                outcome = "booked"
            except DomainError as error:
                outcome = error.code
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                outcomes[outcome] += 1
        finally:
            connection.close()

    threads = [
        threading.Thread(target=book, args=pair) for pair in zip(clients, picks, strict=True)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(_DOUBLE_BOOKINGS_SQL)
        instructor, equipment, with_class, client, counts = cursor.fetchone()
    connection.close()
    return {
        "morning_slots": len(morning),
        "latencies": latencies,
        "outcomes": outcomes,
        "wall": wall,
        "double": {
            "instructor": instructor,
            "equipment": equipment,
            "instructor vs class": with_class,
            "client": client,
            "count mismatch": counts,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", type=int, default=8, help="database connections (default 8)")
    parser.add_argument("--searches", type=int, default=60)
    parser.add_argument("--clients", type=int, default=100)
    args = parser.parse_args()
    # As `reformer serve` runs: a bounded pool of connections shared by the request threads
    # (100 clients arrive at once and queue for a connection, as behind a web server).
    configure(args.pool)
    migrate()
    studio, kind, clients, rush_day, existing = seed(args.clients)
    print(
        f"Seeded: {INSTRUCTORS} instructors, 07:00-20:00 daily, 2 classes/day each, "
        f"{existing} privates already booked, 6 private reformers."
    )
    search = bench_search(studio, kind, rush_day - dt.timedelta(days=1), args.searches)
    print(f"\nOpen slots, {INSTRUCTORS} instructors x {DAYS} days ({search['slots']} slots found):")
    for label, values in (("all instructors", search["all"]), ("one instructor", search["one"])):
        print(
            f"  {label:16} p50 {statistics.median(values):7.1f} ms   "
            f"p99 {percentile(values, 99):7.1f} ms   ({len(values)} searches)"
        )
    rush = bench_rush(studio, kind, clients, rush_day, args.pool)
    lat = rush["latencies"]
    print(
        f"\nRush: {len(clients)} clients book tomorrow morning's {rush['morning_slots']} open "
        f"slots at once ({rush['wall']:.2f} s wall):"
    )
    print(
        f"  answer time p50 {statistics.median(lat):7.1f} ms   p99 {percentile(lat, 99):7.1f} ms"
        f"   max {max(lat):7.1f} ms"
    )
    print("  outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(rush["outcomes"].items())))
    doubles = rush["double"]
    print("  double bookings: " + ", ".join(f"{k} {v}" for k, v in doubles.items()))
    total = sum(doubles.values())
    print(f"  => double bookings = {total}" + ("" if total == 0 else "   <-- FAILURE"))


if __name__ == "__main__":
    main()
