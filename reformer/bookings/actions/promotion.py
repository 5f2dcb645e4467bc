"""Waitlist promotion (PHX-16): fill freed places from the waitlist, run by a job.

One job at a time per class (an advisory lock held for the whole run); each promotion is its
own transaction: the booking, the credit, the waitlist change and the client's messages
commit together or not at all.

Two kinds of "cannot book" are told apart:
- the checks say the client cannot book (no usable package, suspended, overlapping class):
  they are passed over, told once why, and the next in line is promoted;
- the checks said yes but taking the credit failed (the package was used up or expired a
  moment ago, or the database failed mid-write): the whole promotion rolls back, the client
  stays first in line and is told nothing, and `CreditDeductionFailed` makes the job retry
  with backoff and alert staff. The job's last try passes such a client over for this place
  (still first in line, told nothing) so the place is not lost, and tells staff who and why
  (docs/specification.md, PHX-16 notes).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from reformer.bookings import eligibility, notify
from reformer.bookings.actions._db import busy_as_domain_error
from reformer.bookings.actions._place import release_held_places
from reformer.bookings.actions.booking import reserve
from reformer.bookings.actions.waitlist import cutoff, end_waiting
from reformer.bookings.audit_codes import (
    BOOKINGS_WAITLIST_PASSED_OVER,
    BOOKINGS_WAITLIST_PROMOTED,
    WAITLIST_END_CODES,
)
from reformer.bookings.context import load_session, policy_of
from reformer.bookings.errors import (
    BOOKING_ALREADY_BOOKED,
    BOOKING_CLASS_FULL,
    BOOKING_INSUFFICIENT_CREDITS,
    BOOKING_SESSION_CANCELLED,
    BOOKING_SESSION_STARTED,
    WAITLIST_NOT_WAITING,
)
from reformer.bookings.models import Booking, WaitlistEntry
from reformer.core import alerts, audit, live
from reformer.core.errors import Busy, DomainError, TimedOut
from reformer.core.models import AdminAlert
from reformer.notifications.models import Message
from reformer.scheduling.models import ClassSession
from reformer.studios.models import StudioPolicy

# Advisory-lock namespace for "promoting the waitlist of class <id>".
_PROMOTION_LOCK_NAMESPACE = 0x57A17

# Refusals that mean the class itself can take no one now: stop promoting.
_CLASS_CLOSED = frozenset({BOOKING_CLASS_FULL, BOOKING_SESSION_CANCELLED, BOOKING_SESSION_STARTED})

# Audit reason of a client passed over because their credit could not be taken.
CREDIT_NOT_TAKEN = "credit_not_taken"


class CreditDeductionFailed(Exception):
    """The checks said the client could book, but their credit could not be taken. Raised
    after the promotion's transaction rolled back: nothing changed, nobody was told."""

    def __init__(self, entry: WaitlistEntry, session: ClassSession, cause: BaseException):
        self.entry_id = entry.pk
        self.session_id = session.pk
        self.client_name = entry.client.user.name or entry.client.user.email
        self.cause = cause
        super().__init__(
            f"could not take {self.client_name}'s credit for {session.class_type.name} "
            f"({_describe(cause)})"
        )


def _describe(cause: BaseException) -> str:
    if isinstance(cause, DomainError):
        return cause.message
    return f"database error: {str(cause).strip().splitlines()[0] if str(cause) else cause!r}"


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


def promote_waitlist(session_id: int, *, pass_over_unchargeable: bool = False) -> list[Booking]:
    """Fill free places from the waitlist, first come first served (run by a job).

    A client who can't book right now (no credits, suspended, overlapping class) is passed
    over, stays on the list and is told once per reason; one whose packages have all expired
    is taken off with a notice. Stops at the studio's cut-off before class, when the studio
    has no waitlist, and when the class is full again.

    A client whose credit cannot be taken raises CreditDeductionFailed (the job retries),
    unless `pass_over_unchargeable` (the job's last try): then they are passed over for
    this place without a message, staff are alerted, and the next in line is promoted.
    """
    promoted: list[Booking] = []
    passed_over: set[int] = set()
    with _promotion_lock(session_id):
        while (
            booking := _promote_next(
                session_id, passed_over, pass_over_unchargeable=pass_over_unchargeable
            )
        ) is not None:
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


