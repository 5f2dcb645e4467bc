"""Building feeds: the events of a source, their revisions, and the iCalendar bytes.

A revision (SEQUENCE, LAST-MODIFIED) is kept per UID in CalendarEventState and moves only
when what the event shows changes (its fingerprint), whoever changed it: a booking action,
a class moved by staff, a job. That is checked when a feed is built, in one read and at
most one upsert, so no action has to know about calendars.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cached_property

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.calendars import ical, sources
from reformer.calendars.ical import FeedEvent, Revision
from reformer.calendars.models import CalendarEventState, CalendarFeed
from reformer.core import timeformat
from reformer.studios.models import Studio

BODY_CACHE_SECONDS = 3600

_UPSERT_SQL = """
INSERT INTO calendars_calendareventstate (uid, organization_id, fingerprint, sequence,
                                          last_modified)
SELECT uid, organization_id, fingerprint, 0, %s
  FROM unnest(%s::text[], %s::bigint[], %s::text[]) AS t(uid, organization_id, fingerprint)
ON CONFLICT (uid) DO UPDATE
   SET fingerprint = EXCLUDED.fingerprint,
       sequence = calendars_calendareventstate.sequence + 1,
       last_modified = EXCLUDED.last_modified
 WHERE calendars_calendareventstate.fingerprint <> EXCLUDED.fingerprint
"""


def revisions(
    events: list[FeedEvent], organization_id: int, *, now: dt.datetime | None = None
) -> dict[str, Revision]:
    """The current revision of each event, bumping those whose content changed."""
    if not events:
        return {}
    now = (now or timezone.now()).replace(microsecond=0)
    uids = [event.uid for event in events]
    known = {
        state.uid: state
        for state in CalendarEventState.objects.filter(uid__in=uids).only(
            "uid", "fingerprint", "sequence", "last_modified"
        )
    }
    changed = [
        event
        for event in events
        if event.uid not in known or known[event.uid].fingerprint != event.fingerprint
    ]
    if changed:
        with connection.cursor() as cursor:
            cursor.execute(
                _UPSERT_SQL,
                [
                    now,
                    [event.uid for event in changed],
                    [organization_id] * len(changed),
                    [event.fingerprint for event in changed],
                ],
            )
        for state in CalendarEventState.objects.filter(
            uid__in=[event.uid for event in changed]
        ).only("uid", "fingerprint", "sequence", "last_modified"):
            known[state.uid] = state
    return {state.uid: Revision(state.sequence, state.last_modified) for state in known.values()}


class BuiltFeed:
    """A feed's events and revisions. The ETag comes from the revisions alone, so a poller
    whose copy is current gets its 304 without the calendar being serialized; the bytes are
    made on first use and kept in the cache under that ETag (an hour)."""

    def __init__(
        self,
        pairs: list[tuple[FeedEvent, Revision]],
        *,
        name: str,
        reminders: str,
        time_zone: str,
    ) -> None:
        self.pairs = pairs
        self.name, self.reminders, self.time_zone = name, reminders, time_zone
        self.events = len(pairs)
        self.last_modified = max((r.last_modified for _, r in pairs), default=None)
        identity = [ical.PRODID, name, reminders, time_zone, str(ical.REFRESH_INTERVAL)]
        identity += sorted(
            f"{event.uid} {revision.sequence} {revision.last_modified.isoformat()}"
            for event, revision in pairs
        )
        digest = hashlib.sha256("\n".join(identity).encode()).hexdigest()[:32]
        self.etag = f'"{digest}"'

    @cached_property
    def body(self) -> bytes:
        key = f"calendar-feed-body:{self.etag}"
        body = cache.get(key)
        if body is None:
            body = ical.build_calendar(
                self.pairs, name=self.name, reminders=self.reminders, time_zone=self.time_zone
            )
            cache.set(key, body, timeout=BODY_CACHE_SECONDS)
        return body


def _build(
    events: list[FeedEvent],
    organization_id: int,
    *,
    name: str,
    reminders: str,
    time_zone: str,
    now: dt.datetime | None,
) -> BuiltFeed:
    revised = revisions(events, organization_id, now=now)
    pairs = [(event, revised[event.uid]) for event in events]
    return BuiltFeed(pairs, name=name, reminders=reminders, time_zone=time_zone)


def person_feed(feed: CalendarFeed, *, base_url: str, now: dt.datetime | None = None) -> BuiltFeed:
    member: Membership = feed.membership
    window = sources.Window(now or timezone.now(), base_url)
    organization = member.organization
    with timeformat.activate(organization):
        events = sources.person_events(member, window)
    return _build(
        events,
        member.organization_id,
        name=f"{organization.name} (Reformer)",
        reminders=feed.reminders,
        time_zone=organization.time_zone,
        now=now,
    )


def studio_feed(studio: Studio, *, base_url: str, now: dt.datetime | None = None) -> BuiltFeed:
    window = sources.Window(now or timezone.now(), base_url)
    with timeformat.activate(studio.organization):
        events = sources.studio_events(studio, window)
    return _build(
        events,
        studio.organization_id,
        name=f"{studio.name} class schedule",
        reminders="none",
        time_zone=studio.time_zone,
        now=now,
    )


def single_booking(
    booking, *, base_url: str, reminders: str, now: dt.datetime | None = None
) -> bytes:
    """One booking as a calendar file ("Add to calendar"): the feed's UID, revision and
    alarms, so importing it and subscribing later give one event, not two."""
    with timeformat.activate(booking.organization):
        event = sources.booking_event(booking, sources.Window(now or timezone.now(), base_url))
    session = booking.session
    return _build(
        [event],
        booking.organization_id,
        name=f"{session.class_type.name} at {session.studio.name}",
        reminders=reminders,
        time_zone=session.studio.time_zone,
        now=now,
    ).body


def single_appointment_place(
    place, *, base_url: str, reminders: str, now: dt.datetime | None = None
) -> bytes:
    """A client's appointment as a calendar file, with the feed's UID, revision and alarms."""
    window = sources.Window(now or timezone.now(), base_url)
    with timeformat.activate(place.organization):
        event = sources.appointment_place_event(place, window)
    appointment = place.appointment
    return _build(
        [event],
        place.organization_id,
        name=event.summary,
        reminders=reminders,
        time_zone=appointment.studio.time_zone,
        now=now,
    ).body
