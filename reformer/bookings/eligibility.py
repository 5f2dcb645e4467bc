"""May this client take a place in this class? Pure reads, no locks.

The checks run in a fixed order so the client always hears about the first thing to fix.
Actions call them before taking the class lock and then rely on the database (guarded
updates, constraints) to re-check what a concurrent change could have invalidated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from reformer.accounts.models import Membership
from reformer.billing.models import ClientPackage
from reformer.bookings.context import format_local
from reformer.bookings.errors import (
    BOOKING_ALREADY_BOOKED,
    BOOKING_CLASS_FULL,
    BOOKING_INSUFFICIENT_CREDITS,
    BOOKING_MAX_UPCOMING,
    BOOKING_NOT_OPEN,
    BOOKING_OVERLAP,
    BOOKING_SESSION_CANCELLED,
    BOOKING_SESSION_STARTED,
    BOOKING_SPOT_TAKEN,
    BOOKING_SUSPENDED,
)
from reformer.bookings.models import Booking
from reformer.bookings.rules import HOLDING_SQL, booking_opens_at, counts_against_week_sql
from reformer.core.errors import VALIDATION, DomainError
from reformer.core.timezones import local_week_bounds
from reformer.onboarding.requirements import Unmet, check_requirements
from reformer.scheduling.models import ClassSession
from reformer.studios.models import Spot, StudioPolicy

# Why no package can pay, most useful first: what to fix when several apply.
NO_PACKAGE = "no_package"
EXPIRED = "expired"
EXPIRES_BEFORE_CLASS = "expires_before_class"
NO_CREDITS = "no_credits"
WEEKLY_LIMIT = "weekly_limit"
_REASON_ORDER = (WEEKLY_LIMIT, NO_CREDITS, EXPIRES_BEFORE_CLASS, EXPIRED, NO_PACKAGE)


@dataclass
class PackageChoice:
    """The package that pays (soonest expiry first) and the other usable ones, in order."""

    candidates: list[ClientPackage] = field(default_factory=list)

    @property
    def package(self) -> ClientPackage:
        return self.candidates[0]

    @property
    def credit_cost(self) -> int:
        return 0 if self.package.is_unlimited else 1


def check_session_open(session: ClassSession, *, now: dt.datetime) -> None:
    if session.status != ClassSession.Status.SCHEDULED:
        raise DomainError(BOOKING_SESSION_CANCELLED, "This class has been cancelled.")
    if session.starts_at <= now:
        raise DomainError(
            BOOKING_SESSION_STARTED, "This class has already started and can't be booked."
        )


def check_booking_window(session: ClassSession, policy: StudioPolicy, *, now: dt.datetime) -> None:
    opens_at = booking_opens_at(session.starts_at, policy.booking_window_days)
    if now < opens_at:
        when = format_local(
            opens_at, session.studio.time_zone, organization_id=session.organization_id
        )
        raise DomainError(
            BOOKING_NOT_OPEN,
            f"Booking for this class opens on {when}.",
            opens_at=opens_at,
        )


# One round trip for everything about the client the rules need: their suspension, their
# places in classes that have not ended, and their active packages, each with the classes
# it paid for in the class's calendar week when it has a weekly limit (studio time zone).
_CLIENT_STATE_SQL = f"""
SELECT
  (SELECT suspended_until FROM accounts_clientprofile WHERE membership_id = %(client)s),
  (SELECT COALESCE(json_agg(json_build_array(
              b.id, b.session_id, b.starts_at, b.ends_at, b.reference, b.status)
              ORDER BY b.starts_at, b.id), '[]'::json)
     FROM bookings_booking b
    WHERE b.client_id = %(client)s AND b.ends_at > %(now)s
      AND b.status IN {HOLDING_SQL}),
  (SELECT COALESCE(json_agg(json_build_array(
              p.id, p.product_id, p.credits_total, p.credits_remaining, p.weekly_limit,
              p.starts_at, p.expires_at, p.source,
              CASE WHEN p.weekly_limit IS NULL THEN 0 ELSE (
                  SELECT count(*) FROM bookings_booking w
                   WHERE w.client_package_id = p.id
                     AND w.starts_at >= %(week_start)s AND w.starts_at < %(week_end)s
                     AND {counts_against_week_sql("w")}) END)
              ORDER BY p.expires_at, p.id), '[]'::json)
     FROM billing_clientpackage p
    WHERE p.client_id = %(client)s AND p.status = 'active')
