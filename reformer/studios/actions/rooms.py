"""Rooms and their spots (the equipment a client may pick), including the grid layout."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.core import audit, timeformat
from reformer.core.permissions import MANAGE_STUDIO, require, require_same_organization
from reformer.core.timezones import to_local
from reformer.scheduling.models import ClassSession, RecurringTemplate
from reformer.studios.audit_codes import (
    STUDIOS_ROOM_CREATED,
    STUDIOS_ROOM_LAYOUT_SET,
    STUDIOS_ROOM_UPDATED,
    STUDIOS_SPOT_ADDED,
    STUDIOS_SPOT_DEACTIVATED,
    STUDIOS_SPOT_UPDATED,
)
from reformer.studios.locking import lock_studio
from reformer.studios.models import Room, Spot, Studio
from reformer.studios.validation import (
    WEEKDAYS,
    apply_changes,
    clean_int,
    clean_text,
    clock,
    day_label,
    invalid,
    violated_constraint,
)

MAX_ROOM_CAPACITY = 500
MAX_GRID_SIZE = 30


def _room_values(
    *, name: str | None, capacity: int | None, grid_columns: int | None, grid_rows: int | None
) -> dict[str, Any]:
    values: dict[str, object] = {}
    if name is not None:
        values["name"] = clean_text(name, field="name", label="Name", max_length=80)
    if capacity is not None:
        values["capacity"] = clean_int(
            capacity, field="capacity", label="Capacity", minimum=1, maximum=MAX_ROOM_CAPACITY
        )
    if grid_columns is not None:
        values["grid_columns"] = clean_int(
            grid_columns, field="grid_columns", label="Columns", minimum=1, maximum=MAX_GRID_SIZE
        )
    if grid_rows is not None:
        values["grid_rows"] = clean_int(
            grid_rows, field="grid_rows", label="Rows", minimum=1, maximum=MAX_GRID_SIZE
        )
    return values


def _save_room(room: Room, *, create: bool) -> None:
    try:
        with transaction.atomic():
            room.save(force_insert=create)
    except IntegrityError as exc:
        if violated_constraint(exc) == "room_name_unique_per_studio":
            raise invalid(f"There is already a room called {room.name} here.", "name") from None
        raise


def create_room(
    actor: Membership,
    studio: Studio,
    *,
    name: str,
    capacity: int,
    grid_columns: int = 4,
    grid_rows: int = 3,
) -> Room:
    require(actor, MANAGE_STUDIO, studio=studio)
    values = _room_values(
        name=name, capacity=capacity, grid_columns=grid_columns, grid_rows=grid_rows
    )
    with transaction.atomic(durable=True):
        room = Room(organization_id=studio.organization_id, studio=studio, **values)
        _save_room(room, create=True)
        audit.record(actor, STUDIOS_ROOM_CREATED, room, **values)
    return room


def update_room(
    actor: Membership,
    room: Room,
    *,
    name: str | None = None,
    capacity: int | None = None,
    grid_columns: int | None = None,
    grid_rows: int | None = None,
) -> Room:
    """Change the given fields. Capacity cannot go below a class planned in the room, and the
    grid cannot shrink past a spot in use."""
    require_same_organization(actor, room, "room")
    require(actor, MANAGE_STUDIO, studio=room.studio)
    values = _room_values(
        name=name, capacity=capacity, grid_columns=grid_columns, grid_rows=grid_rows
    )
    with transaction.atomic(durable=True):
        studio = lock_studio(room.studio_id)
        room = Room.objects.select_for_update().get(pk=room.pk)
        changes = apply_changes(room, values)
        if "capacity" in changes:
            _check_room_capacity(room, studio)
        if {"grid_columns", "grid_rows"} & changes.keys():
            outside = _spot_outside_grid(room)
            if outside is not None:
                raise invalid(
                    f"{outside.label} sits outside a {room.grid_columns}-by-{room.grid_rows} grid; "
                    "move or remove it first.",
                    "grid_columns",
                )
        if changes:
            _save_room(room, create=False)
            audit.record(actor, STUDIOS_ROOM_UPDATED, room, changes=changes)
    return room


def _spot_outside_grid(room: Room) -> Spot | None:
    for spot in Spot.objects.filter(room=room, active=True):
        if spot.column >= room.grid_columns or spot.row >= room.grid_rows:
            return spot
    return None


def _check_room_capacity(room: Room, studio: Studio) -> None:
    session = (
        ClassSession.objects.filter(
            room=room,
            status=ClassSession.Status.SCHEDULED,
            ends_at__gt=timezone.now(),
            capacity__gt=room.capacity,
        )
        .select_related("class_type")
        .order_by("-capacity", "starts_at")
        .first()
    )
    if session is not None:
        local = to_local(session.starts_at, studio.time_zone)
        at = timeformat.when(local, "time")
        raise invalid(
            f"{session.class_type.name} on {day_label(local.date())} at {at} has "
            f"{session.capacity} places; lower its capacity to {room.capacity} or move it to "
            "another room first.",
            "capacity",
        )
    template = (
        RecurringTemplate.objects.filter(room=room, active=True, capacity__gt=room.capacity)
        .select_related("class_type")
        .first()
    )
    if template is not None:
        raise invalid(
            f"The weekly {template.class_type.name} on {WEEKDAYS[template.weekday]}s at "
            f"{clock(template.local_start_time)} has {template.capacity} places; lower it to "
            f"{room.capacity} first.",
            "capacity",
        )


# -------------------------------------------------------------------------------------- spots
# Spot positions are zero-based cells of the room's grid (column < grid_columns, row <
# grid_rows). A spot is never deleted once made, since bookings may point at it: it is
# deactivated instead, and adding a spot with the same label brings it back.


def _spot_values(
    room: Room,
    *,
    label: object = None,
    column: object = None,
    row: object = None,
    equipment_type: object = None,
) -> dict[str, Any]:
    values: dict[str, object] = {}
    if label is not None:
        values["label"] = clean_text(label, field="label", label="Label", max_length=40)
    if equipment_type is not None:
        values["equipment_type"] = clean_text(
            equipment_type, field="equipment_type", label="Equipment type", max_length=40
        )
    if column is not None:
        values["column"] = clean_int(
            column, field="column", label="Column", minimum=0, maximum=room.grid_columns - 1
        )
    if row is not None:
        values["row"] = clean_int(
            row, field="row", label="Row", minimum=0, maximum=room.grid_rows - 1
        )
    return values


def _save_spot(spot: Spot, room: Room, *, create: bool) -> None:
    try:
        with transaction.atomic():
            spot.save(force_insert=create)
    except IntegrityError as exc:
        constraint = violated_constraint(exc)
        if constraint == "spot_label_unique_per_room":
            raise invalid(
                f"There is already a spot called {spot.label} in {room.name}.", "label"
            ) from None
        if constraint == "spot_grid_cell_unique_per_room":
            raise invalid(
                f"Another spot already sits at column {spot.column}, row {spot.row} of "
                f"{room.name}.",
                "column",
            ) from None
        raise


def _lock_room_of(actor: Membership, obj: Room | Spot) -> Room:
    """Authorize on the room's studio, then lock the room (serializes its layout changes)."""
    room = obj if isinstance(obj, Room) else obj.room
    require(actor, MANAGE_STUDIO, studio=room.studio)
    return Room.objects.select_for_update().get(pk=room.pk)


