"""Tenancy matrix rows for the scheduling app (see tests/tenancy.py)."""

from __future__ import annotations

import datetime as dt

from reformer.scheduling import actions, queries
from reformer.scheduling.models import InstructorUnavailability, RecurringTemplate
from tests import factories
from tests.factories import make_session
from tests.scheduling.helpers import NEXT_MONDAY, NOW, local
from tests.tenancy import ALL_ROLES, MANAGERS, OWN, QUERY, register

OWNER = {"owner"}
WEEK_AHEAD = NOW + dt.timedelta(days=14)


def a_session(world):
    """A class taught by tenant a's instructor in a's main studio."""
    return {
        "session": make_session(
            world.a, starts_at=local(NEXT_MONDAY, 7), instructor=world.a.instructor
        )
    }


def a_template(world):
    return {
        "template": RecurringTemplate.objects.create(
            organization=world.a.organization,
            studio=world.a.studio,
            room=world.a.room,
            class_type=world.a.class_type,
            weekday=0,
            local_start_time=dt.time(7),
            capacity=8,
            start_date=NEXT_MONDAY,
        )
    }


def an_absence(world):
    return {
        "absence": InstructorUnavailability.objects.create(
            organization=world.a.organization,
            instructor=world.a.instructor,
            starts_on=NEXT_MONDAY,
            ends_on=NEXT_MONDAY,
        )
    }


def an_open_session(world):
    """A class in a's main studio with nobody teaching it."""
    return {"session": make_session(world.a, starts_at=local(NEXT_MONDAY, 7), instructor=None)}


# ---------------------------------------------------------------------------------- actions


@register(allowed=MANAGERS, other_tenant=OWN)
def create_class_type(actor, ctx):
    return actions.create_class_type(actor, name="Jumpboard")


@register(allowed=MANAGERS)
def update_class_type(actor, ctx):
    return actions.update_class_type(actor, ctx.a.class_type, default_capacity=6)


def a_class_type_photo(world) -> dict:
    # The row only: removing it deletes the file after commit, quietly when it is missing.
    type(world.a.class_type).objects.filter(pk=world.a.class_type.pk).update(
        photo="class-types/missing.jpg"
    )
    return {}


@register(allowed=MANAGERS, setup=a_class_type_photo)
def remove_class_type_photo(actor, ctx):
    return actions.remove_class_type_photo(actor, ctx.a.class_type)


@register(allowed=MANAGERS)
def create_session(actor, ctx):
    return actions.create_session(
        actor,
        studio=ctx.a.studio,
        room=ctx.a.room,
        class_type=ctx.a.class_type,
        starts_at=local(NEXT_MONDAY, 9),
    )


def an_annex_room(world):
    return {"room": factories.RoomFactory(studio=world.a.other_studio, name="Annex Room")}


@register(allowed=OWNER, setup=an_annex_room)
def create_session_outside_staff_scope(actor, ctx):
    return actions.create_session(
        actor,
        studio=ctx.a.other_studio,
        room=ctx.room,
        class_type=ctx.a.class_type,
        starts_at=local(NEXT_MONDAY, 9),
    )


@register(allowed=MANAGERS, setup=a_session)
def update_session(actor, ctx):
    return actions.update_session(actor, ctx.session, starts_at=local(NEXT_MONDAY, 10))


@register(allowed=MANAGERS, setup=a_session)
def assign_instructor(actor, ctx):
    return actions.assign_instructor(actor, ctx.session, instructor=None)


@register(allowed=MANAGERS | {"instructor"}, setup=a_session)
def set_session_notes(actor, ctx):
    return actions.set_session_notes(actor, ctx.session, notes="Bring springs")


@register(
    allowed=MANAGERS, name="set_session_notes_of_another_instructors_class", setup=an_open_session
)
def set_notes_of_untaught_session(actor, ctx):
    return actions.set_session_notes(actor, ctx.session, notes="Bring springs")


@register(allowed=MANAGERS)
def create_template(actor, ctx):
    return actions.create_template(
        actor,
        studio=ctx.a.studio,
        room=ctx.a.room,
        class_type=ctx.a.class_type,
        weekday=1,
        local_start_time="07:00",
        capacity=8,
        instructors=[ctx.a.instructor],
        start_date=NEXT_MONDAY,
    )


@register(allowed=MANAGERS, setup=a_template)
def update_template(actor, ctx):
    return actions.update_template(actor, ctx.template, capacity=6)


@register(allowed=MANAGERS, setup=a_template)
def deactivate_template(actor, ctx):
    return actions.deactivate_template(actor, ctx.template)


# An instructor marks themself away (ctx.a.instructor is the one acting as "instructor").
@register(allowed=MANAGERS | {"instructor"})
def add_unavailability(actor, ctx):
    return actions.add_unavailability(
        actor, ctx.a.instructor, starts_on=NEXT_MONDAY, ends_on=NEXT_MONDAY, reason="Away"
    )


@register(allowed=MANAGERS | {"instructor"}, setup=an_absence)
def remove_unavailability(actor, ctx):
    return actions.remove_unavailability(actor, ctx.absence)


# ---------------------------------------------------------------------------------- queries


@register(allowed=ALL_ROLES, other_tenant=OWN, kind=QUERY)
def class_types_for(actor, ctx):
    return list(queries.class_types_for(actor, include_inactive=True))


@register(allowed=ALL_ROLES, other_tenant=OWN, kind=QUERY, setup=a_session)
def sessions_for(actor, ctx):
    return list(
        queries.sessions_for(actor, start=NOW, end=WEEK_AHEAD, studio_ids=[ctx.a.studio.pk])
    )


@register(allowed=ALL_ROLES, other_tenant=OWN, kind=QUERY, setup=a_session)
def sessions_by_ids(actor, ctx):
    return queries.sessions_by_ids(actor, [ctx.session.pk])


@register(allowed=ALL_ROLES, kind=QUERY, setup=a_session)
def get_session(actor, ctx):
    return queries.get_session(actor, ctx.session.pk)


@register(allowed=MANAGERS, kind=QUERY, setup=a_template)
def get_template(actor, ctx):
    return queries.get_template(actor, ctx.template.pk)
