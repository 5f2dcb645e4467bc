from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reformer.core.errors import NotFound, PermissionDenied
from reformer.scheduling import queries
from tests import factories
from tests.factories import make_session
from tests.scheduling.helpers import NEXT_MONDAY, NOW, local

WEEK_LATER = NOW + dt.timedelta(days=14)


@pytest.fixture
def schedule(world, frozen):
    """Tenant a: classes in both studios, one cancelled, one without an instructor."""
    annex_room = factories.RoomFactory(studio=world.a.other_studio, name="Annex Room")
    mat = factories.ClassTypeFactory(organization=world.a.organization, name="Mat")
    return {
        "main": make_session(
            world.a, starts_at=local(NEXT_MONDAY, 7), instructor=world.a.instructor
        ),
        "open": make_session(
            world.a, starts_at=local(NEXT_MONDAY, 9), class_type=mat, instructor=None
        ),
        "cancelled": make_session(
            world.a, starts_at=local(NEXT_MONDAY, 11), status="cancelled", instructor=None
        ),
        "annex": make_session(
            world.a, starts_at=local(NEXT_MONDAY, 7), room=annex_room, instructor=world.a.owner
        ),
        "other_tenant": make_session(world.b, starts_at=local(NEXT_MONDAY, 7), instructor=None),
    }


def names(sessions, schedule):
    by_pk = {session.pk: name for name, session in schedule.items()}
    return [by_pk[session.pk] for session in sessions]


def test_it_lists_the_sessions_an_actor_sees(world, schedule):
    window = {"start": NOW, "end": WEEK_LATER}

    assert names(queries.sessions_for(world.a.owner, **window), schedule) == [
        "main",
        "annex",
        "open",
    ]
    assert names(queries.sessions_for(world.a.manager, **window), schedule) == ["main", "open"]
    assert names(queries.sessions_for(world.a.client, **window), schedule) == [
        "main",
        "annex",
        "open",
    ]
    assert names(queries.sessions_for(world.b.owner, **window), schedule) == ["other_tenant"]


def test_it_filters_sessions(world, schedule):
    window = {"start": NOW, "end": WEEK_LATER}
    owner = world.a.owner

    assert names(queries.sessions_for(owner, **window, include_cancelled=True), schedule) == [
        "main",
        "annex",
        "open",
        "cancelled",
    ]
    assert names(
        queries.sessions_for(owner, **window, studio_ids=[world.a.other_studio.pk]), schedule
    ) == ["annex"]
    assert names(
        queries.sessions_for(owner, **window, instructor=world.a.instructor), schedule
    ) == ["main"]
    assert names(
        queries.sessions_for(owner, **window, class_type_ids=[schedule["open"].class_type_id]),
        schedule,
    ) == ["open"]
    # A filter never widens: another tenant's studio id yields nothing.
    assert not queries.sessions_for(owner, **window, studio_ids=[world.b.studio.pk]).exists()
    assert not queries.sessions_for(world.a.manager, **window, studio_ids=[world.a.other_studio.pk])


def test_it_hides_inactive_studios_from_clients(world, schedule):
    world.a.other_studio.active = False
    world.a.other_studio.save()

    sessions = queries.sessions_for(world.a.client, start=NOW, end=WEEK_LATER)

    assert "annex" not in names(sessions, schedule)
    with pytest.raises(NotFound):
        queries.get_session(world.a.client, schedule["annex"].pk)
    assert queries.get_session(world.a.owner, schedule["annex"].pk)


def test_it_lists_a_page_of_sessions_in_a_fixed_number_of_queries(world, frozen):
    def count_queries():
        with CaptureQueriesContext(connection) as captured:
            rows = queries.sessions_for(world.a.manager, start=NOW, end=WEEK_LATER)
            labels = [
                (s.studio.name, s.room.name, s.class_type.name, s.instructor.user.email)
                for s in rows
            ]
        assert labels
        return len(captured)

    make_session(world.a, starts_at=local(NEXT_MONDAY, 7), instructor=world.a.instructor)
    count_queries()  # the actor's studio scope is cached from then on
    few = count_queries()
    for hour in range(8, 18):
        make_session(world.a, starts_at=local(NEXT_MONDAY, hour), instructor=world.a.instructor)

    assert count_queries() == few


def test_it_gets_sessions_by_ids_for_live_events(world, schedule):
    ids = [session.pk for session in schedule.values()]

    assert names(queries.sessions_by_ids(world.a.manager, ids), schedule) == [
        "main",
        "open",
        "cancelled",
    ]
    assert names(queries.sessions_by_ids(world.b.client, ids), schedule) == ["other_tenant"]


def test_it_scopes_single_sessions(world, schedule):
    assert queries.get_session(world.a.instructor, schedule["main"].pk) == schedule["main"]
    with pytest.raises(PermissionDenied):
        queries.get_session(world.a.instructor, schedule["annex"].pk)
    with pytest.raises(NotFound):
        queries.get_session(world.b.owner, schedule["main"].pk)


def test_it_lists_class_types(world):
    archived = factories.ClassTypeFactory(organization=world.a.organization, active=False)

    assert archived not in queries.class_types_for(world.a.owner)
    assert archived in queries.class_types_for(world.a.owner, include_inactive=True)
    assert archived not in queries.class_types_for(world.a.client, include_inactive=True)
