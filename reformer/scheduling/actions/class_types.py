"""Class types: what is taught (name, length, default size, colour)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from reformer.accounts.models import Membership
from reformer.core import audit
from reformer.core.permissions import MANAGE_CLASS_TYPES, require, require_same_organization
from reformer.scheduling.audit_codes import (
    SCHEDULING_CLASS_TYPE_CREATED,
    SCHEDULING_CLASS_TYPE_UPDATED,
)
from reformer.scheduling.models import ClassType
from reformer.studios.validation import (
    apply_changes,
    clean_colour,
    clean_int,
    clean_text,
    invalid,
    violated_constraint,
)

MAX_CLASS_CAPACITY = 500


def _values(
    *,
    name: str | None,
    duration_minutes: int | None,
    default_capacity: int | None,
    colour: str | None,
    description: str | None,
) -> dict[str, Any]:
    values: dict[str, object] = {}
    if name is not None:
        values["name"] = clean_text(name, field="name", label="Name", max_length=80)
    if duration_minutes is not None:
        values["duration_minutes"] = clean_int(
            duration_minutes,
            field="duration_minutes",
            label="Length (minutes)",
            minimum=5,
            maximum=600,
        )
    if default_capacity is not None:
        values["default_capacity"] = clean_int(
            default_capacity,
            field="default_capacity",
            label="Default capacity",
            minimum=1,
            maximum=MAX_CLASS_CAPACITY,
        )
    if colour is not None:
        values["colour"] = clean_colour(colour)
    if description is not None:
        values["description"] = clean_text(
            description,
            field="description",
            label="Description",
            max_length=5000,
            required=False,
        )
    return values


def _save(class_type: ClassType, *, create: bool) -> None:
    try:
        with transaction.atomic():
            class_type.save(force_insert=create)
    except IntegrityError as exc:
        if violated_constraint(exc) == "class_type_name_unique_per_organization":
            raise invalid(
                f"There is already a class type called {class_type.name}.", "name"
            ) from None
        raise


def create_class_type(
    actor: Membership,
    *,
    name: str,
    duration_minutes: int = 50,
    default_capacity: int = 10,
    colour: str = "#3b6e8f",
    description: str = "",
) -> ClassType:
    require(actor, MANAGE_CLASS_TYPES)
    values = _values(
        name=name,
        duration_minutes=duration_minutes,
        default_capacity=default_capacity,
        colour=colour,
        description=description,
    )
    with transaction.atomic(durable=True):
        class_type = ClassType(organization_id=actor.organization_id, **values)
        _save(class_type, create=True)
        audit.record(actor, SCHEDULING_CLASS_TYPE_CREATED, class_type, **values)
    return class_type


def update_class_type(
    actor: Membership,
    class_type: ClassType,
    *,
    name: str | None = None,
    duration_minutes: int | None = None,
    default_capacity: int | None = None,
    colour: str | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> ClassType:
    """Change the given fields (None = unchanged). Classes already scheduled keep their own
    length and capacity; `active=False` archives the type (no new classes, no generation)."""
    require_same_organization(actor, class_type, "class type")
    require(actor, MANAGE_CLASS_TYPES)
    values = _values(
        name=name,
        duration_minutes=duration_minutes,
        default_capacity=default_capacity,
        colour=colour,
        description=description,
    )
    if active is not None:
        values["active"] = bool(active)
    with transaction.atomic(durable=True):
        class_type = ClassType.objects.select_for_update().get(pk=class_type.pk)
        changes = apply_changes(class_type, values)
        if changes:
            _save(class_type, create=False)
            audit.record(actor, SCHEDULING_CLASS_TYPE_UPDATED, class_type, changes=changes)
    return class_type