"""
_BOOKING_FIELDS = ["id", "session_id", "starts_at", "ends_at", "reference", "status"]
_PACKAGE_FIELDS = [
    "id",
    "product_id",
    "credits_total",
    "credits_remaining",
    "weekly_limit",
    "starts_at",
    "expires_at",
    "source",
]
_DATETIMES = {"starts_at", "ends_at", "expires_at"}


# One query for the whole client state instead of three ORM queries: measured at about a
# fifth of their time (bench/hot_reads.py, same run: p50 7.6 ms against 40.6 ms on a loaded
# 2-core machine). Hence json_agg and `_instance` rather than querysets.


@dataclass
class Prechecked:
    """What check_can_book reads, read beforehand with the rest (actions._prechecks)."""

    state: ClientState
    unmet: list[Unmet]


@dataclass
class ClientState:
    """What the rules need to know about the client, read in one query (model instances,
    other fields load on access)."""

    suspended_until: dt.datetime | None
    holding: list[Booking]  # places in classes that have not ended
    packages: list[ClientPackage]  # active, soonest expiry first, with `week_used`


# The query as a part of a larger one (bookings.actions._prechecks): its three columns.
CLIENT_STATE_SQL = _CLIENT_STATE_SQL


def client_state_params(
    client: Membership, session: ClassSession, *, now: dt.datetime
) -> dict[str, Any]:
    week_start, week_end = local_week_bounds(session.starts_at, session.studio.time_zone)
    return {"client": client.pk, "now": now, "week_start": week_start, "week_end": week_end}


def load_client_state(
    client: Membership, session: ClassSession, *, now: dt.datetime
) -> ClientState:
    with connection.cursor() as cursor:
        cursor.execute(_CLIENT_STATE_SQL, client_state_params(client, session, now=now))
        return client_state_from(client, *cursor.fetchone())


def client_state_from(
    client: Membership, suspended_until: dt.datetime | None, bookings: list, packages: list
) -> ClientState:
    """CLIENT_STATE_SQL's columns as a ClientState."""
    holding = [_instance(Booking, _BOOKING_FIELDS, row, client_id=client.pk) for row in bookings]
    owned = []
    for row in packages:
        package = _instance(
            ClientPackage,
            _PACKAGE_FIELDS,
            row[:-1],
            client_id=client.pk,
            organization_id=client.organization_id,
            status=ClientPackage.Status.ACTIVE,
        )
        package.week_used = row[-1]
        owned.append(package)
    return ClientState(suspended_until, holding, owned)


def _instance(model, fields: list[str], values: list, **known):
    """A model instance from some of its fields (Model.from_db wants them in field order;
    the others are deferred and load on access)."""
    given = {
        name: dt.datetime.fromisoformat(v) if name in _DATETIMES and v is not None else v
        for name, v in zip(fields, values, strict=True)
    } | known
    names = [f.attname for f in model._meta.concrete_fields if f.attname in given]
    return model.from_db(connection.alias, names, [given[name] for name in names])


def _without(state: ClientState, booking: Booking) -> None:
    state.holding = [b for b in state.holding if b.pk != booking.pk]
    for package in state.packages:
        if package.pk == booking.client_package_id and package.credits_remaining is not None:
            package.credits_remaining += 1


def check_not_suspended(
    session: ClassSession, suspended_until: dt.datetime | None, *, now: dt.datetime
) -> None:
    if suspended_until is not None and suspended_until > now:
        when = format_local(
            suspended_until, session.studio.time_zone, organization_id=session.organization_id
        )
        raise DomainError(
            BOOKING_SUSPENDED,
            f"Booking is suspended until {when} after repeated no-shows. "
            "Please contact the studio.",
            suspended_until=suspended_until,
        )


def client_holding_bookings(client: Membership, *, now: dt.datetime) -> list[Booking]:
    """The client's places in classes that have not ended yet."""
    return list(
        Booking.objects.filter(
            client_id=client.pk, status__in=Booking.HOLDING, ends_at__gt=now
        ).only("id", "session_id", "starts_at", "ends_at", "reference", "status", "client_id")
    )


def check_already_booked(session: ClassSession, holding: list[Booking]) -> None:
    for booking in holding:
        if booking.session_id == session.pk:
            raise DomainError(
                BOOKING_ALREADY_BOOKED, "You have already booked this class.", booking=booking
            )


def for_staff(error: DomainError, actor: Membership | None, client: Membership) -> DomainError:
    """The refusal worded for staff booking for a client: "You have already booked" would
    speak of the staff member, not the client."""
    if error.code == BOOKING_ALREADY_BOOKED and actor is not None and client.pk != actor.pk:
        return DomainError(
            BOOKING_ALREADY_BOOKED, f"{client.name} is already booked in this class.", **error.data
        )
    return error


def check_no_overlap(session: ClassSession, holding: list[Booking]) -> None:
    for booking in holding:
        if booking.starts_at < session.ends_at and session.starts_at < booking.ends_at:
            raise DomainError(
                BOOKING_OVERLAP,
                "You already have a class at that time. Cancel it first to book this one.",
                booking=booking,
            )


