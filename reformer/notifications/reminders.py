"""Class reminders (PHX-15), found by a periodic job rather than scheduled per booking, so
that a booking made, moved or cancelled after the fact is still right.

Each studio has a plan (24 h email, 2 h SMS by default). A step is due at the class's
local wall-clock time minus its hours (so "24 h before a 10:00 class" is 10:00 the day
before, across a daylight-saving change too) and goes to bookings that existed then: a late
booking gets only the steps still ahead. A moved class gets reminders for its new time (the
key names the start). If several steps are due at once (the worker was down), only the
latest one per channel goes. A step on a channel the client cannot receive goes on the
other channel when no other step reaches them there.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache
from urllib.parse import quote, quote_plus

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from reformer.bookings.actions.terms import terms_for
from reformer.bookings.context import policy_of
from reformer.bookings.models import Booking
from reformer.bookings.notify import class_context
from reformer.core import timeformat
from reformer.core.timezones import to_local, zone
from reformer.notifications import preferences
from reformer.notifications.actions import OutgoingMessage, queue_many
from reformer.notifications.models import Message, StudioMessaging, default_reminder_plan
from reformer.scheduling.models import ClassSession

logger = logging.getLogger(__name__)

CANCEL_SALT = "reformer.notifications.reminder-cancel"
# Offsets allowed in a plan (one week at most).
LONGEST_OFFSET_HOURS = 168
BATCH_SIZE = 500

_CANDIDATES_SQL = """
SELECT b.id
  FROM bookings_booking b
  JOIN scheduling_classsession s ON s.id = b.session_id
 WHERE b.status = 'confirmed'
   AND s.status = 'scheduled'
   AND s.starts_at > %(now)s
   AND s.starts_at <= %(now)s + make_interval(hours => %(horizon)s)
   AND b.created_at < s.starts_at
 ORDER BY s.starts_at, b.id
"""


def reminder_key(booking_id: int, hours: int, starts_at: dt.datetime) -> str:
    return f"reminder:{booking_id}:{hours}h:{int(starts_at.timestamp())}"


def due_at(starts_at: dt.datetime, hours: int, time_zone: str) -> dt.datetime:
    """The class's local wall-clock time `hours` earlier, as an instant."""
    local = to_local(starts_at, time_zone).replace(tzinfo=None) - dt.timedelta(hours=hours)
    return local.replace(tzinfo=zone(time_zone)).astimezone(dt.UTC)


def plan_for(studio) -> list[dict]:
    messaging = getattr(studio, "messaging", None)
    return messaging.reminder_plan if messaging is not None else default_reminder_plan()


def queue_due_reminders(now: dt.datetime | None = None) -> int:
    """Queue every reminder due now and not queued yet. Returns how many were new."""
    now = now or timezone.now()
    horizon = max(longest_offset(), 1) + 2  # +2 h: wall-clock offsets across a DST change
    with connection.cursor() as cursor:
        cursor.execute(_CANDIDATES_SQL, {"now": now, "horizon": horizon})
        booking_ids = [row[0] for row in cursor.fetchall()]
    queued = 0
    for start in range(0, len(booking_ids), BATCH_SIZE):
        chunk = booking_ids[start : start + BATCH_SIZE]
        with transaction.atomic():
            queued += _queue_chunk(chunk, now)
    return queued


def longest_offset() -> int:
    longest = max(step["hours"] for step in default_reminder_plan())
    for plan in StudioMessaging.objects.values_list("reminder_plan", flat=True):
        for step in plan or []:
            longest = max(longest, int(step.get("hours", 0)))
    return min(longest, LONGEST_OFFSET_HOURS)


def _queue_chunk(booking_ids: list[int], now: dt.datetime) -> int:
    bookings = list(
        Booking.objects.filter(pk__in=booking_ids)
        .select_related("client__user__messaging", "client_package", "spot")
        .order_by("pk")
    )
    # Many bookings share a class: each class (with its studio, room, instructor) once.
    sessions = ClassSession.objects.select_related(
        "class_type",
        "room",
        "studio__policy",
        "studio__messaging",
        "studio__organization",
        "instructor__user",
    ).in_bulk({b.session_id for b in bookings})
    due: list[tuple[Booking, dict, str]] = []
    for booking in bookings:
        booking.session = sessions[booking.session_id]
        for step, channel in _due_steps(booking, now):
            due.append((booking, step, channel))
    if not due:
        return 0
    keys = [reminder_key(b.pk, step["hours"], b.session.starts_at) for b, step, _ in due]
    existing = set(
        Message.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True)
    )
    outgoing = [
        _reminder(booking, step, channel, now)
        for (booking, step, channel), key in zip(due, keys, strict=True)
        if key not in existing
    ]
    return len(queue_many(outgoing, now=now))


def _due_steps(booking: Booking, now: dt.datetime) -> list[tuple[dict, str]]:
    session = booking.session
    return due_steps(
        studio=session.studio,
        starts_at=session.starts_at,
        booked_at=booking.created_at,
        user=booking.client.user,
        now=now,
    )


