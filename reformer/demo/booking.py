"""The mechanics shared by every demo booking: buying packages, paying for a class with the
right package, and recording the booking with its credit ledger rows.

The rules mirror the real actions: a booking that spends a credit writes a -1 ledger row, a
cancellation in time returns it (+1), a late cancellation keeps it; unlimited packages carry
no credits and no ledger; places are held only by confirmed, attended and no-show bookings.
"""

from __future__ import annotations

import datetime as dt

from reformer.accounts.models import User
from reformer.billing.models import (
    ClientPackage,
    CreditLedger,
    PackageProduct,
    Payment,
    Subscription,
)
from reformer.bookings.models import REFERENCE_ALPHABET, Booking, WaitlistEntry
from reformer.core.timezones import local_to_utc
from reformer.demo.world import ClientPlan, SessionPlan, World, add_local_days

Status = Booking.Status
CANCELLATION_WINDOW = dt.timedelta(hours=12)  # the StudioPolicy default
BOOKING_WINDOW = dt.timedelta(days=14)  # the StudioPolicy default: later ones were staff's
# Upcoming classes' bookings not naturally made yet are spread over this much of the past.
SPREAD_UPCOMING = dt.timedelta(days=21)
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
GRACE = dt.timedelta(minutes=10)  # the StudioPolicy no-show grace default
SUBSCRIPTIONS = ("unlimited", "membership_8")


def buy_package(
    world: World, client: ClientPlan, product: PackageProduct, starts: dt.datetime, source: str
) -> ClientPackage:
    package = ClientPackage(
        organization=world.organization,
        client=client.membership,
        product=product,
        credits_total=product.credits,
        credits_remaining=product.credits,
        weekly_limit=product.weekly_limit,
        starts_at=starts,
        expires_at=add_local_days(starts, product.validity_days, client.time_zone),
        source=source,
    )
    world.packages.append(package)
    world.payments.append(
        Payment(
            organization=world.organization,
            client=client.membership,
            product=product,
            client_package=package,
            amount=product.price,
            currency=product.currency,
            provider_id=f"pi_demo_{len(world.payments) + 1:06d}",
            status=Payment.Status.SUCCEEDED,
            kind=Payment.Kind.MEMBERSHIP
            if source == ClientPackage.Source.SUBSCRIPTION
            else Payment.Kind.PACKAGE,
            # Revenue per studio: the studio the client goes to most.
            studio=world.studios[
                max(client.studio_weights, key=lambda k: client.studio_weights[k])
            ],
            created_at=starts,
            paid_at=starts,
        )
    )
    return package


def plan_subscription(world: World, client: ClientPlan) -> None:
    """Monthly packages from joining (or before the window) until now or the client left."""
    rng = world.rng
    product = world.products[client.persona]
    window_start = local_to_utc(world.first_day(_home(client)), dt.time(0, 0), client.time_zone)
    if client.joined_at > window_start:
        start = client.joined_at + dt.timedelta(minutes=rng.randint(5, 90))
    else:
        day = world.first_day(_home(client)) - dt.timedelta(days=rng.randint(0, 29))
        at = dt.time(rng.randint(7, 21), rng.randint(0, 59))
        start = local_to_utc(day, at, client.time_zone)
    until = min(world.now, client.churn_at or world.now)
    while start <= until:
        package = buy_package(world, client, product, start, ClientPackage.Source.SUBSCRIPTION)
        client.periods.append(package)
        start = package.expires_at
    if not client.periods:
        return
    subscription = Subscription(
        organization=world.organization,
        client=client.membership,
        product=product,
        amount=product.price,
        currency=product.currency,
        provider_id=f"sub_demo_{client.index:04d}",
        status=Subscription.Status.CANCELLED if client.churn_at else Subscription.Status.ACTIVE,
        current_period_end=client.periods[-1].expires_at,
    )
    world.subscriptions.append((subscription, client.periods[0].starts_at))


