from __future__ import annotations

import pytest

from reformer.bookings.models import Booking
from reformer.core.errors import DomainError
from reformer.core.models import AuditEvent
from reformer.scheduling.models import RecurringTemplate
from reformer.studios.actions import (
    add_spot,
    create_room,
    deactivate_spot,
    set_spot_layout,
    update_room,
    update_spot,
)
from reformer.studios.models import Room, Spot
from tests import factories
from tests.factories import make_session
from tests.scheduling.helpers import NEXT_MONDAY, audit_codes, local


@pytest.fixture
def room(world):
    """An empty 3-by-2 room in tenant a's main studio."""
    return Room.objects.create(
        organization=world.a.organization,
        studio=world.a.studio,
        name="Tower Room",
        capacity=6,
        grid_columns=3,
        grid_rows=2,
    )


def layout(room):
    return [
        (spot.label, spot.column, spot.row, spot.equipment_type, spot.active)
        for spot in Spot.objects.filter(room=room).order_by("label")
    ]


# ------------------------------------------------------------------------------------ rooms


def test_it_creates_a_room(world):
    room = create_room(world.a.manager, world.a.studio, name="Tower Room", capacity=6)

    assert (room.organization, room.studio, room.capacity) == (
        world.a.organization,
        world.a.studio,
        6,
    )
    assert (room.grid_columns, room.grid_rows) == (4, 3)
    assert audit_codes() == ["studios.room.created"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "reformer room"}, "already a room called reformer room"),
        ({"capacity": 0}, "Capacity must be between 1 and 500"),
        ({"grid_columns": 0}, "Columns must be between 1 and 30"),
        ({"grid_rows": 31}, "Rows must be between 1 and 30"),
        ({"name": ""}, "Name is required"),
    ],
)
def test_it_validates_a_new_room(world, fields, message):
    data = {"name": "Tower Room", "capacity": 6} | fields

    with pytest.raises(DomainError, match=message):
        create_room(world.a.owner, world.a.studio, **data)
    assert Room.objects.count() == 2  # the two tenants' rooms


def test_it_allows_the_same_room_name_in_another_studio(world):
    room = create_room(world.a.owner, world.a.other_studio, name="Reformer Room", capacity=8)

    assert room.studio == world.a.other_studio


def test_it_updates_a_room(world, room):
    room = update_room(world.a.manager, room, name="Tower", capacity=8, grid_columns=4)

    room.refresh_from_db()
    assert (room.name, room.capacity, room.grid_columns, room.grid_rows) == ("Tower", 8, 4, 2)
    event = AuditEvent.objects.get()
    assert event.data["changes"] == {
        "name": ["Tower Room", "Tower"],
        "capacity": [6, 8],
        "grid_columns": [3, 4],
    }


def test_it_refuses_a_capacity_below_an_upcoming_class(world, frozen):
    make_session(world.a, starts_at=local(NEXT_MONDAY, 7), capacity=8, instructor=None)
    make_session(world.a, starts_at=local(NEXT_MONDAY, 9), capacity=6, instructor=None)

    with pytest.raises(DomainError, match="Reformer Flow on Mon 2 Mar 2026 at 07:00 has 8 places"):
        update_room(world.a.owner, world.a.room, capacity=7)

    assert Room.objects.get(pk=world.a.room.pk).capacity == 10
    assert update_room(world.a.owner, world.a.room, capacity=8).capacity == 8


def test_it_ignores_past_and_cancelled_classes_when_lowering_capacity(world, frozen):
    make_session(
        world.a, starts_at=local(NEXT_MONDAY, 7), capacity=10, status="cancelled", instructor=None
    )
    past = local(NEXT_MONDAY, 7).replace(day=20, month=2)
    make_session(world.a, starts_at=past, capacity=10, instructor=None)

    assert update_room(world.a.owner, world.a.room, capacity=4).capacity == 4


def test_it_refuses_a_capacity_below_a_weekly_class(world, frozen):
    RecurringTemplate.objects.create(
        organization=world.a.organization,
        studio=world.a.studio,
        room=world.a.room,
        class_type=world.a.class_type,
        weekday=0,
        local_start_time="07:00",
        capacity=9,
        start_date=NEXT_MONDAY,
    )

    with pytest.raises(DomainError, match="weekly Reformer Flow on Mondays at 07:00 has 9 places"):
        update_room(world.a.owner, world.a.room, capacity=8)


