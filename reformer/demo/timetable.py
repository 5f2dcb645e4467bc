"""Recurring templates with instructor rotations, and their sessions over the whole window.

Every occurrence is converted from its own local date and time, so 07:00 stays 07:00 local
across daylight-saving changes. Rooms never overlap by design of the timetable; instructors
are taken from the rotation in turn, skipping one who would be teaching elsewhere then (a
colleague from the studio covers if the whole rotation is busy).
"""

from __future__ import annotations

import datetime as dt

from reformer.accounts.models import Membership
from reformer.core.timezones import local_to_utc
from reformer.demo import content
from reformer.demo.world import Calendar, SessionPlan, World
from reformer.scheduling.models import ClassSession, RecurringTemplate, RotationSlot


def create_timetable(world: World) -> None:
    """Saves templates and rotations; plans (unsaved) sessions in `world.sessions`."""
    rng = world.rng
    org = world.organization
    templates: list[tuple[RecurringTemplate, list[Membership], str, str, str]] = []
    pools: dict[str, list[Membership]] = {}
    for spec in content.STUDIOS:
        pool = pools[spec.key] = [
            member for member, staff in world.instructors if spec.key in staff.studios
        ]
        for room_spec in spec.rooms:
            room = world.rooms[room_spec.key]
            for weekday, entries in content.TIMETABLE[room_spec.key].items():
                for entry in entries:
                    clock, code = entry.split()
                    class_type = world.class_types[code]
                    rotation = rng.sample(pool, min(2, len(pool)))
                    if room_spec.key == "soho-main" and world.demo_instructor not in rotation:
                        rotation[rng.randrange(len(rotation))] = world.demo_instructor
                    template = RecurringTemplate(
                        organization=org,
                        studio=world.studios[spec.key],
                        room=room,
                        class_type=class_type,
                        weekday=weekday,
                        local_start_time=dt.time.fromisoformat(clock),
                        capacity=min(class_type.default_capacity, room.capacity),
                        start_date=world.first_day(spec.key),
                    )
                    templates.append((template, rotation, spec.key, room_spec.key, code))

    occurrences = []
    for template, rotation, studio_key, room_key, code in templates:
        spec = world.specs[studio_key]
        first, last = world.first_day(studio_key), _last_day(world, studio_key)
        day = first + dt.timedelta(days=(template.weekday - first.weekday()) % 7)
        turn = 0
        while day <= last:
            starts = local_to_utc(day, template.local_start_time, spec.time_zone)
            occurrences.append((starts, studio_key, room_key, day, turn, template, rotation, code))
            turn += 1
            day += dt.timedelta(days=7)
        template.next_rotation_index = turn % len(rotation)
    occurrences.sort(key=lambda item: item[:3])

    RecurringTemplate.objects.bulk_create(template for template, *_ in templates)
    RotationSlot.objects.bulk_create(
        RotationSlot(template=template, instructor=member, position=position)
        for template, rotation, *_ in templates
        for position, member in enumerate(rotation)
    )

    calendars: dict[int, Calendar] = {}
    slots: set[tuple[str, dt.datetime, str]] = set()
    for starts, studio_key, room_key, day, turn, template, rotation, code in occurrences:
        spec = world.specs[studio_key]
        class_type = template.class_type
        ends = starts + dt.timedelta(minutes=class_type.duration_minutes)
        order = rotation[turn % len(rotation) :] + rotation[: turn % len(rotation)]
        if studio_key == "soho" and day == world.today["soho"] and world.demo_instructor in order:
            # The demo instructor teaches today whenever her rotation allows.
            order.remove(world.demo_instructor)
            order.insert(0, world.demo_instructor)
        # A colleague from the studio covers when everyone in the rotation is teaching.
        order += [m for m in pools[studio_key] if m not in order]
        instructor = None
        for member in order:
            calendar = calendars.setdefault(id(member), Calendar())
            if calendar.is_free(starts, ends):
                calendar.hold(starts, ends)
                instructor = member
                break
        slot = (studio_key, starts, class_type.name)
        assert slot not in slots, f"two {class_type} classes at {starts} in {spec.name}"
        slots.add(slot)
        session = ClassSession(
            organization=org,
            studio=world.studios[studio_key],
            room=template.room,
            class_type=class_type,
            instructor=instructor,
            starts_at=starts,
            ends_at=ends,
            capacity=template.capacity,
            template=template,
        )
        free_spots = list(world.spots[room_key])
        rng.shuffle(free_spots)
        world.sessions.append(
            SessionPlan(
                obj=session,
                spec=spec,
                room_key=room_key,
                local_date=day,
                week=(day - _region_monday(world, spec.region)).days // 7,
                popularity=world.popularity[code]
                * content.HOUR_POPULARITY.get(template.local_start_time.hour, 1.0),
                is_past=starts < world.now,
                free_spots=free_spots,
            )
        )


def _last_day(world: World, studio_key: str) -> dt.date:
    return world.today[studio_key] + dt.timedelta(days=content.UPCOMING_DAYS - 1)


def _region_monday(world: World, region: str) -> dt.date:
    first = min(world.first_day(spec.key) for spec in content.STUDIOS if spec.region == region)
    return first - dt.timedelta(days=first.weekday())