def book(
    world: World, client: ClientPlan, session: SessionPlan, status: str | None = None
) -> Booking | None:
    """Books the client with the package the rules would use (buying a pack if they need
    one); returns None when they have nothing to pay with."""
    made_at = booking_time(world, client, session)
    paid = _pay(world, client, session, made_at)
    if paid is None:
        return None
    package, made_at = paid
    if status is None:
        status = _draw_status(world, session)
    return record(world, client, session, package, made_at, status)


def booking_time(world: World, client: ClientPlan, session: SessionPlan) -> dt.datetime:
    rng = world.rng
    draw = rng.random()
    if draw < 0.35:
        lead = rng.uniform(1, 24)
    elif draw < 0.8:
        lead = rng.uniform(24, 96)
    else:
        lead = rng.uniform(96, 240)
    made_at = session.starts_at - dt.timedelta(hours=lead)
    made_at = max(made_at, client.joined_at + 30 * MINUTE)
    latest = world.now - 5 * MINUTE
    if not session.is_past and made_at > latest:
        # Its natural time is still ahead, yet the class is to look booked: made at some
        # moment of the weeks before now, not all in the last hours, which also bought
        # their packs there (a fake revenue spike on the latest day of the owner's chart).
        # Within the online booking window where it is open already; a class further
        # ahead was booked by the staff (`record` marks it) at any moment of the spread.
        earliest = max(client.joined_at + 30 * MINUTE, world.now - SPREAD_UPCOMING)
        in_window = max(earliest, session.starts_at - BOOKING_WINDOW)
        if in_window < latest - HOUR:
            earliest = in_window
        made_at = earliest + (latest - earliest) * rng.random() if earliest < latest else latest
    return made_at


def _pay(
    world: World, client: ClientPlan, session: SessionPlan, made_at: dt.datetime
) -> tuple[ClientPackage, dt.datetime] | None:
    starts = session.starts_at
    if client.persona in SUBSCRIPTIONS:
        period = next((p for p in client.periods if p.starts_at <= starts < p.expires_at), None)
        if period is None:
            return None
        if period.credits_remaining is not None and period.credits_remaining < 1:
            return None
        if period.weekly_limit and client.week_counts[session.week] >= period.weekly_limit:
            return None
        return period, max(made_at, period.starts_at + MINUTE)
    pack = client.pack
    if pack and (pack.credits_remaining or 0) >= 1 and pack.expires_at > starts:
        return pack, max(made_at, pack.starts_at + MINUTE)
    if not client.active_at(made_at):
        return None
    bought = made_at - world.rng.randint(2, 30) * MINUTE
    client.pack = buy_package(
        world, client, world.products[client.persona], bought, ClientPackage.Source.PURCHASE
    )
    return client.pack, made_at


def _draw_status(world: World, session: SessionPlan) -> str:
    draw = world.rng.random()
    if not session.is_past:
        return Status.CANCELLED if draw < 0.04 else Status.CONFIRMED
    if draw < 0.05:
        return Status.NO_SHOW
    if draw < 0.115:
        return Status.CANCELLED
    if draw < 0.15:
        return Status.LATE_CANCELLED
    return Status.ATTENDED