def due_steps(
    *, studio, starts_at: dt.datetime, booked_at: dt.datetime, user, now: dt.datetime
) -> list[tuple[dict, str]]:
    """(step, channel) pairs due now for a place in a class or an appointment at `studio`
    starting at `starts_at`, held since `booked_at`: the latest due step per channel."""
    tz = studio.time_zone
    applicable = []
    for step in plan_for(studio):
        hours = int(step.get("hours", 0))
        if hours <= 0:
            continue
        point = due_at(starts_at, hours, tz)
        if booked_at <= point:  # booked before this step's moment
            applicable.append((step, point))
    chosen = preferences.preloaded_settings_for(user)
    can = {
        Message.Channel.EMAIL: bool((user.email or "").strip()),
        Message.Channel.SMS: bool(preferences.sms_number(user, chosen)),
    }
    latest: dict[str, tuple[dict, dt.datetime]] = {}
    resolved = []
    for step, point in applicable:
        channel = step.get("channel", Message.Channel.EMAIL)
        if not can.get(channel):
            other = (
                Message.Channel.SMS if channel == Message.Channel.EMAIL else Message.Channel.EMAIL
            )
            reached_otherwise = any(
                s.get("channel") == other for s, _ in applicable if s is not step
            )
            if can.get(other) and not reached_otherwise:
                channel = other
            elif channel == Message.Channel.SMS:
                # Not opted in to texts (the usual case) and email covers them: no text.
                continue
            # An email step for someone without an address is queued anyway: it fails once,
            # with "No email address" and an alert for staff to fix the record (PHX-15).
        resolved.append((step, point, channel))
    for step, point, channel in resolved:
        if point <= now and (channel not in latest or point > latest[channel][1]):
            latest[channel] = (step, point)
    return [(step, channel) for channel, (step, _point) in latest.items()]


def cancel_token(booking: Booking) -> str:
    return signing.dumps(
        {"b": booking.pk, "s": int(booking.session.starts_at.timestamp())}, salt=CANCEL_SALT
    )


def lead_time(starts_local: dt.datetime, now_local: dt.datetime) -> str:
    days = (starts_local.date() - now_local.date()).days
    at = timeformat.when(starts_local, "time")
    if days == 0:
        return f"today at {at}"
    if days == 1:
        return f"tomorrow at {at}"
    return f"on {starts_local:%A} at {at}"


_PLACEHOLDER = "PLACEHOLDER0"


@lru_cache(maxsize=16)
def _link_pattern(name: str, site_url: str) -> str:
    return f"{site_url}{reverse(name, args=[_PLACEHOLDER])}"


def link(name: str, argument: str) -> str:
    """reverse() once per URL name, not once per reminder (10,000 at once add up)."""
    pattern = _link_pattern(name, settings.SITE_URL)
    return pattern.replace(_PLACEHOLDER, quote(argument, safe="-_.~:"))


def reminder_context(booking: Booking, now: dt.datetime) -> dict:
    session = booking.session
    studio = session.studio
    tz = studio.time_zone
    starts_local = to_local(session.starts_at, tz)
    unlimited = booking.client_package is not None and booking.client_package.is_unlimited
    terms = terms_for(session, policy_of(session), now=now, unlimited=unlimited)
    context = class_context(
        session, booking=booking, spot_label=booking.spot.label if booking.spot else None
    )
    context.update(
        lead_time=lead_time(starts_local, to_local(now, tz)),
        when_short=f"{starts_local:%a} {timeformat.when(starts_local, 'time')}",
        map_url=(
            f"https://www.google.com/maps/search/?api=1&query={quote_plus(studio.address)}"
            if studio.address
            else ""
        ),
        booking_url=link("client:booking_detail", booking.reference),
        calendar_url=link("client:booking_ics", booking.reference),
        cancel_url=link("messaging:reminder_cancel", cancel_token(booking))
        if terms.can_cancel
        else "",
        cancellation_text=terms.message,
    )
    return context


def _reminder(booking: Booking, step: dict, channel: str, now: dt.datetime) -> OutgoingMessage:
    session = booking.session
    hours = int(step["hours"])
    with timeformat.activate(session.studio.organization):
        context = reminder_context(booking, now)
    subject = f"Reminder: {context['class_name']} {context['lead_time']}"
    outgoing = OutgoingMessage(
        recipient=booking.client.user,
        kind="class_reminder",
        channel=channel,
        idempotency_key=reminder_key(booking.pk, hours, session.starts_at),
        organization_id=booking.organization_id,
        subject=subject,
        context=context | {"subject": subject, "offset_hours": hours},
        expires_at=session.starts_at,
        recipient_settings=preferences.preloaded_settings_for(booking.client.user),
    )
    if channel == Message.Channel.SMS:
        quiet = preferences.quiet_hours_of(session.studio)
        release = quiet.release_at(now) if quiet else None
        if release is not None and release >= session.starts_at:
            outgoing.skip_reason = "The studio's quiet hours last until after the class."
        outgoing.send_after = release
    return outgoing
