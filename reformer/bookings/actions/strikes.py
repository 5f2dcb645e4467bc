"""No-show strikes and suspensions (PHX-19), for class bookings and appointment places alike.

A strike is a no-show in the studio policy's period not yet used for a suspension, whether
the client missed a group class or a private: both count towards the same "3 strikes", both
are marked used when they suspend, and lifting a suspension clears both. Called inside the
attendance action's transaction, after the no-show (or its correction) is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from reformer.accounts.audit_codes import ACCOUNTS_CLIENT_SUSPENDED
from reformer.accounts.models import ClientProfile, Membership
from reformer.bookings.context import format_local
from reformer.bookings.models import Booking
from reformer.bookings.notify import SUBJECTS
from reformer.core import alerts, audit, live
from reformer.notifications.actions import queue_templated_email
from reformer.studios.models import StudioPolicy


@dataclass(frozen=True)
class MissedVisit:
    """The class or appointment a strike is about, as the notices describe it."""

    client: Membership
    organization_id: int
    studio_id: int
    time_zone: str
    # class_context / appointment_context: what the emails say about it
    context: dict[str, Any]
    # the no-show email's idempotency key: "no-show:12" (a booking), "no-show:place:7"
    no_show_key: str
    # names it in the audit row and the alert: {"booking": 12} / {"appointment_place": 7}
    subject_data: dict[str, int]


def _open_strikes(client_id: int, since: dt.datetime):
    from reformer.appointments.models import Attendee

    return (
        Booking.objects.filter(
            client_id=client_id,
            status=Booking.Status.NO_SHOW,
            strike_used_at__isnull=True,
            starts_at__gte=since,
        ),
        Attendee.objects.filter(
            client_id=client_id,
            status=Attendee.Status.NO_SHOW,
            strike_used_at__isnull=True,
            starts_at__gte=since,
        ),
    )


def use_all_strikes(client_id: int, now: dt.datetime) -> None:
    """Every open strike of the client is spent (a suspension lifted by staff)."""
    for strikes in _open_strikes(client_id, dt.datetime.min.replace(tzinfo=dt.UTC)):
        strikes.update(strike_used_at=now)


def count_strikes(
    missed: MissedVisit, policy: StudioPolicy, now: dt.datetime, *, new_no_show: bool
) -> None:
    """Recount the client's strikes; reaching the policy's count suspends booking."""
    client = missed.client
    profile, _ = ClientProfile.objects.select_for_update().get_or_create(
        membership_id=client.pk, defaults={"organization_id": missed.organization_id}
    )
    bookings, places = _open_strikes(client.pk, now - dt.timedelta(days=policy.strike_period_days))
    count = bookings.count() + places.count()
    suspended = profile.suspended_until is not None and profile.suspended_until > now
    if new_no_show and count >= policy.strike_count and not suspended:
        bookings.update(strike_used_at=now)
        places.update(strike_used_at=now)
        profile.suspended_until = now + dt.timedelta(days=policy.suspension_days)
        profile.no_show_strikes = 0
        profile.save(update_fields=["suspended_until", "no_show_strikes"])
        _announce_suspension(missed, policy, profile, count)
        return
    profile.no_show_strikes = count
    profile.save(update_fields=["no_show_strikes"])
    if new_no_show:
        _queue(
            "no_show",
            missed,
            missed.no_show_key,
            strikes=count,
            strike_count=policy.strike_count,
            period_days=policy.strike_period_days,
            suspension_days=policy.suspension_days,
        )


def _queue(kind: str, missed: MissedVisit, key: str, **extra: Any) -> None:
    context = missed.context | extra
    queue_templated_email(
        missed.client.user,
        kind,
        subject=SUBJECTS[kind].format(**context),
        context=context,
        idempotency_key=key,
        organization=missed.organization_id,
    )


def _announce_suspension(
    missed: MissedVisit, policy: StudioPolicy, profile: ClientProfile, strikes: int
) -> None:
    client = missed.client
    assert profile.suspended_until is not None  # the caller has just set it
    until = format_local(
        profile.suspended_until,
        missed.time_zone,
        with_zone=True,
        organization_id=missed.organization_id,  # the no-show sweep is a job
    )
    audit.record(
        None,
        ACCOUNTS_CLIENT_SUSPENDED,
        profile,
        until=profile.suspended_until,
        strikes=strikes,
        **missed.subject_data,
    )
    alerts.raise_alert(
        alerts.CLIENT_SUSPENDED,
        f"{client.name} missed {strikes} classes or appointments in "
        f"{policy.strike_period_days} days and cannot book until {until}. Lift the "
        "suspension at check-in if the studio agrees.",
        organization_id=missed.organization_id,
        studio_id=missed.studio_id,
        data={
            "client": client.pk,
            **missed.subject_data,
            "until": profile.suspended_until.isoformat(),
        },
    )
    _queue(
        "suspension",
        missed,
        f"suspension:{profile.pk}:{profile.suspended_until:%Y%m%d%H%M%S}",
        until=until,
        strike_count=strikes,
        period_days=policy.strike_period_days,
        suspension_days=policy.suspension_days,
    )
    live.publish_after_commit(
        [live.user_channel(client.user_id)], "profile", "updated", [client.pk]
    )