def _promote_next(
    session_id: int, passed_over: set[int], *, pass_over_unchargeable: bool
) -> Booking | None:
    """One promotion in one transaction (with the pass-overs decided on the way)."""
    now = timezone.now()
    session = load_session(session_id)
    policy = policy_of(session)
    if (
        session.status != ClassSession.Status.SCHEDULED
        or policy.waitlist_mode == StudioPolicy.WaitlistMode.OFF
        or now >= cutoff(session, policy)
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
            except DomainError as refusal:
                if refusal.code in _CLASS_CLOSED:
                    return None
                _pass_over(entry, session, refusal, now)
                passed_over.add(entry.pk)
                continue
            failure: BaseException
            try:
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
            except (Busy, TimedOut):
                raise  # contention or a slow database, not this client: the job retries
            except DomainError as refusal:
                if refusal.code in _CLASS_CLOSED:
                    return None
                if refusal.code != BOOKING_INSUFFICIENT_CREDITS:
                    # Booked elsewhere meanwhile, or no longer waiting: as the checks would say.
                    if refusal.code != WAITLIST_NOT_WAITING:
                        _pass_over(entry, session, refusal, now)
                    passed_over.add(entry.pk)
                    continue
                failure = refusal  # the credit went between the check and the spend
            except DatabaseError as error:
                failure = error
            if not pass_over_unchargeable:
                # Leaving the block rolls back everything this run wrote for the class.
                raise CreditDeductionFailed(entry, session, failure) from failure
            _pass_over_unchargeable(entry, session, failure)
            passed_over.add(entry.pk)
    return None


def _mark_promoted(entry: WaitlistEntry, booking: Booking, now: dt.datetime) -> None:
    end_waiting(entry, WaitlistEntry.Status.PROMOTED, now, booking=booking)
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
        end_waiting(entry, status, now)
        audit.record(None, WAITLIST_END_CODES[status], entry, reason=refusal.code)
        if status == WaitlistEntry.Status.EXPIRED:
            notify.queue_class_email(
                "waitlist_expired",
                session=session,
                client=entry.client,
                key=f"waitlist-expired:{entry.pk}",
                shop_url=notify.shop_url(),
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
        shop_url=notify.shop_url() if refusal.data.get("purchase_available") else "",
    )
    WaitlistEntry.objects.filter(pk=entry.pk).update(
        skip_reason=refusal.message[:200], skip_notified_at=now
    )
    audit.record(None, BOOKINGS_WAITLIST_PASSED_OVER, entry, reason=refusal.code)


def _pass_over_unchargeable(
    entry: WaitlistEntry, session: ClassSession, failure: BaseException
) -> None:
    """The job's last try: this client's credit still cannot be taken. They keep their place
    in line and hear nothing (nothing they did caused it); staff are told who and why."""
    name = entry.client.user.name or entry.client.user.email
    # Shown to staff on the class's waitlist; the client is not told (skip_notified_at).
    WaitlistEntry.objects.filter(pk=entry.pk).update(
        skip_reason="their credit could not be taken (see alerts)"
    )
    audit.record(None, BOOKINGS_WAITLIST_PASSED_OVER, entry, reason=CREDIT_NOT_TAKEN)
    alerts.raise_alert(
        alerts.PROMOTION_FAILED,
        f"{name} was passed over for a freed place in {session.class_type.name}, "
        f"{notify.local_when(session)}: their credit could not be taken after repeated tries "
        f"({_describe(failure)}). They are still first on the waitlist and were not told. "
        "Check their packages; the next person in line was offered the place.",
        organization_id=session.organization_id,
        studio_id=session.studio_id,
        data={"session": session.pk, "entry": entry.pk, "passed_over": True},
    )


def alert_promotion_failed(
    session_id: int, *, attempt: int, error: BaseException, final: bool = False
) -> AdminAlert | None:
    """Tell staff a promotion job failed (`attempt` counts from 1)."""
    session = (
        ClassSession.objects.select_related("class_type", "studio").filter(pk=session_id).first()
    )
    organization_id = session.organization_id if session else None
    studio_id = session.studio_id if session else None
    which = (
        f"{session.class_type.name}, {notify.local_when(session)}"
        if session
        else f"class {session_id}"
    )
    if isinstance(error, CreditDeductionFailed):
        what = (
            f"Waitlist promotion for {which}: {error}. Nothing was changed: "
            f"{error.client_name} is still first on the waitlist and was not told."
        )
    else:
        what = f"Waitlist promotion for {which} failed (attempt {attempt}): {error}."
    then = (
        " Retries have run out: check the class's waitlist."
        if final
        else " It is retried automatically; check the class's waitlist if this persists."
    )
    return alerts.raise_alert(
        alerts.PROMOTION_FAILED,
        what + then,
        organization_id=organization_id,
        studio_id=studio_id,
        data={"session": session_id, "attempt": attempt, "retrying": not final},
    )


def resolve_promotion_alerts(session_id: int) -> int:
    """A retry went through: close the "failed, retrying" alerts of this class (a client
    passed over stays open: staff still have to look at their packages)."""
    organization_id = (
        ClassSession.objects.filter(pk=session_id).values_list("organization_id", flat=True).first()
    )
    if organization_id is None:
        return 0
    return alerts.resolve_alerts_about(
        alerts.PROMOTION_FAILED, organization_id=organization_id, session=session_id, retrying=True
    )