def check_upcoming_limit(policy: StudioPolicy, holding: list[Booking], *, now: dt.datetime) -> None:
    limit = policy.max_upcoming_bookings
    if limit and sum(1 for b in holding if b.starts_at > now) >= limit:
        raise DomainError(
            BOOKING_MAX_UPCOMING,
            f"You can hold at most {limit} upcoming bookings. "
            "Cancel one or wait until after your next class.",
            limit=limit,
        )


def choose_package(
    session: ClassSession, packages: list[ClientPackage], *, now: dt.datetime
) -> PackageChoice:
    """The usable packages, soonest expiry first; DomainError when none can pay."""
    usable: list[ClientPackage] = []
    reasons: set[str] = set()
    for package in packages:
        if package.expires_at <= now:
            reasons.add(EXPIRED)
        elif package.starts_at > session.starts_at or package.expires_at <= session.starts_at:
            reasons.add(EXPIRES_BEFORE_CLASS)
        elif package.credits_remaining is not None and package.credits_remaining <= 0:
            reasons.add(NO_CREDITS)
        elif package.weekly_limit and package.week_used >= package.weekly_limit:
            reasons.add(WEEKLY_LIMIT)
        else:
            usable.append(package)
    if usable:
        return PackageChoice(candidates=usable)
    reason = next((r for r in _REASON_ORDER if r in reasons), NO_PACKAGE)
    raise insufficient_credits(reason, packages)


def insufficient_credits(reason: str, packages: list[ClientPackage] | None = None) -> DomainError:
    limits = [p.weekly_limit for p in packages or () if p.weekly_limit]
    messages = {
        NO_PACKAGE: "Insufficient credits: you need a class package to book. Buy one to continue.",
        EXPIRED: "Insufficient credits: your package has expired. Buy a new one to book.",
        EXPIRES_BEFORE_CLASS: "Insufficient credits: your package expires before this class. "
        "Buy a new one to book it.",
        NO_CREDITS: "Insufficient credits: your package has no credits left. "
        "Buy a new one to book.",
        WEEKLY_LIMIT: f"Insufficient credits: your membership allows {max(limits or [0])} "
        "classes a week and this week is full.",
    }
    return DomainError(
        BOOKING_INSUFFICIENT_CREDITS, messages[reason], reason=reason, purchase_available=True
    )


def check_spot(session: ClassSession, spot: Spot | None) -> None:
    if spot is None:
        return
    if spot.room_id != session.room_id or not spot.active:
        raise DomainError(VALIDATION, "That spot is not available in this room.", field="spot")
    taken = Booking.objects.filter(
        session_id=session.pk, spot_id=spot.pk, status__in=Booking.HOLDING
    )
    if taken.exists():
        raise spot_taken()


def spot_taken() -> DomainError:
    return DomainError(BOOKING_SPOT_TAKEN, "That spot was just taken. Please pick another.")


def class_full(policy: StudioPolicy) -> DomainError:
    return DomainError(
        BOOKING_CLASS_FULL,
        "This class just filled up.",
        waitlist_available=policy.waitlist_mode != StudioPolicy.WaitlistMode.OFF,
    )


def check_place_free(session: ClassSession, policy: StudioPolicy) -> None:
    """The committed count as last read: the guarded update decides for real under the lock."""
    if session.is_full:  # places held for the waitlist count as taken
        raise class_full(policy)


def check_can_book(
    session: ClassSession,
    policy: StudioPolicy,
    client: Membership,
    *,
    now: dt.datetime,
    spot: Spot | None = None,
    promotion: bool = False,
    waive_requirements: bool = False,
    ignoring: Booking | None = None,
    read: Prechecked | None = None,
) -> PackageChoice:
    """Every booking rule, in order. A waitlist promotion skips the booking window (the
    client already queued for this class) and the free-place check (the promoter found one).
    The class type's prerequisites (onboarding.requirements) hold on every path unless staff
    waive them with a recorded reason (`waive_requirements`).
    `ignoring`: a booking the client would cancel first (a switch, quoted before it is
    made): its place is not counted and its credit is counted as back.
    `read`: the client's state and unmet requirements when already read
    (bookings.actions._prechecks)."""
    check_session_open(session, now=now)
    if not promotion:
        check_booking_window(session, policy, now=now)
    state = read.state if read else load_client_state(client, session, now=now)
    if ignoring is not None:
        _without(state, ignoring)
    check_not_suspended(session, state.suspended_until, now=now)
    check_already_booked(session, state.holding)
    check_no_overlap(session, state.holding)
    check_upcoming_limit(policy, state.holding, now=now)
    if not waive_requirements:
        check_requirements(client, session.class_type_id, read.unmet if read else None)
    choice = choose_package(session, state.packages, now=now)
    if not promotion:
        check_spot(session, spot)
        check_place_free(session, policy)
    return choice