def test_it_refuses_shrinking_the_grid_past_a_spot(world, room):
    add_spot(world.a.owner, room, label="Corner", column=2, row=1)

    with pytest.raises(DomainError, match="Corner sits outside a 2-by-2 grid"):
        update_room(world.a.owner, room, grid_columns=2)
    assert Room.objects.get(pk=room.pk).grid_columns == 3


def test_it_refuses_renaming_a_room_onto_another(world, room):
    with pytest.raises(DomainError, match="already a room called REFORMER ROOM"):
        update_room(world.a.owner, room, name="REFORMER ROOM")


# ------------------------------------------------------------------------------------ spots


def test_it_adds_a_spot(world, room):
    spot = add_spot(world.a.manager, room, label="Reformer 1", column=0, row=0)

    assert (spot.organization, spot.room, spot.equipment_type, spot.active) == (
        world.a.organization,
        room,
        "reformer",
        True,
    )
    assert audit_codes() == ["studios.spot.added"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"label": "reformer 1", "column": 1}, "already a spot called reformer 1 in Tower Room"),
        ({"label": "Reformer 2", "column": 0}, "Another spot already sits at column 0, row 0"),
        ({"label": "Reformer 2", "column": 3}, "Column must be between 0 and 2"),
        ({"label": "Reformer 2", "row": 2}, "Row must be between 0 and 1"),
        ({"label": ""}, "Label is required"),
        ({"label": "Chair", "equipment_type": "x" * 41}, "Equipment type is too long"),
    ],
)
def test_it_validates_a_new_spot(world, room, fields, message):
    add_spot(world.a.owner, room, label="Reformer 1", column=0, row=0)
    data = {"column": 1, "row": 0} | fields

    with pytest.raises(DomainError, match=message):
        add_spot(world.a.owner, room, **data)
    assert Spot.objects.filter(room=room).count() == 1


def test_it_brings_back_a_deactivated_spot_of_the_same_label(world, room):
    spot = add_spot(world.a.owner, room, label="Reformer 1", column=0, row=0)
    deactivate_spot(world.a.owner, spot)

    again = add_spot(
        world.a.owner, room, label="REFORMER 1", column=2, row=1, equipment_type="tower"
    )

    assert again.pk == spot.pk
    assert layout(room) == [("REFORMER 1", 2, 1, "tower", True)]


def test_it_updates_a_spot(world, room):
    spot = add_spot(world.a.owner, room, label="Reformer 1", column=0, row=0)

    update_spot(world.a.manager, spot, label="Reformer A", column=1, equipment_type="chair")

    assert layout(room) == [("Reformer A", 1, 0, "chair", True)]
    assert audit_codes() == ["studios.spot.added", "studios.spot.updated"]


def test_it_refuses_moving_a_spot_onto_another(world, room):
    add_spot(world.a.owner, room, label="Reformer 1", column=0, row=0)
    spot = add_spot(world.a.owner, room, label="Reformer 2", column=1, row=0)

    with pytest.raises(DomainError, match="column 0, row 0"):
        update_spot(world.a.owner, spot, column=0)
    assert Spot.objects.get(pk=spot.pk).column == 1


def test_it_deactivates_a_spot_once(world, room):
    spot = add_spot(world.a.owner, room, label="Reformer 1", column=0, row=0)

    deactivate_spot(world.a.manager, spot)
    deactivate_spot(world.a.manager, spot)

    assert Spot.objects.get(pk=spot.pk).active is False
    assert audit_codes() == ["studios.spot.added", "studios.spot.deactivated"]


# ---------------------------------------------------------------------------------- layouts