def add_spot(
    actor: Membership,
    room: Room,
    *,
    label: str,
    column: int,
    row: int,
    equipment_type: str = "reformer",
) -> Spot:
    require_same_organization(actor, room, "room")
    with transaction.atomic(durable=True):
        room = _lock_room_of(actor, room)
        values = _spot_values(
            room, label=label, column=column, row=row, equipment_type=equipment_type
        )
        spot = Spot.objects.filter(room=room, label__iexact=values["label"], active=False).first()
        create = spot is None
        if spot is None:
            spot = Spot(organization_id=room.organization_id, room=room, **values)
        else:
            apply_changes(spot, values)
            spot.active = True
        _save_spot(spot, room, create=create)
        audit.record(actor, STUDIOS_SPOT_ADDED, spot, reactivated=not create, **values)
    return spot


def update_spot(
    actor: Membership,
    spot: Spot,
    *,
    label: str | None = None,
    column: int | None = None,
    row: int | None = None,
    equipment_type: str | None = None,
) -> Spot:
    require_same_organization(actor, spot, "spot")
    with transaction.atomic(durable=True):
        room = _lock_room_of(actor, spot)
        spot = Spot.objects.get(pk=spot.pk)
        values = _spot_values(
            room, label=label, column=column, row=row, equipment_type=equipment_type
        )
        changes = apply_changes(spot, values)
        if changes:
            _save_spot(spot, room, create=False)
            audit.record(actor, STUDIOS_SPOT_UPDATED, spot, changes=changes)
    return spot


