"""What goes into a calendar feed: one function per kind of event (a "source").

A person's feed is the union of `PERSON_SOURCES`: their bookings, their waitlist places, the
classes they teach, their places in appointments and the appointments they teach. A new kind
of event becomes part of every person's feed by adding its source function to that list.

Every source reads a bounded window (from `PAST` ago to `AHEAD` from now) in a fixed number
of queries, whatever the number of events. A person's feed holds what they still hold: a
booking, waitlist place or appointment place they cancelled or left leaves the feed at once,
so a subscribed calendar removes it at its next sync (PHX-24: "cancelled bookings are
removed from feed"; some calendar apps keep a STATUS:CANCELLED event on show). What they
teach stays while it is in the window, marked cancelled when the studio cancelled it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.urls import reverse

from reformer.accounts.models import Membership
from reformer.bookings.models import Booking, WaitlistEntry
from reformer.calendars.ical import FeedEvent, uid
from reformer.core.timeformat import when
from reformer.scheduling.models import ClassSession
from reformer.studios.models import Studio

PAST = dt.timedelta(days=30)
AHEAD = dt.timedelta(days=90)
STUDIO_PAST = dt.timedelta(days=7)
STUDIO_AHEAD = dt.timedelta(days=60)


@dataclass(frozen=True)
class Window:
    now: dt.datetime
    base_url: str  # scheme and host, for links in the events ("https://studio.example")

    def link(self, name: str, *args: object) -> str:
        return f"{self.base_url}{reverse(name, args=args)}"


def _location(session: ClassSession) -> str:
    studio = session.studio
    return ", ".join(part for part in (studio.name, studio.address) if part)


def _instructor(session: ClassSession) -> str:
    if session.instructor is None:
        return "instructor to be announced"
    return session.instructor.user.display_name


def _local_time(moment: dt.datetime, tz_name: str) -> str:
    """In the studio's zone, named (a calendar may show it anywhere), in the organization's
    format: the feed builders activate it (core/timeformat.py)."""
    return when(moment, "day_year_time", zone=tz_name, name_zone=True)


def _session_event(
    session: ClassSession,
    *,
    uid: str,
    title: str,
    lines: list[str],
    url: str,
    active: bool,
    status: str | None = None,
    **extra: Any,
) -> FeedEvent:
    """An event at a class's time and place; an inactive one is titled and marked cancelled."""
    return FeedEvent(
        uid=uid,
        summary=title if active else f"Cancelled: {title}",
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        time_zone=session.studio.time_zone,
        location=_location(session),
        description="\n".join(lines),
        status=status or ("CONFIRMED" if active else "CANCELLED"),
        url=url,
        **extra,
    )


def _class_lines(session: ClassSession) -> list[str]:
    lines = [
        f"{session.class_type.name} with {_instructor(session)}",
        f"{_local_time(session.starts_at, session.studio.time_zone)}",
        f"Room: {session.room.name}",
    ]
    if session.studio.address:
        lines.append(f"Address: {session.studio.address}")
    return lines


_SESSION_RELATED = (
    "session__class_type",
    "session__studio",
    "session__room",
    "session__instructor__user",
)


def booking_events(member: Membership, window: Window) -> list[FeedEvent]:
    """The person's bookings in the window; one event per class, recurring or not."""
    bookings = list(
        Booking.objects.filter(
            organization_id=member.organization_id,
            client=member,
            starts_at__gte=window.now - PAST,
            starts_at__lt=window.now + AHEAD,
            status__in=Booking.HOLDING,
        )
        .select_related(*_SESSION_RELATED, "spot")
        .order_by("starts_at", "pk")
    )
    return [booking_event(booking, window) for booking in bookings]


def booking_event(booking: Booking, window: Window) -> FeedEvent:
    """One booking as an event (also the one-off "Add to calendar" file)."""
    active = booking.status in Booking.HOLDING
    session = booking.session
    lines = _class_lines(session)
    if booking.spot is not None:
        lines.append(f"Spot: {booking.spot.label}")
    lines.append(f"Booking reference: {booking.reference}")
    if not active:
        lines.insert(0, "This booking was cancelled.")
    return _session_event(
        session,
        uid=uid("booking", booking.reference),
        title=f"{session.class_type.name} at {session.studio.name}",
        lines=lines,
        url=window.link("client:booking_detail", booking.reference),
        active=active,
    )


