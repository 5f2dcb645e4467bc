"""Loading a class with everything the booking rules and messages need, in one query."""

from __future__ import annotations

import datetime as dt

from reformer.core.timezones import to_local
from reformer.scheduling.models import ClassSession
from reformer.studios.models import StudioPolicy


def load_session(session_id: int, *, for_update: bool = False) -> ClassSession:
    """A fresh copy of the class with studio, policy, type, room and instructor joined."""
    queryset = ClassSession.objects.select_related(
        "studio__policy", "class_type", "room", "instructor__user"
    )
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    return queryset.get(pk=session_id)


def policy_of(session: ClassSession) -> StudioPolicy:
    """The studio's policy; an unsaved one with the spec's defaults if none was set up."""
    studio = session.studio
    try:
        return studio.policy
    except StudioPolicy.DoesNotExist:
        return StudioPolicy(studio=studio, organization_id=studio.organization_id)


def format_local(moment: dt.datetime, tz_name: str, *, with_zone: bool = False) -> str:
    """'Tue 14 Jan 18:00' in the studio's zone (no leading zero on the day)."""
    local = to_local(moment, tz_name)
    text = f"{local:%a} {local.day} {local:%b %H:%M}"
    return f"{text} {local:%Z}" if with_zone else text
