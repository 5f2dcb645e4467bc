"""Booking a class: the quote the dialog shows, and the booking itself."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.billing.actions import spend_credit
from reformer.billing.models import ClientPackage, CreditLedger
from reformer.bookings import eligibility, notify
from reformer.bookings.actions._access import resolve_client
from reformer.bookings.actions._db import busy_as_domain_error, constraint_name
from reformer.bookings.actions._pipelined import write_together
from reformer.bookings.actions._place import (
    new_booking,
    take_place,
    why_no_place,
)
from reformer.bookings.actions._prechecks import BOOKING_CREATED_EVENT, load_before_lock
from reformer.bookings.actions.terms import cancellation_policy_text, terms_for
from reformer.bookings.audit_codes import BOOKINGS_BOOKING_CREATED
from reformer.bookings.context import load_session, policy_of
from reformer.bookings.errors import (
    BOOKING_INSUFFICIENT_CREDITS,
    BOOKING_OVERLAP,
    BOOKING_SESSION_CANCELLED,
    BOOKING_SESSION_STARTED,
)
from reformer.bookings.models import Booking, new_reference
from reformer.bookings.rules import counts_against_week_sql
from reformer.core import audit
from reformer.core.errors import Busy, DomainError
from reformer.core.permissions import require_same_organization
from reformer.core.timezones import local_week_bounds
from reformer.notifications.actions import (
    queue_templated_email,
    templated_email_statement,
    update_context,
)
from reformer.onboarding.overrides import requirement_override
from reformer.onboarding.readiness import check_ready_to_book
from reformer.scheduling.models import ClassSession
from reformer.studios.models import Spot, StudioPolicy
from reformer.webhooks import events as webhook_events

_WEEK_USED_SQL = f"""
SELECT count(*) FROM bookings_booking b
 WHERE b.client_package_id = %(package_id)s AND b.starts_at >= %(week_start)s
   AND b.starts_at < %(week_end)s
   AND {counts_against_week_sql("b")}
