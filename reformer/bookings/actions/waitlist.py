"""The waitlist: joining a full class, leaving, and promotion when a place frees up.

Promotion (`promote_waitlist`) runs as a job. One job at a time per class (an advisory lock
held for the whole run); each promotion is its own transaction: the booking, the credit and
the waitlist change commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.bookings import eligibility, notify
from reformer.bookings.actions._access import require_own_or_desk, resolve_client
from reformer.bookings.actions._db import busy_as_domain_error, constraint_name
from reformer.bookings.actions._place import release_held_places
from reformer.bookings.actions.booking import reserve
from reformer.bookings.audit_codes import (
    BOOKINGS_WAITLIST_JOINED,
    BOOKINGS_WAITLIST_LEFT,
    BOOKINGS_WAITLIST_PASSED_OVER,
    BOOKINGS_WAITLIST_PROMOTED,
    WAITLIST_END_CODES,
)
from reformer.bookings.context import load_session, policy_of
from reformer.bookings.errors import (
    BOOKING_ALREADY_BOOKED,
    BOOKING_CLASS_FULL,
    BOOKING_SESSION_CANCELLED,
    BOOKING_SESSION_STARTED,
    WAITLIST_ALREADY_WAITING,
    WAITLIST_CLOSED,
    WAITLIST_NOT_WAITING,
    WAITLIST_OFF,
    WAITLIST_PLACES_LEFT,
)
from reformer.bookings.models import Booking, WaitlistEntry
from reformer.bookings.queries import waitlist_position
from reformer.core import alerts, audit, live
from reformer.core.errors import DomainError
from reformer.core.models import AdminAlert
from reformer.core.permissions import require_same_organization
from reformer.notifications.models import Message
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
    if now >= _cutoff(session, policy):
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
        _end_waiting(entry, WaitlistEntry.Status.REMOVED, now)
        audit.record(actor, BOOKINGS_WAITLIST_LEFT, entry, session=session.pk)
        notify.queue_class_email(
            "waitlist_left", session=session, client=entry.client, key=f"waitlist-left:{entry.pk}"
        )
        notify.publish_waitlist(entry, "left", session=session, user_id=entry.client.user_id)
    return entry


def _end_waiting(
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


def _cutoff(session: ClassSession, policy: StudioPolicy) -> dt.datetime:
    return session.starts_at - dt.timedelta(minutes=policy.waitlist_cutoff_minutes)


@contextmanager
def _promotion_lock(session_id: int) -> Iterator[None]:
    """Held for a whole promotion run: two jobs never promote for one class at once. A wait
    past lock_timeout raises Busy and the job retries."""
    key = (_PROMOTION_LOCK_NAMESPACE, session_id % 2_147_483_647)
    with busy_as_domain_error(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", key)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)


def promote_waitlist(session_id: int) -> list[Booking]:
    """Fill free places from the waitlist, first come first served (run by a job).

    A client who can't book right now (no credits, suspended, overlapping class) is passed
    over, stays on the list and is told once per reason; one whose packages have all expired
    is taken off with a notice. Stops at the studio's cut-off before class, when the studio
    has no waitlist, and when the class is full again.
    """
    promoted: list[Booking] = []
    passed_over: set[int] = set()
    with _promotion_lock(session_id):
        while (booking := _promote_next(session_id, passed_over)) is not None:
            promoted.append(booking)
        # Whatever is still held, no one waiting can take now: open it to everyone.
        with busy_as_domain_error(), transaction.atomic():
            if release_held_places(session_id):
                session = load_session(session_id)
                live.publish_after_commit(
                    [live.studio_schedule(session.studio_id)],
                    "session",
                    "availability",
                    [session_id],
                )
    return promoted


def _promote_next(session_id: int, passed_over: set[int]) -> Booking | None:
    """One promotion in one transaction (with the pass-overs decided on the way)."""
    now = timezone.now()
    session = load_session(session_id)
    policy = policy_of(session)
    if (
        session.status != ClassSession.Status.SCHEDULED
        or policy.waitlist_mode == StudioPolicy.WaitlistMode.OFF
        or now >= _cutoff(session, policy)
        or session.booked_count >= session.capacity
    ):
        return None
    entries = (
        WaitlistEntry.objects.filter(session_id=session_id, status=WaitlistEntry.Status.WAITING)
        .exclude(pk__in=passed_over)
        .select_related("client__user")
        .order_by("joined_at", "id")
    )
    with transaction.atomic(durable=True):
        for entry in entries:
            try:
                choice = eligibility.check_can_book(
                    session, policy, entry.client, now=now, promotion=True
                )
                return reserve(
                    None,
                    session,
                    policy,
                    entry.client,
                    choice,
                    spot=None,
                    source=Booking.Source.WAITLIST,
                    now=now,
                    on_booked=functools.partial(_mark_promoted, entry, now=now),
                    outermost=False,
                )
            except DomainError as refusal:
                if refusal.code in (
                    BOOKING_CLASS_FULL,
                    BOOKING_SESSION_CANCELLED,
                    BOOKING_SESSION_STARTED,
                ):
                    return None
                if refusal.code != WAITLIST_NOT_WAITING:
                    _pass_over(entry, session, refusal, now)
                passed_over.add(entry.pk)
    return None


def _mark_promoted(entry: WaitlistEntry, booking: Booking, now: dt.datetime) -> None:
    _end_waiting(entry, WaitlistEntry.Status.PROMOTED, now, booking=booking)
    audit.record(
        None, BOOKINGS_WAITLIST_PROMOTED, entry, session=entry.session_id, booking=booking.pk
    )
    notify.publish_waitlist(
        entry, "promoted", session=booking.session, user_id=entry.client.user_id
    )


def _pass_over(
    entry: WaitlistEntry, session: ClassSession, refusal: DomainError, now: dt.datetime
) -> None:
    """Skip this client for now (told once per reason), or take them off the list when they
    are already booked or every package they had has expired."""
    reason = refusal.data.get("reason", "")
    if refusal.code == BOOKING_ALREADY_BOOKED or reason == eligibility.EXPIRED:
        status = (
            WaitlistEntry.Status.EXPIRED
            if reason == eligibility.EXPIRED
            else WaitlistEntry.Status.REMOVED
        )
        _end_waiting(entry, status, now)
        audit.record(None, WAITLIST_END_CODES[status], entry, reason=refusal.code)
        if status == WaitlistEntry.Status.EXPIRED:
            notify.queue_class_email(
                "waitlist_expired",
                session=session,
                client=entry.client,
                key=f"waitlist-expired:{entry.pk}",
            )
        notify.publish_waitlist(entry, "removed", session=session, user_id=entry.client.user_id)
        return
    key = f"waitlist-skipped:{entry.pk}:{refusal.code}:{reason}"
    if Message.objects.filter(idempotency_key=key).exists():
        return  # already told about this reason on an earlier run
    notify.queue_class_email(
        "waitlist_skipped",
        session=session,
        client=entry.client,
        key=key,
        reason_text=refusal.message,
    )
    WaitlistEntry.objects.filter(pk=entry.pk).update(
        skip_reason=refusal.message[:200], skip_notified_at=now
    )
    audit.record(None, BOOKINGS_WAITLIST_PASSED_OVER, entry, reason=refusal.code)


def alert_promotion_failed(
    session_id: int, *, attempt: int, error: BaseException
) -> AdminAlert | None:
    """Tell staff a promotion job failed (`attempt` counts from 1)."""
    where = ClassSession.objects.filter(pk=session_id).values_list("organization_id", "studio_id")
    organization_id, studio_id = where.first() or (None, None)
    return alerts.raise_alert(
        alerts.PROMOTION_FAILED,
        f"Waitlist promotion for class {session_id} failed (attempt {attempt}): {error}. "
        "It is retried automatically; check the class's waitlist if this persists.",
        organization_id=organization_id,
        studio_id=studio_id,
        data={"session": session_id, "attempt": attempt},
    )
