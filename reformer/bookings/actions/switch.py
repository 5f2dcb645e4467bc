"""Switching classes: cancel the booking that overlaps a class and book that class instead.

A client cannot hold two overlapping classes (the exclusion constraint), so booking a class
that overlaps one of theirs means giving the other up. We offer that only while cancelling
the other booking is free (before its studio's cancellation window: no late cancel, no fee,
the credit comes back), and do both in ONE transaction through the ordinary actions: if the
new class cannot be booked (it filled up, no credit...), the old booking stays as it was.

Both classes' rows are locked first, in id order, so two clients switching in opposite
directions wait for each other instead of deadlocking (cancel then book would otherwise
lock the two classes in opposite orders), and every class lock is taken before a package
lock, as everywhere else (ARCHITECTURE §4).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.bookings.actions._db import busy_as_domain_error
from reformer.bookings.actions.booking import book_session
from reformer.bookings.actions.cancel import cancel_booking
from reformer.bookings.actions.terms import CancellationTerms, cancellation_terms
from reformer.bookings.audit_codes import BOOKINGS_BOOKING_SWITCHED
from reformer.bookings.context import format_deadline, format_local
from reformer.bookings.errors import BOOKING_NOT_SWITCHABLE
from reformer.bookings.models import Booking
from reformer.core import audit
from reformer.core.errors import DomainError, NotFound
from reformer.core.permissions import BOOK_SELF, require, require_same_organization
from reformer.scheduling.models import ClassSession
from reformer.studios.models import Spot

_LOCK_SESSIONS_SQL = """
SELECT id FROM scheduling_classsession WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE
"""


@dataclass(frozen=True)
class SwitchOffer:
    """The client's booking that overlaps a class, and whether they may switch now."""

    booking: Booking  # with session, class type, studio and package loaded
    terms: CancellationTerms
    allowed: bool
    reason: str  # why not, when not allowed

    @property
    def when_text(self) -> str:
        session = self.booking.session
        return format_local(
            session.starts_at, session.studio.time_zone, organization_id=session.organization_id
        )


def switch_offer(actor: Membership, booking: Booking, *, now: dt.datetime | None = None):
    """May the actor give up `booking` (their own) for an overlapping class right now?"""
    booking = _own_booking(actor, booking.pk)
    return _offer(booking, now=now or timezone.now())


def _own_booking(actor: Membership, booking_id: int) -> Booking:
    booking = (
        Booking.objects.select_related(
            "session__class_type", "session__studio__policy", "client_package__product"
        )
        .filter(pk=booking_id, organization_id=actor.organization_id, client_id=actor.pk)
        .first()
    )
    if booking is None:
        raise NotFound("booking")
    return booking


def _offer(booking: Booking, *, now: dt.datetime) -> SwitchOffer:
    terms = cancellation_terms(booking, now=now)
    name = booking.session.class_type.name
    if booking.status != Booking.Status.CONFIRMED or not terms.can_cancel:
        reason = f"Your {name} has started, so it can't be switched."
    elif terms.is_late:
        when = format_deadline(terms.deadline, booking.session.studio)
        reason = (
            f"Free cancellation of your {name} closed at {when}, so we can't switch it for "
            "you. You can still cancel it yourself under the studio's policy."
        )
    else:
        reason = ""
    return SwitchOffer(booking=booking, terms=terms, allowed=not reason, reason=reason)


def switch_booking(
    actor: Membership, booking: Booking, session: ClassSession, *, spot: Spot | None = None
) -> Booking:
    """Cancel `booking` (free, within policy) and book `session`, atomically.

    Refusals: BOOKING_NOT_SWITCHABLE when the booking does not overlap the class or can no
    longer be cancelled for free; any booking refusal of the new class (full, credits,
    spot taken, busy), in which case nothing changed."""
    require_same_organization(actor, session, "class")
    require(actor, BOOK_SELF)  # a client's own change: staff cancel and book separately
    now = timezone.now()
    offer = _offer(_own_booking(actor, booking.pk), now=now)
    old = offer.booking
    if not offer.allowed:
        raise DomainError(BOOKING_NOT_SWITCHABLE, offer.reason)
    if old.session_id == session.pk or not (
        old.starts_at < session.ends_at and session.starts_at < old.ends_at
    ):
        raise DomainError(
            BOOKING_NOT_SWITCHABLE, "That booking does not overlap this class: nothing to switch."
        )
    with busy_as_domain_error(), transaction.atomic(durable=True):
        with connection.cursor() as cursor:
            cursor.execute(_LOCK_SESSIONS_SQL, [[old.session_id, session.pk]])
        cancel_booking(actor, old, reason=f"Switched to {session.class_type.name}", outermost=False)
        new = book_session(actor, session, spot=spot, outermost=False)
        audit.record(
            actor, BOOKINGS_BOOKING_SWITCHED, new, switched_from=old.pk, session=session.pk
        )
    return new
