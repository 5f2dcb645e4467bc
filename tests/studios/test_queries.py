from __future__ import annotations

import datetime as dt

import pytest

from reformer.core.errors import NotFound, PermissionDenied
from reformer.studios import queries
from reformer.studios.models import Closure, StudioPolicy
from tests import factories


def test_it_lists_the_studios_an_actor_sees(world):
    world.a.other_studio.active = False
    world.a.other_studio.save()

    assert list(queries.studios_for(world.a.owner)) == [world.a.other_studio, world.a.studio]
    assert list(queries.studios_for(world.a.manager)) == [world.a.studio]
    assert list(queries.studios_for(world.a.client)) == [world.a.studio]
    assert list(queries.studios_for(world.b.client)) == [world.b.other_studio, world.b.studio]


def test_it_gets_a_studio_within_reach(world):
    assert queries.get_studio(world.a.client, world.a.other_studio.pk) == world.a.other_studio
    with pytest.raises(PermissionDenied):
        queries.get_studio(world.a.front_desk, world.a.other_studio.pk)
    with pytest.raises(NotFound):
        queries.get_studio(world.b.owner, world.a.studio.pk)
    world.a.studio.active = False
    world.a.studio.save()
    with pytest.raises(NotFound):
        queries.get_studio(world.a.client, world.a.studio.pk)
    assert queries.get_studio(world.a.manager, world.a.studio.pk) == world.a.studio


def test_it_lists_rooms_and_spots(world):
    spare = factories.RoomFactory(studio=world.a.studio, name="Annexe")
    world.a.spots[0].active = False
    world.a.spots[0].save()

    assert list(queries.rooms_for(world.a.client, world.a.studio)) == [spare, world.a.room]
    assert len(queries.spots_for(world.a.client, world.a.room)) == 9
    assert len(queries.spots_for(world.a.owner, world.a.room, include_inactive=True)) == 10
    assert queries.get_spot(world.a.instructor, world.a.spots[1].pk) == world.a.spots[1]
    with pytest.raises(NotFound):
        queries.get_room(world.b.owner, world.a.room.pk)
    with pytest.raises(NotFound):
        queries.spots_for(world.b.owner, world.a.room)


def test_it_lists_closures_from_today(world, frozen):
    def close(day):
        return Closure.objects.create(
            organization=world.a.organization, studio=world.a.studio, date=day
        )

    close(dt.date(2026, 2, 1))
    upcoming = close(dt.date(2026, 3, 2))

    assert list(queries.closures_for(world.a.client, world.a.studio)) == [upcoming]
    assert len(queries.closures_for(world.a.owner, world.a.studio, start=dt.date(2026, 1, 1))) == 2
    assert queries.get_closure(world.a.front_desk, upcoming.pk) == upcoming


def test_it_reads_the_policy_or_its_defaults(world):
    assert queries.get_policy(world.a.client, world.a.studio).pk is not None
    StudioPolicy.objects.filter(studio=world.a.studio).delete()

    policy = queries.get_policy(world.a.client, world.a.studio)

    assert policy.pk is None and policy.booking_window_days == 14
