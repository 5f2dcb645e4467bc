"""Setup: rooms and their spot layout (named reformers placed on a grid)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from reformer.core.errors import DomainError
from reformer.core.permissions import MANAGE_STUDIO
from reformer.studios import actions
from reformer.studios.validation import plural
from reformer.web.auth import capability_required
from reformer.web.staff.common import actor_of, refused, room_for, studio_for
from reformer.web.staff.forms import LayoutForm, RoomForm
from reformer.web.staff.setup_queries import active_spots
from reformer.web.staff.setup_studios import STUDIO_TEMPLATE, _studio_context

ROOM_TEMPLATE = "staff/setup/room.html"


@require_POST
@capability_required(MANAGE_STUDIO)
def room_create(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    studio = studio_for(actor, pk)
    form = RoomForm(request.POST, auto_id="room_%s")
    context = _studio_context(studio, room_form=form)
    if not form.is_valid():
        return render(request, STUDIO_TEMPLATE, context, status=422)
    try:
        room = actions.create_room(actor, studio, **form.cleaned_data)
    except DomainError as error:
        return refused(request, error, STUDIO_TEMPLATE, context)
    messages.success(request, f"{room.name} added. Now place its reformers on the map.")
    return redirect("staff:room", pk=room.pk)


def _layout_json(spots) -> str:
    return json.dumps(
        [
            {"label": s.label, "row": s.row, "column": s.column, "equipment_type": s.equipment_type}
            for s in spots
        ]
    )


def _room_context(room, *, form=None, layout_form=None) -> dict:
    spots = active_spots(room)
    return {
        "room": room,
        "studio": room.studio,
        "spots": spots,
        "form": form
        or RoomForm(
            initial={
                "name": room.name,
                "capacity": room.capacity,
                "grid_columns": room.grid_columns,
                "grid_rows": room.grid_rows,
            }
        ),
        "layout_form": layout_form or LayoutForm(initial={"layout": _layout_json(spots)}),
        "grid_rows": range(room.grid_rows),
        "grid_columns": range(room.grid_columns),
    }


@capability_required(MANAGE_STUDIO)
def room(request: HttpRequest, pk: int) -> HttpResponse:
    """The room's details and its layout editor; POST saves the details."""
    actor = actor_of(request)
    room = room_for(actor, pk)
    if request.method != "POST":
        return render(request, ROOM_TEMPLATE, _room_context(room))
    form = RoomForm(request.POST)
    context = _room_context(room, form=form)
    if not form.is_valid():
        return render(request, ROOM_TEMPLATE, context, status=422)
    try:
        actions.update_room(actor, room, **form.cleaned_data)
    except DomainError as error:
        return refused(request, error, ROOM_TEMPLATE, context)
    messages.success(request, "Room saved.")
    return redirect("staff:room", pk=room.pk)


@require_POST
@capability_required(MANAGE_STUDIO)
def room_layout(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the layout editor's grid: one `set_spot_layout` call."""
    actor = actor_of(request)
    room = room_for(actor, pk)
    layout_form = LayoutForm(request.POST)
    context = _room_context(room, layout_form=layout_form)
    if not layout_form.is_valid():
        return render(request, ROOM_TEMPLATE, context, status=422)
    try:
        placed = actions.set_spot_layout(actor, room, spots=layout_form.cleaned_data["layout"])
    except DomainError as error:
        return refused(request, error, ROOM_TEMPLATE, context)
    messages.success(request, f"Layout saved: {plural(len(placed), 'reformer')}.")
    return redirect("staff:room", pk=room.pk)