def deactivate_spot(actor: Membership, spot: Spot) -> Spot:
    """Take a spot out of use (broken equipment). Bookings already holding it keep it."""
    require_same_organization(actor, spot, "spot")
    with transaction.atomic(durable=True):
        _lock_room_of(actor, spot)
        spot = Spot.objects.get(pk=spot.pk)
        if spot.active:
            spot.active = False
            spot.save(update_fields=["active"])
            audit.record(actor, STUDIOS_SPOT_DEACTIVATED, spot, label=spot.label)
    return spot


LAYOUT_KEYS = frozenset({"label", "column", "row", "equipment_type"})


def set_spot_layout(actor: Membership, room: Room, *, spots: list[dict[str, Any]]) -> list[Spot]:
    """Replace the room's layout: `spots` are {label, column, row, equipment_type}.

    Spots are matched to existing ones by label (case-insensitive); spots left out are
    deactivated, never deleted, and a returning label reactivates its old spot. Returns the
    active spots in grid order.
    """
    require_same_organization(actor, room, "room")
    with transaction.atomic(durable=True):
        room = _lock_room_of(actor, room)
        wanted = _clean_layout(room, spots)
        existing = {spot.label.lower(): spot for spot in Spot.objects.filter(room=room)}
        before = {spot.label for spot in existing.values() if spot.active}
        # Free every cell first: the one-active-spot-per-cell constraint then holds at every
        # step, even when two spots swap places.
        Spot.objects.filter(room=room, active=True).update(active=False)
        placed = []
        for values in wanted:
            spot = existing.get(str(values["label"]).lower())
            if spot is None:
                spot = Spot.objects.create(
                    organization_id=room.organization_id, room=room, **values
                )
            else:
                apply_changes(spot, values)
                spot.active = True
                spot.save()
            placed.append(spot)
        after = {spot.label for spot in placed}
        audit.record(
            actor,
            STUDIOS_ROOM_LAYOUT_SET,
            room,
            added=sorted(after - before),
            removed=sorted(before - after),
            spots=len(placed),
        )
    return sorted(placed, key=lambda spot: (spot.row, spot.column, spot.label))


def _clean_layout(room: Room, spots: object) -> list[dict[str, object]]:
    if not isinstance(spots, list | tuple):
        raise invalid("The layout must be a list of spots.", "spots")
    cleaned: list[dict[str, object]] = []
    labels: set[str] = set()
    cells: dict[tuple[object, object], object] = {}
    for number, item in enumerate(spots, start=1):
        if not isinstance(item, dict):
            raise invalid(f"Spot {number} must have a label, a column and a row.", "spots")
        if unknown := set(item) - LAYOUT_KEYS:
            fields = ", ".join(sorted(unknown))
            raise invalid(f"Spot {number} has unknown fields: {fields}.", "spots")
        if item.get("column") is None or item.get("row") is None:
            raise invalid(f"Spot {number}: give its column and row.", "spots")
        values = _spot_values(
            room,
            label=item.get("label", ""),
            column=item["column"],
            row=item["row"],
            equipment_type=item.get("equipment_type") or "reformer",
        )
        label = str(values["label"])
        if label.lower() in labels:
            raise invalid(f"Two spots are called {label}.", "spots")
        labels.add(label.lower())
        cell = (values["column"], values["row"])
        if cell in cells:
            raise invalid(
                f"{cells[cell]} and {label} are both at column {cell[0]}, row {cell[1]}.",
                "spots",
            )
        cells[cell] = label
        cleaned.append(values)
    return cleaned