def test_it_sets_a_layout(world, room):
    spots = set_spot_layout(
        world.a.manager,
        room,
        spots=[
            {"label": "R2", "column": 1, "row": 0},
            {"label": "R1", "column": 0, "row": 0, "equipment_type": "reformer"},
            {"label": "Tower", "column": 2, "row": 1, "equipment_type": "tower"},
        ],
    )

    assert [spot.label for spot in spots] == ["R1", "R2", "Tower"]
    assert layout(room) == [
        ("R1", 0, 0, "reformer", True),
        ("R2", 1, 0, "reformer", True),
        ("Tower", 2, 1, "tower", True),
    ]
    event = AuditEvent.objects.get()
    assert (event.code, event.data["added"], event.data["removed"]) == (
        "studios.room.layout_set",
        ["R1", "R2", "Tower"],
        [],
    )


def test_it_replaces_a_layout_keeping_spots_that_bookings_reference(world, room, frozen):
    first = set_spot_layout(
        world.a.owner,
        room,
        spots=[{"label": "R1", "column": 0, "row": 0}, {"label": "R2", "column": 1, "row": 0}],
    )
    session = make_session(
        world.a, starts_at=local(NEXT_MONDAY, 7), room=room, capacity=6, instructor=None
    )
    Booking.objects.create(
        organization=world.a.organization,
        session=session,
        client=world.a.client,
        spot=first[1],
        starts_at=session.starts_at,
        ends_at=session.ends_at,
    )

    # R1 and R2 swap cells; R2 then leaves; R3 is new; R1 stays.
    set_spot_layout(
        world.a.owner,
        room,
        spots=[{"label": "R1", "column": 1, "row": 0}, {"label": "R3", "column": 0, "row": 0}],
    )
    set_spot_layout(
        world.a.owner,
        room,
        spots=[{"label": "R1", "column": 0, "row": 0}, {"label": "R3", "column": 1, "row": 0}],
    )

    assert layout(room) == [
        ("R1", 0, 0, "reformer", True),
        ("R2", 1, 0, "reformer", False),
        ("R3", 1, 0, "reformer", True),
    ]
    assert Booking.objects.get().spot == first[1]
    assert Spot.objects.filter(pk=first[0].pk, active=True).exists()


def test_it_brings_back_a_spot_that_returns_to_the_layout(world, room):
    set_spot_layout(world.a.owner, room, spots=[{"label": "R1", "column": 0, "row": 0}])
    set_spot_layout(world.a.owner, room, spots=[])
    assert layout(room) == [("R1", 0, 0, "reformer", False)]

    set_spot_layout(world.a.owner, room, spots=[{"label": "r1", "column": 2, "row": 1}])

    assert layout(room) == [("r1", 2, 1, "reformer", True)]


@pytest.mark.parametrize(
    ("spots", "message"),
    [
        (
            [{"label": "R1", "column": 0, "row": 0}, {"label": "r1", "column": 1, "row": 0}],
            "Two spots are called r1",
        ),
        (
            [{"label": "R1", "column": 0, "row": 0}, {"label": "R2", "column": 0, "row": 0}],
            "R1 and R2 are both at column 0, row 0",
        ),
        ([{"label": "R1", "column": 3, "row": 0}], "Column must be between 0 and 2"),
        ([{"label": "R1", "row": 0}], "Spot 1: give its column and row"),
        ([{"label": "R1", "column": 0, "row": 0, "colour": "red"}], "unknown fields: colour"),
        ([{"column": 0, "row": 0}], "Label is required"),
        (["R1"], "Spot 1 must have a label"),
        ({"label": "R1"}, "must be a list of spots"),
    ],
)
def test_it_validates_a_layout(world, room, spots, message):
    set_spot_layout(world.a.owner, room, spots=[{"label": "Keep", "column": 2, "row": 1}])

    with pytest.raises(DomainError, match=message):
        set_spot_layout(world.a.owner, room, spots=spots)
    assert layout(room) == [("Keep", 2, 1, "reformer", True)]
    assert audit_codes() == ["studios.room.layout_set"]


def test_it_keeps_the_world_spots_apart(world):
    # The fixture's rooms are untouched by layouts in another room.
    room = factories.RoomFactory(studio=world.a.studio, name="Side", capacity=2)

    set_spot_layout(world.a.owner, room, spots=[{"label": "Reformer 1", "column": 0, "row": 0}])

    assert Spot.objects.filter(room=world.a.room, active=True).count() == 10
