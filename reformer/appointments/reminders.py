"""Appointment reminders: the class reminders' twin (PHX-15 for privates, duets, trios).

Found by the same kind of periodic job, with the studio's plan (offsets and channels, the
messaging settings' "reminder plan"), the same due-moment rule (local wall-clock time minus
the offset, booked before that moment, latest due step per channel, channel fallback) and
the same outbox. The idempotency key names the place, the offset and the start, so a moved
appointment is reminded again for its new time and nothing is queued twice.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote_plus

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from reformer.appointments.models import Appointment, Attendee
from reformer.appointments.notify import appointment_context
from reformer.core import timeformat
from reformer.core.timezones import to_local
from reformer.notifications import preferences, reminders
from reformer.notifications.actions import OutgoingMessage, queue_many
from reformer.notifications.models import Message

KIND = "appointment_reminder"
BATCH_SIZE = 500


def reminder_key(attendee_id: int, hours: int, starts_at: dt.datetime) -> str:
    return f"appointment-reminder:{attendee_id}:{hours}h:{int(starts_at.timestamp())}"


def queue_due_reminders(now: dt.datetime | None = None) -> int:
    """Queue every appointment reminder due now and not queued yet. Returns how many were new."""
    now = now or timezone.now()
    horizon = dt.timedelta(hours=max(reminders.longest_offset(), 1) + 2)  # +2 h: DST
    place_ids = list(
        Attendee.objects.filter(
            status=Attendee.Status.CONFIRMED,
            appointment__status=Appointment.Status.SCHEDULED,
            starts_at__gt=now,
            starts_at__lte=now + horizon,
        )
        .order_by("starts_at", "pk")
        .values_list("pk", flat=True)
    )
    queued = 0
    for start in range(0, len(place_ids), BATCH_SIZE):
        with transaction.atomic():
            queued += _queue_chunk(place_ids[start : start + BATCH_SIZE], now)
    return queued


def _queue_chunk(place_ids: list[int], now: dt.datetime) -> int:
    places = list(
        Attendee.objects.filter(pk__in=place_ids)
        .select_related(
            "client__user__messaging",
            "appointment__appointment_type",
            "appointment__studio__messaging",
            "appointment__studio__policy",
            "appointment__studio__organization",
            "appointment__room",
            "appointment__spot",
            "appointment__instructor__user",
        )
        .order_by("pk")
    )
    due: list[tuple[Attendee, dict, str]] = []
    for place in places:
        if place.created_at >= place.appointment.starts_at:
            continue
        for step, channel in reminders.due_steps(
            studio=place.appointment.studio,
            starts_at=place.appointment.starts_at,
            booked_at=place.created_at,
            user=place.client.user,
            now=now,
        ):
            due.append((place, step, channel))
    if not due:
        return 0
    keys = [reminder_key(p.pk, int(step["hours"]), p.appointment.starts_at) for p, step, _ in due]
    existing = set(
        Message.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True)
    )
    outgoing = [
        _reminder(place, step, channel, key, now)
        for (place, step, channel), key in zip(due, keys, strict=True)
        if key not in existing
    ]
    return len(queue_many(outgoing, now=now))


def cancellation_text(place: Attendee, now: dt.datetime) -> str:
    """The same words as the cancel dialog (credits or payment, and the type's fee)."""
    from reformer.appointments.terms import cancel_text

    return cancel_text(place, now=now)


def reminder_context(place: Attendee, now: dt.datetime) -> dict:
    appointment = place.appointment
    studio = appointment.studio
    starts_local = to_local(appointment.starts_at, studio.time_zone)
    dashboard = f"{settings.SITE_URL}{reverse('client:dashboard')}"
    return appointment_context(place) | {
        "lead_time": reminders.lead_time(starts_local, to_local(now, studio.time_zone)),
        "when_short": f"{starts_local:%a} {timeformat.when(starts_local, 'time')}",
        "map_url": (
            f"https://www.google.com/maps/search/?api=1&query={quote_plus(studio.address)}"
            if studio.address
            else ""
        ),
        "booking_url": dashboard,
        "calendar_url": reminders.link("frontdoor:private_ics", appointment.reference),
        # Cancelling needs the client signed in (a POST from their dashboard).
        "cancel_url": dashboard if appointment.starts_at > now else "",
        "cancellation_text": cancellation_text(place, now),
    }


def _reminder(
    place: Attendee, step: dict, channel: str, key: str, now: dt.datetime
) -> OutgoingMessage:
    appointment = place.appointment
    hours = int(step["hours"])
    with timeformat.activate(appointment.studio.organization):
        context = reminder_context(place, now)
    subject = f"Reminder: {context['class_name']} {context['lead_time']}"
    user = place.client.user
    outgoing = OutgoingMessage(
        recipient=user,
        kind=KIND,
        channel=channel,
        idempotency_key=key,
        organization_id=place.organization_id,
        subject=subject,
        context=context | {"subject": subject, "offset_hours": hours},
        expires_at=appointment.starts_at,
        recipient_settings=preferences.preloaded_settings_for(user),
    )
    if channel == Message.Channel.SMS:
        quiet = preferences.quiet_hours_of(appointment.studio)
        release = quiet.release_at(now) if quiet else None
        if release is not None and release >= appointment.starts_at:
            outgoing.skip_reason = "The studio's quiet hours last until after the appointment."
        outgoing.send_after = release
    return outgoing
