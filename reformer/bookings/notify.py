"""What the booking actions tell people: outbox emails (in the transaction) and live events
(after commit). Nothing here performs I/O itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.urls import reverse

from reformer.accounts.models import Membership
from reformer.bookings.models import Booking, WaitlistEntry
from reformer.core import live, timeformat
from reformer.core.timezones import to_local
from reformer.notifications import preferences
from reformer.notifications.actions import OutgoingMessage, queue_many, queue_templated_email
from reformer.notifications.models import Message
from reformer.scheduling.models import ClassSession

SUBJECTS = {
    "booking_confirmed": "Booked: {class_name}, {when}",
    "waitlist_promoted": "You're in! A place opened up in {class_name}, {when}",
    "booking_cancelled": "Cancelled: {class_name}, {when}",
    "session_cancelled": "Class cancelled: {class_name}, {when}",
    "session_changed": "Class changed: {class_name}, {when}, now with {instructor_name}",
    "waitlist_joined": "You're on the waitlist for {class_name}, {when}",
    "waitlist_left": "You left the waitlist for {class_name}, {when}",
    "waitlist_skipped": "A place opened up in {class_name}, but we couldn't book you",
    "waitlist_expired": "Your waitlist place for {class_name} was released",
    "no_show": "We missed you at {class_name}",
    "late_arrival": "Thanks for coming to {class_name}",
    "suspension": "Your booking is paused until {until}",
    "suspension_lifted": "You can book classes again",
}


def _locale(session: ClassSession) -> timeformat.TimeLocale:
    """The class's organization's way of writing times: no query when it is active (a
    request) or was loaded with the class (context.load_session)."""
    loaded = session.organization if ClassSession.organization.is_cached(session) else None
    return timeformat.locale_of_id(session.organization_id, loaded=loaded)


def local_when(session: ClassSession) -> str:
    """When the class is, as its organization writes times (also when a job builds the
    message, where no organization is active)."""
    local = to_local(session.starts_at, session.studio.time_zone)
    return timeformat.when(local, "day_year_time", _locale(session), name_zone=True)


def short_when(session: ClassSession) -> str:
    """'Tue 5:30 PM' / 'Tue 17:30' for a text message."""
    local = to_local(session.starts_at, session.studio.time_zone)
    return f"{local:%a} {timeformat.when(local, 'time', _locale(session))}"


def class_context(
    session: ClassSession, *, booking: Booking | None = None, spot_label: str | None = None
) -> dict[str, Any]:
    """What an email about a class says, as JSON values (stored with the queued message)."""
    studio = session.studio
    instructor = session.instructor
    return {
        "class_name": session.class_type.name,
        "when": local_when(session),
        "duration_minutes": int((session.ends_at - session.starts_at).total_seconds() // 60),
        "studio_name": studio.name,
        "studio_address": studio.address,
        "room_name": session.room.name,
        "instructor_name": instructor.name if instructor else "to be announced",
        "spot": spot_label or "",
        "reference": booking.reference if booking else "",
    }


def queue_class_email(
    kind: str,
    *,
    session: ClassSession,
    client: Membership,
    key: str,
    booking: Booking | None = None,
    spot_label: str | None = None,
    **extra: Any,
) -> Message:
    context = class_context(session, booking=booking, spot_label=spot_label) | extra
    return queue_templated_email(
        client.user,
        kind,
        subject=SUBJECTS[kind].format(**context),
        context=context,
        idempotency_key=key,
        organization=session.organization_id,
    )


def shop_url() -> str:
    """Where a client buys a package (linked from "we couldn't book you" emails)."""
    return settings.SITE_URL + reverse("payments:shop")


def queue_promotion_text(
    session: ClassSession,
    client: Membership,
    booking: Booking,
    context: dict[str, Any],
    *,
    now: dt.datetime,
) -> None:
    """The promotion by text as well as email (PHX-16), only to a client who confirmed a
    number for texts (#10): held through the studio's quiet hours, not sent once the class
    has started, once per promotion (keyed by the booking)."""
    user = client.user
    chosen = preferences.settings_for(user)
    if not preferences.sms_number(user, chosen):
        return  # not opted in: the email is the message
    booking_url = settings.SITE_URL + reverse("client:booking_detail", args=[booking.reference])
    outgoing = OutgoingMessage(
        recipient=user,
        kind="waitlist_promoted",
        channel=Message.Channel.SMS,
        idempotency_key=f"waitlist-promoted-sms:{booking.pk}",
        organization_id=session.organization_id,
        context=context | {"when_short": short_when(session), "booking_url": booking_url},
        expires_at=session.starts_at,
        recipient_settings=chosen,
    )
    quiet = preferences.quiet_hours_of(session.studio)
    release = quiet.release_at(now) if quiet else None
    if release is not None and release >= session.starts_at:
        outgoing.skip_reason = "The studio's quiet hours last until after the class."
    outgoing.send_after = release
    queue_many([outgoing], now=now)


def queue_session_changed(session: ClassSession, *, now: dt.datetime) -> int:
    """Tell everyone booked that their class changed (its instructor: a class with people
    booked is never moved, see scheduling.update_session). Returns how many were told."""
    bookings = Booking.objects.filter(session=session, status=Booking.Status.CONFIRMED)
    told = 0
    for booking in bookings.select_related("client__user", "spot"):
        queue_class_email(
            "session_changed",
            session=session,
            client=booking.client,
            key=f"session-changed:{session.pk}:booking:{booking.pk}:{int(now.timestamp())}",
            booking=booking,
            spot_label=booking.spot.label if booking.spot else None,
        )
        told += 1
    return told


def publish_booking(
    booking: Booking,
    op: str,
    *,
    session: ClassSession,
    user_id: int,
    package_id: int | None,
    class_state: Callable[[], dict[str, Any]] | None = None,
) -> None:
    """After commit: the schedule's availability, the roster, the client's dashboard (and
    the credit balance when one moved), and the organization's metrics for new bookings.
    `class_state`: gives the class's public state as the commit leaves it, when already
    read (bookings/class_state.py); otherwise it is read after commit."""
    live.publish_after_commit(
        [live.studio_schedule(session.studio_id)],
        "session",
        "availability",
        [session.pk],
        states=None if class_state is None else lambda: [class_state()],
    )
    groups = [live.session_roster(session.pk), live.user_channel(user_id)]
    if op == "created":
        groups.append(live.organization_metrics(session.organization_id))
    live.publish_after_commit(groups, "booking", op, [booking.pk])
    if package_id is not None:
        live.publish_after_commit([live.user_channel(user_id)], "package", "updated", [package_id])


def publish_waitlist(entry: WaitlistEntry, op: str, *, session: ClassSession, user_id: int) -> None:
    live.publish_after_commit(
        [live.studio_schedule(session.studio_id)], "session", "availability", [session.pk]
    )
    live.publish_after_commit([live.session_roster(session.pk)], "waitlist", op, [entry.pk])
    live.publish_after_commit([live.user_channel(user_id)], "waitlist", op, [entry.pk])
