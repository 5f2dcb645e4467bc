"""The waitlist: joining a full class and leaving it. Promotion when a place frees up is in
`promotion.py` (run by a job)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.bookings import eligibility, notify
from reformer.bookings.actions._access import require_own_or_desk, resolve_client
from reformer.bookings.actions._db import busy_as_domain_error, constraint_name
from reformer.bookings.audit_codes import (
    BOOKINGS_WAITLIST_JOINED,
    BOOKINGS_WAITLIST_LEFT,
)
from reformer.bookings.context import load_session, policy_of
from reformer.bookings.errors import (
    WAITLIST_ALREADY_WAITING,
    WAITLIST_CLOSED,
    WAITLIST_NOT_WAITING,
    WAITLIST_OFF,
    WAITLIST_PLACES_LEFT,
)
from reformer.bookings.models import Booking, WaitlistEntry
from reformer.bookings.queries import waitlist_position
from reformer.core import audit
from reformer.core.errors import DomainError
from reformer.core.permissions import require_same_organization
from reformer.onboarding.requirements import check_requirements
from reformer.scheduling.models import ClassSession
from reformer.studios.models import StudioPolicy

# Advisory-lock namespace for "promoting the waitlist of class <id>".
_PROMOTION_LOCK_NAMESPACE = 0x57A17

_JOIN_SQL = """
UPDATE scheduling_classsession SET waiting_count = waiting_count + 1
 WHERE id = %(session_id)s AND status = 'scheduled' AND booked_count + held_count >= capacity
RETURNING waiting_count
"""

# A place is never held for more people than wait: one leaving gives a held place back.
_LEAVE_SQL = """
UPDATE scheduling_classsession
   SET waiting_count = waiting_count - 1, held_count = LEAST(held_count, waiting_count - 1)
 WHERE id = %(session_id)s AND waiting_count > 0
"""


def _places_left() -> DomainError:
    return DomainError(WAITLIST_PLACES_LEFT, "There are places left: book instead.")


def join_waitlist(
    actor: Membership, session: ClassSession, *, client: Membership | None = None
) -> WaitlistEntry:
    """Queue for a full class. No credit is taken while waiting."""
    require_same_organization(actor, session, "class")
    session = load_session(session.pk)
    client = resolve_client(actor, session, client)
    policy = policy_of(session)
    now = timezone.now()
    eligibility.check_session_open(session, now=now)
    if policy.waitlist_mode == StudioPolicy.WaitlistMode.OFF:
        raise DomainError(WAITLIST_OFF, "This studio doesn't keep waitlists.")
    if now >= cutoff(session, policy):
        raise DomainError(WAITLIST_CLOSED, "The waitlist for this class has closed.")
    state = eligibility.load_client_state(client, session, now=now)
    eligibility.check_not_suspended(session, state.suspended_until, now=now)
    eligibility.check_already_booked(session, state.holding)
    check_requirements(client, session.class_type_id)  # no queueing for a class out of reach
    _check_not_waiting(session, client)
    if not session.is_full:
        raise _places_left()
    try:
        with busy_as_domain_error(), transaction.atomic(durable=True):
            with connection.cursor() as cursor:
                cursor.execute(_JOIN_SQL, {"session_id": session.pk})
                if cursor.fetchone() is None:
                    raise _places_left()
            entry = WaitlistEntry.objects.create(
                organization_id=session.organization_id,
                session=session,
                client=client,
                joined_at=now,
            )
            audit.record(actor, BOOKINGS_WAITLIST_JOINED, entry, session=session.pk)
            notify.queue_class_email(
                "waitlist_joined",
                session=session,
                client=client,
                key=f"waitlist-joined:{entry.pk}",
                position=waitlist_position(entry),
            )
            notify.publish_waitlist(entry, "joined", session=session, user_id=client.user_id)
    except IntegrityError as exc:
        if constraint_name(exc) != "waitlist_one_per_client_session":
            raise
        _check_not_waiting(session, client)
        raise
    return entry


def _check_not_waiting(session: ClassSession, client: Membership) -> None:
    entry = WaitlistEntry.objects.filter(
        session_id=session.pk, client_id=client.pk, status=WaitlistEntry.Status.WAITING
    ).first()
    if entry is not None:
        raise DomainError(
            WAITLIST_ALREADY_WAITING,
            "You're already on the waitlist for this class.",
            entry=entry,
        )


def leave_waitlist(actor: Membership, entry: WaitlistEntry) -> WaitlistEntry:
    require_same_organization(actor, entry, "waitlist place")
    entry = WaitlistEntry.objects.select_related("client__user").get(pk=entry.pk)
    session = load_session(entry.session_id)
    require_own_or_desk(actor, entry.client_id, session)
    now = timezone.now()
    with busy_as_domain_error(), transaction.atomic(durable=True):
        end_waiting(entry, WaitlistEntry.Status.REMOVED, now)
        audit.record(actor, BOOKINGS_WAITLIST_LEFT, entry, session=session.pk)
        notify.queue_class_email(
            "waitlist_left", session=session, client=entry.client, key=f"waitlist-left:{entry.pk}"
        )
        notify.publish_waitlist(entry, "left", session=session, user_id=entry.client.user_id)
    return entry


def end_waiting(
    entry: WaitlistEntry, status: str, now: dt.datetime, booking: Booking | None = None
) -> None:
    """Take an entry off the waiting list: class counter first (lock order), then the entry."""
    with connection.cursor() as cursor:
        cursor.execute(_LEAVE_SQL, {"session_id": entry.session_id})
    changed = WaitlistEntry.objects.filter(pk=entry.pk, status=WaitlistEntry.Status.WAITING).update(
        status=status, left_at=now, booking=booking
    )
    if not changed:
        raise DomainError(WAITLIST_NOT_WAITING, "You're no longer on this waitlist.")
    entry.status, entry.left_at, entry.booking = status, now, booking


def cutoff(session: ClassSession, policy: StudioPolicy) -> dt.datetime:
    return session.starts_at - dt.timedelta(minutes=policy.waitlist_cutoff_minutes)
