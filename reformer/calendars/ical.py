"""iCalendar output (RFC 5545): events in their studio's own time zone, with VTIMEZONE.

Times are written as local wall-clock times with a TZID (`DTSTART;TZID=Europe/London:...`)
and the calendar carries the VTIMEZONE of each zone used, so a 07:00 class reads 07:00 on
both sides of a daylight-saving change in every calendar app. DTSTAMP is the event's
last-modified time (RFC 5545 3.8.7.2 for a calendar without METHOD), which makes a feed's
bytes, and so its ETag, change only when an event does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

import icalendar

from reformer.core.timezones import zone

PRODID = "-//Reformer//Studio calendar//EN"
UID_DOMAIN = "reformer.calendar"
# How often a subscribed calendar should come back (clients that honour the hints).
REFRESH_INTERVAL = dt.timedelta(hours=1)

ALARMS: dict[str, tuple[dt.timedelta, ...]] = {
    "2h_30m": (dt.timedelta(hours=2), dt.timedelta(minutes=30)),
    "2h": (dt.timedelta(hours=2),),
    "30m": (dt.timedelta(minutes=30),),
    "none": (),
}
DEFAULT_REMINDERS = "2h_30m"


@dataclass(frozen=True)
class FeedEvent:
    uid: str
    summary: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    time_zone: str
    location: str = ""
    description: str = ""
    status: str = "CONFIRMED"  # CONFIRMED, TENTATIVE or CANCELLED
    url: str = ""
    # A waitlist place does not block the person's time.
    transparent: bool = False
    categories: tuple[str, ...] = field(default_factory=tuple)

    @property
    def fingerprint(self) -> str:
        """Everything a calendar shows: a change here is a new SEQUENCE."""
        parts = [
            self.summary,
            self.starts_at.astimezone(dt.UTC).isoformat(),
            self.ends_at.astimezone(dt.UTC).isoformat(),
            self.time_zone,
            self.location,
            self.description,
            self.status,
            self.url,
            str(self.transparent),
        ]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Revision:
    sequence: int
    last_modified: dt.datetime


def uid(kind: str, key: object) -> str:
    return f"{kind}-{key}@{UID_DOMAIN}"


def _event(event: FeedEvent, revision: Revision, reminders: str) -> icalendar.Event:
    tz = zone(event.time_zone)
    stamp = revision.last_modified.astimezone(dt.UTC).replace(microsecond=0)
    component = icalendar.Event()
    component.add("uid", event.uid)
    component.add("dtstamp", stamp)
    component.add("last-modified", stamp)
    component.add("sequence", revision.sequence)
    component.add("dtstart", event.starts_at.astimezone(tz))
    component.add("dtend", event.ends_at.astimezone(tz))
    component.add("summary", event.summary)
    if event.location:
        component.add("location", event.location)
    if event.description:
        component.add("description", event.description)
    component.add("status", event.status)
    component.add("transp", "TRANSPARENT" if event.transparent else "OPAQUE")
    if event.url:
        component.add("url", event.url)
    if event.categories:
        component.add("categories", list(event.categories))
    if event.status != "CANCELLED":
        for before in ALARMS.get(reminders, ALARMS[DEFAULT_REMINDERS]):
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"{event.summary} starts in {_duration_text(before)}")
            alarm.add("trigger", -before)
            component.add_component(alarm)
    return component


def _duration_text(before: dt.timedelta) -> str:
    minutes = int(before.total_seconds() // 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minutes"


def build_calendar(
    events: Iterable[tuple[FeedEvent, Revision]],
    *,
    name: str,
    reminders: str = DEFAULT_REMINDERS,
    time_zone: str | None = None,
    refresh: bool = True,
) -> bytes:
    """A VCALENDAR with the events (sorted by start) and the VTIMEZONE of each zone used."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("name", name)
    if time_zone:
        calendar.add("x-wr-timezone", time_zone)
    if refresh:
        # RFC 7986 and the older Apple/Outlook spelling of the same hint.
        calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", icalendar.vDuration(REFRESH_INTERVAL))
    ordered = sorted(events, key=lambda pair: (pair[0].starts_at, pair[0].uid))
    for event, revision in ordered:
        calendar.add_component(_event(event, revision, reminders))
    if ordered:
        # Transitions from a year before the first event to a year after the last: enough
        # for every event, without decades of history in each poll.
        calendar.add_missing_timezones(
            first_date=ordered[0][0].starts_at.date() - dt.timedelta(days=366),
            last_date=max(pair[0].ends_at for pair in ordered).date() + dt.timedelta(days=366),
        )
    return calendar.to_ical()
