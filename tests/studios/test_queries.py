from __future__ import annotations

import pytest

from reformer.core.errors import NotFound, PermissionDenied
from reformer.studios import queries


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