"""


@dataclass(frozen=True)
class BookingQuote:
    """What booking this class would cost the client, shown before they confirm."""

    package: ClientPackage | None
    credit_cost: int
    reason: DomainError | None  # why they cannot book, if known; None = they can
    cancellation_policy: str
    cancellation_deadline: dt.datetime

    @property
    def can_book(self) -> bool:
        return self.reason is None


def booking_quote(
    actor: Membership,
    session: ClassSession,
    *,
    client: Membership | None = None,
    switching_from: Booking | None = None,
) -> BookingQuote:
    """Pure read, no locks: the package that would pay, its cost, and the policy.
    `switching_from`: quote it as if that booking were cancelled first (a switch)."""
    require_same_organization(actor, session, "class")
    session = load_session(session.pk)
    client = resolve_client(actor, session, client)
    policy = policy_of(session)
    now = timezone.now()
    package: ClientPackage | None = None
    reason: DomainError | None = None
    try:
        if client.pk == actor.pk:
            check_ready_to_book(client)  # waiver and health form first (asked before a Book)
        package = eligibility.check_can_book(
            session, policy, client, now=now, ignoring=switching_from
        ).package
    except DomainError as exc:
        reason = exc
        if exc.code != BOOKING_INSUFFICIENT_CREDITS:
            package = _first_usable(session, client, now)
    return BookingQuote(
        package=package,
        credit_cost=0 if package is None or package.is_unlimited else 1,
        reason=reason,
        cancellation_policy=cancellation_policy_text(session, policy, now=now),
        cancellation_deadline=terms_for(session, policy, now=now).deadline,
    )


def _first_usable(session: ClassSession, client: Membership, now: dt.datetime):
    packages = eligibility.load_client_state(client, session, now=now).packages
    try:
        return eligibility.choose_package(session, packages, now=now).package
    except DomainError:
        return None


def book_session(
    actor: Membership,
    session: ClassSession,
    *,
    client: Membership | None = None,
    spot: Spot | None = None,
    override_reason: str = "",
    outermost: bool = True,
    source: str | None = None,
) -> Booking:
    """Book a place: the client for themself, or front desk and above for a client.
    `source`: where the booking came from when not the web (the API passes "api").

    A client booking for themself must first have accepted the current waivers and filled
    the health intake (onboarding.readiness). Staff may place a client who does not meet the
    class's prerequisites by giving `override_reason` (recorded with the booking).

    Reads and checks first without locks, then takes the class lock late with a guarded
    counter update and spends a credit from the package that expires soonest, all in one
    transaction. Full class: DomainError BOOKING_CLASS_FULL, nothing charged.
    Durable unless `outermost` is False (a switch cancels and books in one transaction).
    """
    require_same_organization(actor, session, "class")
    if spot is not None:
        require_same_organization(actor, spot, "spot")
    now = timezone.now()
    # The class and everything else read before the lock, in one round trip, for the
    # client resolve_client will return (the actor or the chosen client) or refuse.
    session, read = load_before_lock(session.pk, client or actor, spot, now=now)
    client = resolve_client(actor, session, client)
    policy = policy_of(session)
    if client.pk == actor.pk:
        check_ready_to_book(client, read.readiness)
    override = requirement_override(actor, session, client, override_reason)
    try:
        choice = eligibility.check_can_book(
            session,
            policy,
            client,
            now=now,
            spot=spot,
            waive_requirements=override is not None,
            read=read.checked,
        )
    except DomainError as error:
        raise eligibility.for_staff(error, actor, client) from None
    if source is None:
        source = Booking.Source.WEB if client.pk == actor.pk else Booking.Source.STAFF
    return reserve(
        actor,
        session,
        policy,
        client,
        choice,
        spot=spot,
        source=source,
        now=now,
        on_booked=override,
        outermost=outermost,
        drawn=read.drawn,
        webhook_subscribed=read.webhook_subscribed,
    )


def reserve(
    actor: Membership | None,
    session: ClassSession,
    policy: StudioPolicy,
    client: Membership,
    choice: eligibility.PackageChoice,
    *,
    spot: Spot | None,
    source: str,
    now: dt.datetime,
    on_booked: Callable[[Booking], None] | None = None,
    outermost: bool = True,
    drawn: tuple[int, int | None, str | None] | None = None,
    webhook_subscribed: bool | None = None,
) -> Booking:
    """The write half of a booking (also used by waitlist promotion), in one transaction.
    `drawn`: the booking's id and predicted spot when already read (_prechecks.py), and
    `webhook_subscribed` whether a webhook endpoint listens for new bookings.

    Everything that does not need the class lock is written first (audit row, confirmation,
    its job); then the lock is taken late and held for three statements and the commit:
    the guarded counter update, the booking insert, the credit spend (ARCHITECTURE §5.2).
    All five go in one round trip (_pipelined.py) unless this is a promotion, a webhook
    endpoint listens, or the confirmation takes more than one statement.
    `on_booked(booking)` runs under the lock after the spend (promotion marks its entry).
    Durable unless `outermost` is False (promotion runs it inside its own durable block), so
    the class lock is never held inside a caller's longer transaction (ARCHITECTURE §5.1).
    """
    recipient = client.user  # loaded now, not while the class is locked
    promotion = source == Booking.Source.WAITLIST
    booking, predicted_label = new_booking(
        session,
        client_id=client.pk,
        package_id=choice.package.pk,
        spot=spot,
        source=source,
        reference=new_reference(),
        now=now,
        drawn=drawn,
    )
    booking.client = client
    predicted_spot_id = booking.spot_id
    # The live event's class state is read with the insert unless something else changes
    # the class before the commit (a promotion's waitlist entry, a caller's transaction).
    with_state = outermost and not promotion
    try:
        with busy_as_domain_error(), transaction.atomic(durable=outermost):
            kind = "waitlist_promoted" if promotion else "booking_confirmed"
            context = notify.class_context(session, booking=booking, spot_label=predicted_label) | {
                "credit_cost": choice.credit_cost,
                "cancellation_text": terms_for(
                    session, policy, now=now, unlimited=choice.package.is_unlimited
                ).message,
            }
            confirmation: dict[str, Any] = {
                "subject": notify.SUBJECTS[kind].format(**context),
                "context": context,
                "idempotency_key": f"booking-confirmed:{booking.pk}",
                "organization": session.organization_id,
            }
            together = (
                None
                if promotion or webhook_subscribed is not False
                else templated_email_statement(recipient, kind, now=now, **confirmation)
            )
            if together is not None:  # all the writes in one round trip (_pipelined.py)
                written = write_together(
                    actor,
                    booking,
                    together,
                    choice,
                    chosen_spot=spot is not None,
                    with_state=with_state,
                    now=now,
                )
                message, placed = written.message, written.placed
                if placed is None:
                    raise _no_place(session, policy, now)
                package = _spend(
                    booking, choice, promotion, actor, session, now, first=written.first_spent
                )
            else:
                with _subscribers_known(session, webhook_subscribed):
                    audit.record(
                        actor,
                        BOOKINGS_BOOKING_CREATED,
                        booking,
                        session=session.pk,
                        client=client.pk,
                        source=source,
                    )
                message = queue_templated_email(recipient, kind, **confirmation)
                if promotion:
                    notify.queue_promotion_text(session, client, booking, context, now=now)
                # The class lock from here to the commit.
                placed = take_place(
                    booking, chosen_spot=spot is not None, now=now, with_state=with_state
                )
                if placed is None:
                    raise _no_place(session, policy, now)
                package = _spend(booking, choice, promotion, actor, session, now)
            if booking.spot_id != predicted_spot_id:  # someone took the predicted spot
                update_context(message, {"spot": placed.spot_label})
            if on_booked is not None:
                on_booked(booking)
            notify.publish_booking(
                booking,
                "created",
                session=session,
                user_id=recipient.pk,
                package_id=None if package.is_unlimited else package.pk,
                class_state=placed.state,
            )
    except IntegrityError as exc:
        mapped = _integrity_error(exc, session, client)
        if mapped is None:
            raise
        raise eligibility.for_staff(mapped, actor, client) from exc
    return booking


def _subscribers_known(
    session: ClassSession, subscribed: bool | None
) -> contextlib.AbstractContextManager[None]:
    """The audit row's webhook check answered from the read before the lock, if made."""
    if subscribed is None:
        return contextlib.nullcontext()
    return webhook_events.subscribers_known(
        session.organization_id, BOOKING_CREATED_EVENT, subscribed
    )


