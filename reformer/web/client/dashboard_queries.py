"""Reads behind the client's dashboard: their own bookings, packages and waitlist places only.

Each section is one query (packages prefetch their ledger in a second), so the dashboard costs
the same number of queries whatever the client's history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

from django.db.models import Prefetch, Q
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.billing.models import ClientPackage, CreditLedger, PackageProduct
from reformer.bookings.models import Booking, WaitlistEntry
from reformer.bookings.rules import WaitlistPosition
from reformer.core.errors import NotFound
from reformer.core.parsing import to_key
from reformer.payments.models import StripeAccount

# PHX-11: upcoming bookings are limited to the next 90 days; history to the latest 20.
UPCOMING_DAYS = 90
PAST_LIMIT = 20
# Expired packages stay visible (marked expired) this long after they end.
EXPIRED_VISIBLE_DAYS = 90

_BOOKING_RELATED = (
    "session__class_type",
    "session__instructor__user",
    "session__studio__policy",
    "session__room",
    "spot",
    "client_package__product",
)


def _bookings(actor: Membership):
    return Booking.objects.filter(
        client=actor, organization_id=actor.organization_id
    ).select_related(*_BOOKING_RELATED)


def upcoming_bookings(actor: Membership) -> list[Booking]:
    now = timezone.now()
    return list(
        _bookings(actor)
        .filter(
            status=Booking.Status.CONFIRMED,
            starts_at__gte=now - dt.timedelta(hours=1),
            starts_at__lt=now + dt.timedelta(days=UPCOMING_DAYS),
        )
        .exclude(session__status="cancelled", ends_at__lt=now)
        .order_by("starts_at", "id")
    )


def past_bookings(actor: Membership) -> list[Booking]:
    """Classes that happened, and cancelled bookings (which move here at once)."""
    now = timezone.now()
    return list(
        _bookings(actor)
        .filter(
            Q(starts_at__lt=now - dt.timedelta(hours=1))
            | Q(status__in=[Booking.Status.CANCELLED, Booking.Status.LATE_CANCELLED])
        )
        .order_by("-starts_at", "-id")[:PAST_LIMIT]
    )


@dataclass
class PackageView:
    package: ClientPackage
    expired: bool
    used_up: bool

    @property
    def usable(self) -> bool:
        return not self.expired and not self.used_up

    @property
    def percent_remaining(self) -> int:
        package = self.package
        if package.credits_remaining is None or not package.credits_total:  # None: unlimited
            return 100
        return round(100 * package.credits_remaining / package.credits_total)


@dataclass
class PackagesSection:
    packages: list[PackageView]
    products: list[PackageProduct]
    organization_id: int | None = None

    @cached_property
    def online(self) -> bool:
        """Packages can be bought online (Stripe connected). Read only when a banner offers
        products, so the usual dashboard costs no query for it."""
        return self.organization_id is not None and sells_online_in(self.organization_id)

    @property
    def has_usable(self) -> bool:
        return any(view.usable for view in self.packages)

    # The banner follows the packages that matter now: nothing to say while one is usable;
    # a current (unexpired) package that is used up is "used all your credits", even when an
    # older package has also expired; only when every package ran out of time is it "expired".

    @property
    def used_up_only(self) -> bool:
        """The banner case: nothing usable, and a current package has no credits left."""
        return not self.has_usable and any(
            view.used_up and not view.expired for view in self.packages
        )

    @property
    def expired_only(self) -> bool:
        """The banner case: nothing usable, and every package ran out of time."""
        return bool(self.packages) and all(view.expired for view in self.packages)


def _current_first(view: PackageView) -> tuple[int, float]:
    """Usable packages first (the one that pays next on top), then current ones used up
    (soonest to expire first), then expired ones, the newest first."""
    expires = view.package.expires_at.timestamp()
    if view.usable:
        return (0, expires)
    if not view.expired:
        return (1, expires)
    return (2, -expires)


def packages_section(actor: Membership) -> PackagesSection:
    now = timezone.now()
    ledger = CreditLedger.objects.select_related("booking__session__class_type").order_by(
        "-at", "-id"
    )
    packages = list(
        ClientPackage.objects.filter(
            client=actor,
            organization_id=actor.organization_id,
            status=ClientPackage.Status.ACTIVE,
            expires_at__gte=now - dt.timedelta(days=EXPIRED_VISIBLE_DAYS),
        )
        .select_related("product")
        .prefetch_related(Prefetch("ledger", queryset=ledger))
        .order_by("expires_at", "id")
    )
    views = [
        PackageView(
            package=package,
            expired=package.expires_at <= now,
            used_up=package.credits_remaining is not None and package.credits_remaining <= 0,
        )
        for package in packages
    ]
    views.sort(key=_current_first)
    return PackagesSection(
        packages=views, products=products(actor), organization_id=actor.organization_id
    )


def waitlist_entries(actor: Membership) -> list[WaitlistEntry]:
    """The actor's waiting places in upcoming classes, each with `position` (1 = next)."""
    return list(
        WaitlistEntry.objects.filter(
            client=actor,
            organization_id=actor.organization_id,
            status=WaitlistEntry.Status.WAITING,
            session__starts_at__gte=timezone.now(),
        )
        .select_related(
            "session__class_type", "session__instructor__user", "session__studio", "session__room"
        )
        .annotate(position=WaitlistPosition())
        .order_by("session__starts_at", "id")
    )


def own_booking(actor: Membership, reference: str) -> Booking:
    """The actor's booking with this reference; anyone else's is not found."""
    key = to_key(reference.upper(), max_length=12)
    booking = _bookings(actor).filter(reference=key).first() if key else None
    if booking is None:
        raise NotFound("booking")
    return booking


def own_waitlist_entry(actor: Membership, entry_id: int) -> WaitlistEntry:
    entry = (
        WaitlistEntry.objects.filter(
            pk=entry_id, client=actor, organization_id=actor.organization_id
        )
        .select_related("session__studio", "session__class_type")
        .first()
    )
    if entry is None:
        raise NotFound("waitlist place")
    return entry


def sells_online(actor: Membership) -> bool:
    """Can the client buy a package online? Only with Stripe connected; else the front desk
    is the one way, and the page must not promise more."""
    return sells_online_in(actor.organization_id)


def sells_online_in(organization_id: int) -> bool:
    return StripeAccount.objects.filter(organization_id=organization_id).exists()


def products(actor: Membership) -> list[PackageProduct]:
    """What the studio sells, cheapest first (shown when credits run out or expire)."""
    return list(PackageProduct.objects.filter(organization_id=actor.organization_id, active=True))


@dataclass
class Dashboard:
    upcoming: list[Booking]
    past: list[Booking]
    packages: PackagesSection
    waitlist: list[WaitlistEntry]

    @property
    def waitlist_studio_ids(self) -> list[int]:
        """Studios to follow live: a waitlist position moves when others leave or get in."""
        return sorted({entry.session.studio_id for entry in self.waitlist})


SECTIONS = ("alerts", "upcoming", "waitlist", "past", "packages")


def dashboard(actor: Membership, *, sections: tuple[str, ...] = SECTIONS) -> Dashboard:
    """The dashboard's data; a live update asks only for the sections it re-renders."""
    wants_packages = "packages" in sections or "alerts" in sections
    return Dashboard(
        upcoming=upcoming_bookings(actor) if "upcoming" in sections else [],
        past=past_bookings(actor) if "past" in sections else [],
        packages=packages_section(actor) if wants_packages else PackagesSection([], []),
        waitlist=waitlist_entries(actor) if "waitlist" in sections else [],
    )
