from __future__ import annotations

import pytest

from reformer.core.errors import DomainError, NotFound, PermissionDenied
from reformer.core.models import AuditEvent
from reformer.scheduling.actions import create_class_type, update_class_type
from reformer.scheduling.models import ClassType
from tests.scheduling.helpers import audit_codes


def test_it_creates_a_class_type(world):
    class_type = create_class_type(
        world.a.manager,
        name="Jumpboard",
        duration_minutes=45,
        default_capacity=8,
        colour="#FFAA00",
        description="Cardio on the reformer.",
    )

    assert class_type.organization == world.a.organization
    assert (class_type.duration_minutes, class_type.default_capacity, class_type.colour) == (
        45,
        8,
        "#ffaa00",
    )
    assert audit_codes() == ["scheduling.class_type.created"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "REFORMER flow"}, "already a class type called REFORMER flow"),
        ({"duration_minutes": 4}, "Length \\(minutes\\) must be between 5 and 600"),
        ({"duration_minutes": 601}, "between 5 and 600"),
        ({"default_capacity": 0}, "Default capacity must be between 1 and 500"),
        ({"colour": "red"}, "colour like"),
        ({"name": "x" * 81}, "too long"),
    ],
)
def test_it_validates_a_class_type(world, fields, message):
    data = {"name": "Jumpboard"} | fields

    with pytest.raises(DomainError, match=message):
        create_class_type(world.a.owner, **data)
    assert ClassType.objects.filter(organization=world.a.organization).count() == 1
    assert not AuditEvent.objects.exists()


def test_it_allows_the_same_name_in_another_organization(world):
    create_class_type(world.a.owner, name="Mat")

    assert create_class_type(world.b.owner, name="mat").organization == world.b.organization


def test_it_updates_and_archives_a_class_type(world):
    update_class_type(world.a.owner, world.a.class_type, name="Flow", default_capacity=12)
    class_type = update_class_type(world.a.owner, world.a.class_type, active=False)

    class_type.refresh_from_db()
    assert (class_type.name, class_type.default_capacity, class_type.active) == ("Flow", 12, False)
    assert audit_codes() == ["scheduling.class_type.updated"] * 2


def test_it_refuses_renaming_onto_another_class_type(world):
    create_class_type(world.a.owner, name="Mat")

    with pytest.raises(DomainError, match="already a class type called mat"):
        update_class_type(world.a.owner, world.a.class_type, name="mat")
    assert ClassType.objects.get(pk=world.a.class_type.pk).name == "Reformer Flow"


def test_it_guards_class_types(world):
    with pytest.raises(PermissionDenied):
        create_class_type(world.a.front_desk, name="Mat")
    with pytest.raises(NotFound):
        update_class_type(world.b.owner, world.a.class_type, name="Mat")