def _spend(
    booking: Booking,
    choice: eligibility.PackageChoice,
    promotion: bool,
    actor: Membership | None,
    session: ClassSession,
    now: dt.datetime,
    *,
    first: bool | None = None,
) -> ClientPackage:
    """Spend from the first candidate that still can pay (a concurrent booking may have
    taken the last credit of the first); re-count a weekly limit under the package lock.
    `first`: whether the first candidate paid already (tried with the insert), if tried."""
    reason = CreditLedger.Reason.WAITLIST_PROMOTION if promotion else CreditLedger.Reason.BOOKING
    candidates = list(choice.candidates)
    if first is not None:
        candidates = candidates[:1] if first else candidates[1:]
    for package in candidates:
        if first or spend_credit(
            package,
            booking_id=booking.pk,
            reason=reason,
            actor_user_id=actor.user_id if actor is not None else None,
            now=now,
        ):
            break
    else:
        raise eligibility.insufficient_credits(eligibility.NO_CREDITS)
    if package is not choice.package:
        Booking.objects.filter(pk=booking.pk).update(client_package=package)
    booking.client_package = package
    if package.weekly_limit:
        _check_week_under_lock(package, session)
    return package


def _check_week_under_lock(package: ClientPackage, session: ClassSession) -> None:
    """The package row is locked now, so this fresh count sees every committed booking."""
    week_start, week_end = local_week_bounds(session.starts_at, session.studio.time_zone)
    with connection.cursor() as cursor:
        cursor.execute(
            _WEEK_USED_SQL,
            {"package_id": package.pk, "week_start": week_start, "week_end": week_end},
        )
        (used,) = cursor.fetchone()
    if used > package.weekly_limit:
        raise eligibility.insufficient_credits(eligibility.WEEKLY_LIMIT, [package])


def _no_place(session: ClassSession, policy: StudioPolicy, now: dt.datetime) -> DomainError:
    why = why_no_place(session.pk, now=now)
    if why == "cancelled":
        return DomainError(BOOKING_SESSION_CANCELLED, "This class has been cancelled.")
    if why == "started":
        return DomainError(
            BOOKING_SESSION_STARTED, "This class has already started and can't be booked."
        )
    return eligibility.class_full(policy)


def _integrity_error(
    exc: IntegrityError, session: ClassSession, client: Membership
) -> DomainError | None:
    """Constraint violations (the race the pre-checks could not see) as domain errors."""
    name = constraint_name(exc)
    if name in ("booking_one_active_per_client_session", "booking_no_client_overlap"):
        # A twin request or an overlapping booking committed while we worked: the same
        # booking is the likelier one (and both constraints fire for it), so check it first.
        holding = eligibility.client_holding_bookings(client, now=timezone.now())
        try:
            eligibility.check_already_booked(session, holding)
            eligibility.check_no_overlap(session, holding)
        except DomainError as domain_error:
            return domain_error
    if name == "occupancy_client_once":  # an appointment at that time (the class overlap
        return DomainError(  # would have been caught by booking_no_client_overlap first)
            BOOKING_OVERLAP,
            "You have an appointment at that time. Cancel it first to book this class.",
        )
    if name == "booking_spot_taken_once":
        return eligibility.spot_taken()
    if name == "session_not_overbooked":
        return eligibility.class_full(policy_of(session))
    if name == "package_credits_not_negative":
        return eligibility.insufficient_credits(eligibility.NO_CREDITS)
    if name in (
        "booking_one_active_per_client_session",
        "booking_no_client_overlap",
        "bookings_booking_reference_key",
    ):
        # The conflicting booking was cancelled again before we could show it, or two
        # references collided: either way a retry will go through.
        return Busy()
    return None