def record(
    world: World,
    client: ClientPlan,
    session: SessionPlan,
    package: ClientPackage,
    made_at: dt.datetime,
    status: str,
) -> Booking:
    rng = world.rng
    starts, ends = session.starts_at, session.ends_at
    made_at = min(made_at, world.now)
    booking = Booking(
        organization=world.organization,
        session=session.obj,
        client=client.membership,
        client_package=package,
        starts_at=starts,
        ends_at=ends,
        reference=_reference(world),
    )
    draw = rng.random()
    if starts - made_at > BOOKING_WINDOW or draw < 0.08:
        booking.source = Booking.Source.STAFF
    elif draw < 0.11 and session.is_past:
        booking.source = Booking.Source.WAITLIST

    if status in (Status.CANCELLED, Status.LATE_CANCELLED):
        status, booking.cancelled_at = _cancellation(world, session, made_at, status)
        if booking.cancelled_at:
            booking.cancel_reason = rng.choice(("", "", "Work came up", "Feeling unwell", "Travel"))
    if status == Status.NO_SHOW and starts > world.now - GRACE:
        status = Status.ATTENDED  # too early to call it a no-show
    if status == Status.ATTENDED:
        if rng.random() < 0.07 and starts + GRACE < world.now:
            booking.is_late = True
            booking.checked_in_at = starts + rng.randint(1, 9) * MINUTE
        else:
            booking.checked_in_at = max(starts - rng.randint(3, 25) * MINUTE, made_at + MINUTE)
    elif status == Status.NO_SHOW:
        client.no_shows.append(starts)
    booking.status = status

    if status in Booking.HOLDING:
        booking.spot = session.free_spots.pop()
        session.holding += 1
        session.clients.add(client.index)
        client.busy.hold(starts, ends)
        client.week_counts[session.week] += 1
    world.bookings.append((booking, made_at))
    if booking.source == Booking.Source.WAITLIST:
        world.promotions.append(
            WaitlistEntry(
                organization=world.organization,
                session=session.obj,
                client=client.membership,
                joined_at=made_at - rng.randint(30, 2880) * MINUTE,
                status=WaitlistEntry.Status.PROMOTED,
                booking=booking,
                left_at=made_at,
            )
        )

    if package.credits_remaining is not None:  # a package with credits to count
        actor = client.user if booking.source != Booking.Source.STAFF else _desk(world)
        reason = (
            CreditLedger.Reason.WAITLIST_PROMOTION
            if booking.source == Booking.Source.WAITLIST
            else CreditLedger.Reason.BOOKING
        )
        package.credits_remaining -= 1
        _ledger(world, package, booking, -1, reason, actor, made_at)
        if status == Status.CANCELLED:
            assert booking.cancelled_at is not None  # set with the status
            package.credits_remaining += 1
            booking.credit_returned = True
            _ledger(
                world,
                package,
                booking,
                1,
                CreditLedger.Reason.CANCELLATION_REFUND,
                actor,
                booking.cancelled_at,
            )
    return booking


def _cancellation(
    world: World, session: SessionPlan, made_at: dt.datetime, status: str
) -> tuple[str, dt.datetime | None]:
    """When the client cancelled: in time (credit returned) if the booking was made early
    enough, else late; a booking made moments ago for an upcoming class stays confirmed."""
    rng = world.rng
    starts = session.starts_at
    edge = starts - CANCELLATION_WINDOW
    latest = min(world.now, starts - 5 * MINUTE)
    in_time_until = min(edge, latest)
    if status == Status.CANCELLED and made_at < in_time_until - 20 * MINUTE:
        return status, made_at + (in_time_until - made_at) * rng.uniform(0.2, 0.95)
    earliest = max(made_at, edge)
    if earliest < latest - 2 * MINUTE:
        return Status.LATE_CANCELLED, earliest + (latest - earliest) * rng.uniform(0.1, 0.9)
    return (Status.ATTENDED if session.is_past else Status.CONFIRMED), None


def _ledger(
    world: World,
    package: ClientPackage,
    booking: Booking,
    delta: int,
    reason: str,
    actor: User,
    at: dt.datetime,
) -> None:
    row = CreditLedger(
        organization=world.organization,
        client_package=package,
        booking=booking,
        delta=delta,
        reason=reason,
        actor=actor,
    )
    world.ledger.append((row, at))


def _reference(world: World) -> str:
    while True:
        reference = "".join(world.rng.choices(REFERENCE_ALPHABET, k=8))
        if reference not in world.references:
            world.references.add(reference)
            return reference


def _desk(world: World) -> User:
    return world.staff["frontdesk"].user


def _home(client: ClientPlan) -> str:
    return max(client.studio_weights, key=lambda studio: client.studio_weights[studio])