def waitlist_events(member: Membership, window: Window) -> list[FeedEvent]:
    """Waitlist places as tentative, free-time events with the current position."""
    ahead = (
        WaitlistEntry.objects.filter(
            session_id=OuterRef("session_id"),
            status=WaitlistEntry.Status.WAITING,
            joined_at__lte=OuterRef("joined_at"),
        )
        .order_by()
        .values("session_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    entries = (
        WaitlistEntry.objects.filter(
            organization_id=member.organization_id,
            client=member,
            session__starts_at__gte=window.now - PAST,
            session__starts_at__lt=window.now + AHEAD,
        )
        .filter(status=WaitlistEntry.Status.WAITING)
        .annotate(position=Subquery(ahead))
        .select_related(*_SESSION_RELATED)
        .order_by("session__starts_at", "pk")
    )
    events = []
    for entry in entries:
        session = entry.session
        lines = _class_lines(session)
        lines.insert(0, f"You are number {entry.position} on the waitlist.")
        events.append(
            _session_event(
                session,
                uid=uid("waitlist", entry.pk),
                title=f"Waitlist #{entry.position}: {session.class_type.name} at "
                f"{session.studio.name}",
                lines=lines,
                url=window.link("client:session_detail", session.pk),
                active=True,
                status="TENTATIVE",
                transparent=True,
            )
        )
    return events


def teaching_events(member: Membership, window: Window) -> list[FeedEvent]:
    """Classes the person teaches (scheduled or cancelled) in the window."""
    sessions = (
        ClassSession.objects.filter(
            organization_id=member.organization_id,
            instructor=member,
            starts_at__gte=window.now - PAST,
            starts_at__lt=window.now + AHEAD,
        )
        .select_related("class_type", "studio", "room")
        .order_by("starts_at", "pk")
    )
    events = []
    for session in sessions:
        active = session.status == ClassSession.Status.SCHEDULED
        title = f"Teach {session.class_type.name} at {session.studio.name}"
        lines = [
            f"You teach {session.class_type.name}",
            _local_time(session.starts_at, session.studio.time_zone),
            f"Room: {session.room.name} (capacity {session.capacity})",
        ]
        if not active:
            reason = f": {session.cancelled_reason}" if session.cancelled_reason else ""
            lines.insert(0, f"This class was cancelled{reason}.")
        events.append(
            _session_event(
                session,
                uid=uid("teach", session.pk),
                title=title,
                lines=lines,
                url=window.link("staff:session_detail", session.pk),
                active=active,
            )
        )
    return events


def _appointment_location(appointment) -> str:
    studio = appointment.studio
    return ", ".join(part for part in (studio.name, studio.address) if part)


def appointment_place_event(place, window: Window) -> FeedEvent:
    """A client's place in a private, duet or trio (also the one-off download). The UID
    names the appointment and the client, so it is stable whatever happens to the place."""
    from reformer.appointments.models import Attendee

    appointment = place.appointment
    studio = appointment.studio
    name = appointment.appointment_type.name
    active = place.status in Attendee.HOLDING
    held = place.status == Attendee.Status.HELD
    lines = [
        f"{name} with {appointment.instructor.user.display_name}",
        _local_time(appointment.starts_at, studio.time_zone),
        f"Room: {appointment.room.name}, {appointment.spot.label}",
    ]
    if studio.address:
        lines.append(f"Address: {studio.address}")
    lines.append(f"Reference: {appointment.reference}")
    if not active:
        reason = appointment.cancelled_reason
        lines.insert(0, f"This appointment was cancelled{f': {reason}' if reason else ''}.")
    elif held:
        lines.insert(0, HELD_NOTE)
    title = f"{name} at {studio.name}"
    return FeedEvent(
        uid=uid("appointment", f"{appointment.reference}-{place.client_id}"),
        summary=(f"Awaiting payment: {title}" if held else title)
        if active
        else f"Cancelled: {title}",
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        time_zone=studio.time_zone,
        location=_appointment_location(appointment),
        description="\n".join(lines),
        status=_place_status(place.status),
        url=window.link("client:dashboard"),
    )


# A place held while its payment is under way is not confirmed yet: RFC 5545's TENTATIVE,
# not absent, because the time really is taken (nobody else can book it) and a calendar
# that shows it can warn of a clash; paid, it becomes CONFIRMED, and released it becomes
# CANCELLED, each with a new SEQUENCE, so subscribed calendars follow.
HELD_NOTE = "Held while the payment is completed: not confirmed yet."


def _place_status(status: str) -> str:
    from reformer.appointments.models import Attendee

    if status == Attendee.Status.HELD:
        return "TENTATIVE"
    return "CONFIRMED" if status in Attendee.HOLDING else "CANCELLED"


_APPOINTMENT_RELATED = (
    "appointment__appointment_type",
    "appointment__studio",
    "appointment__room",
    "appointment__spot",
    "appointment__instructor__user",
)


def appointment_events(member: Membership, window: Window) -> list[FeedEvent]:
    """The person's places in appointments they still hold (see the module's docstring)."""
    from reformer.appointments.models import Attendee

    places = (
        Attendee.objects.filter(
            organization_id=member.organization_id,
            client=member,
            starts_at__gte=window.now - PAST,
            starts_at__lt=window.now + AHEAD,
            status__in=Attendee.HOLDING,
        )
        .select_related(*_APPOINTMENT_RELATED)
        .order_by("starts_at", "pk")
    )
    return [appointment_place_event(place, window) for place in places]


def teaching_appointment_events(member: Membership, window: Window) -> list[FeedEvent]:
    """Appointments the person teaches, with who is coming; a cancelled one stays (as a
    cancelled class does) while it is in the window."""
    from reformer.appointments.models import Appointment, Attendee

    appointments = (
        Appointment.objects.filter(
            organization_id=member.organization_id,
            instructor=member,
            starts_at__gte=window.now - PAST,
            starts_at__lt=window.now + AHEAD,
        )
        .select_related("appointment_type", "studio", "room", "spot")
        .prefetch_related(
            Prefetch(
                "attendees",
                queryset=Attendee.objects.filter(status__in=Attendee.HOLDING)
                .select_related("client__user")
                .order_by("created_at", "pk"),
                to_attr="holding",
            )
        )
        .order_by("starts_at", "pk")
    )
    events = []
    for appointment in appointments:
        studio = appointment.studio
        name = appointment.appointment_type.name
        active = appointment.status == Appointment.Status.SCHEDULED
        # Only held places (everyone still paying): the appointment is not confirmed yet.
        tentative = active and all(
            place.status == Attendee.Status.HELD for place in appointment.holding
        )
        clients = ", ".join(
            place.client.user.display_name
            + (" (awaiting payment)" if place.status == Attendee.Status.HELD else "")
            for place in appointment.holding
        )
        lines = [
            f"You teach {name}" + (f" with {clients}" if clients else ""),
            _local_time(appointment.starts_at, studio.time_zone),
            f"Room: {appointment.room.name}, {appointment.spot.label}",
            f"Reference: {appointment.reference}",
        ]
        if not active:
            reason = appointment.cancelled_reason
            lines.insert(0, f"This appointment was cancelled{f': {reason}' if reason else ''}.")
        elif tentative:
            lines.insert(0, HELD_NOTE)
        title = f"Teach {name} at {studio.name}"
        if tentative:
            title = f"Awaiting payment: {title}"
        events.append(
            FeedEvent(
                uid=uid("teach-appointment", appointment.reference),
                summary=title if active else f"Cancelled: {title}",
                starts_at=appointment.starts_at,
                ends_at=appointment.ends_at,
                time_zone=studio.time_zone,
                location=_appointment_location(appointment),
                description="\n".join(lines),
                status=("TENTATIVE" if tentative else "CONFIRMED") if active else "CANCELLED",
                url=window.link("frontdoor:staff_appointment", appointment.pk),
            )
        )
    return events


# Every source of a person's feed. Any later kind of event joins here.
PERSON_SOURCES: list[Callable[[Membership, Window], list[FeedEvent]]] = [
    booking_events,
    waitlist_events,
    teaching_events,
    appointment_events,
    teaching_appointment_events,
]


def person_events(member: Membership, window: Window) -> list[FeedEvent]:
    events: list[FeedEvent] = []
    for source in PERSON_SOURCES:
        events.extend(source(member, window))
    return events


def studio_events(studio: Studio, window: Window) -> list[FeedEvent]:
    """A studio's public timetable: scheduled and cancelled classes, no one's bookings."""
    sessions = (
        ClassSession.objects.filter(
            organization_id=studio.organization_id,
            studio=studio,
            starts_at__gte=window.now - STUDIO_PAST,
            starts_at__lt=window.now + STUDIO_AHEAD,
        )
        .select_related("class_type", "studio", "room", "instructor__user")
        .order_by("starts_at", "pk")
    )
    events = []
    for session in sessions:
        active = session.status == ClassSession.Status.SCHEDULED
        title = f"{session.class_type.name} with {_instructor(session)}"
        lines = _class_lines(session)
        if session.class_type.description:
            lines.append(session.class_type.description)
        if not active:
            lines.insert(0, "This class was cancelled.")
        events.append(
            _session_event(
                session,
                uid=uid("class", session.pk),
                title=title,
                lines=lines,
                url=window.link("client:session_detail", session.pk),
                active=active,
                categories=(session.class_type.name,),
            )
        )
    return events
