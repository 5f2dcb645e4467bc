"""Tenancy matrix rows for the fetchers the staff views really call (web/staff/common.py):
each finds an object of the actor's organization only, then asks core.permissions."""

from __future__ import annotations

import datetime as dt

from reformer.core.permissions import VIEW_ROSTER
from reformer.scheduling.models import RecurringTemplate
from reformer.studios.models import Closure
from reformer.web.staff import common
from tests import factories
from tests.tenancy import MANAGERS, QUERY, register

OWNER = frozenset({"owner"})
ROSTER = frozenset({"owner", "manager", "front_desk", "instructor"})


def _closure(world) -> dict:
    return {
        "closure": Closure.objects.create(
            organization=world.a.organization,
            studio=world.a.studio,
            date=dt.date(2026, 4, 6),
            reason="Easter Monday",
        )
    }


def _template(world) -> dict:
    a = world.a
    return {
        "template": RecurringTemplate.objects.create(
            organization=a.organization,
            studio=a.studio,
            room=a.room,
            class_type=a.class_type,
            weekday=0,
            local_start_time=dt.time(7),
            capacity=8,
            start_date=dt.date(2026, 3, 2),
        )
    }


def _product(world) -> dict:
    return {"product": factories.PackageProductFactory(organization=world.a.organization)}


def _session(world) -> dict:
    return {"session": factories.make_session(world.a)}


@register(allowed=MANAGERS, kind=QUERY)
def fetch_studio(actor, ctx):
    return common.studio_for(actor, ctx.a.studio.pk)


@register(allowed=MANAGERS, kind=QUERY)
def fetch_room(actor, ctx):
    return common.room_for(actor, ctx.a.room.pk)


@register(allowed=MANAGERS, kind=QUERY, setup=_closure)
def fetch_closure(actor, ctx):
    return common.closure_for(actor, ctx.closure.pk)


@register(allowed=MANAGERS, kind=QUERY)
def fetch_class_type(actor, ctx):
    return common.class_type_for(actor, ctx.a.class_type.pk)


@register(allowed=OWNER, kind=QUERY, setup=_product)
def fetch_product(actor, ctx):
    return common.product_for(actor, ctx.product.pk)


@register(allowed=MANAGERS, kind=QUERY, setup=_template)
def fetch_template(actor, ctx):
    return common.template_for(actor, ctx.template.pk)


@register(allowed=ROSTER, kind=QUERY, setup=_session)
def fetch_session_roster(actor, ctx):
    return common.session_for(actor, ctx.session.pk, VIEW_ROSTER)
