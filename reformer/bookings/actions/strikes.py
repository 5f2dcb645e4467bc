"""No-show strikes and suspensions (PHX-19), for class bookings and appointment places alike.

A strike is a no-show in the studio policy's period not yet used for a suspension, whether
the client missed a group class or a private: both count towards the same "3 strikes", both
are marked used when they suspend, and lifting a suspension clears both. Called inside the
attendance action's transaction, after the no-show (or its correction) is written.

Penalties are reversible (spec requirement 10): taking back a no-show that helped suspend
the client (undo, or corrected to attended) lifts that suspension when the strikes left
behind fall below the policy's count; those strikes count again as open strikes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Max

from reformer.accounts.audit_codes import (
    ACCOUNTS_CLIENT_SUSPENDED,
    ACCOUNTS_CLIENT_SUSPENSION_LIFTED,
)
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


def _used_at(client_id: int, used_at: dt.datetime):
    """The no-shows spent together at `used_at` (one suspension, or one lift)."""
    from reformer.appointments.models import Attendee

    return (
        Booking.objects.filter(
            client_id=client_id, status=Booking.Status.NO_SHOW, strike_used_at=used_at
        ),
        Attendee.objects.filter(
            client_id=client_id, status=Attendee.Status.NO_SHOW, strike_used_at=used_at
        ),
    )


def _latest_use(client_id: int) -> dt.datetime | None:
    from reformer.appointments.models import Attendee

    found = [
        model.objects.filter(client_id=client_id, strike_used_at__isnull=False).aggregate(
            latest=Max("strike_used_at")
        )["latest"]
        for model in (Booking, Attendee)
    ]
    return max((when for when in found if when is not None), default=None)


def count_strikes(
    missed: MissedVisit,
    policy: StudioPolicy,
    now: dt.datetime,
    *,
    new_no_show: bool,
    taken_back_used_at: dt.datetime | None = None,
    actor: Membership | None = None,
) -> None:
    """Recount the client's strikes; reaching the policy's count suspends booking.
    `taken_back_used_at`: a no-show was just taken back whose strike had been spent then
    (the caller has already cleared its strike_used_at); `actor` did it."""
    client = missed.client
    profile, _ = ClientProfile.objects.select_for_update().get_or_create(
        membership_id=client.pk, defaults={"organization_id": missed.organization_id}
    )
    if taken_back_used_at is not None and not new_no_show:
        _lift_if_below_threshold(missed, policy, profile, now, taken_back_used_at, actor)
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


def _lift_if_below_threshold(
    missed: MissedVisit,
    policy: StudioPolicy,
    profile: ClientProfile,
    now: dt.datetime,
    used_at: dt.datetime,
    actor: Membership | None,
) -> None:
    """The strike taken back was spent at `used_at`. Strikes are spent only by a suspension
    or by staff lifting one (which ends it), so the running suspension is this strike's
    own exactly when nothing was spent after it; then, with fewer strikes than the policy's
    count left, the suspension goes and its other strikes are open again."""
    lifted = profile.suspended_until
    if lifted is None or lifted <= now:
        return
    latest = _latest_use(missed.client.pk)
    if latest is not None and latest > used_at:
        return  # a later suspension, which this strike did not cause
    bookings, places = _used_at(missed.client.pk, used_at)
    if bookings.count() + places.count() >= policy.strike_count:
        return  # still enough strikes for the suspension
    bookings.update(strike_used_at=None)
    places.update(strike_used_at=None)
    profile.suspended_until = None
    profile.save(update_fields=["suspended_until"])
    audit.record(
        actor,
        ACCOUNTS_CLIENT_SUSPENSION_LIFTED,
        profile,
        organization_id=missed.organization_id,
        was_until=lifted,
        reason="no_show_taken_back",
        **missed.subject_data,
    )
    announce_lifted(missed.client, profile, lifted)


def announce_lifted(client: Membership, profile: ClientProfile, lifted: dt.datetime) -> None:
    """Tell the client they can book again; the studio's alert about it is dealt with."""
    queue_templated_email(
        client.user,
        "suspension_lifted",
        subject=SUBJECTS["suspension_lifted"],
        context={"studio_name": client.organization.name},
        idempotency_key=f"suspension-lifted:{profile.pk}:{lifted:%Y%m%d%H%M%S}",
        organization=client.organization_id,
    )
    alerts.resolve_alerts_about(
        alerts.CLIENT_SUSPENDED, organization_id=client.organization_id, client=client.pk
    )
    live.publish_after_commit(
        [live.user_channel(client.user_id)], "profile", "updated", [client.pk]
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
