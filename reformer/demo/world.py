"""The demo being built: saved places and people, plus the plans kept in memory until the
bulk inserts (sessions, packages, bookings), so that nothing is queried row by row."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field

from reformer.accounts.models import Membership, User
from reformer.billing.models import (
    ClientPackage,
    CreditLedger,
    PackageProduct,
    Payment,
    Subscription,
)
from reformer.bookings.models import Booking, WaitlistEntry
from reformer.core.timezones import local_to_utc, to_local
from reformer.demo.content import PAST_DAYS, StaffSpec, StudioSpec
from reformer.scheduling.models import ClassSession, ClassType
from reformer.studios.models import Organization, Room, Spot, Studio

Interval = tuple[dt.datetime, dt.datetime]


class Calendar:
    """Busy intervals of one person, indexed by UTC start date (classes last under a day)."""

    def __init__(self) -> None:
        self.days: dict[dt.date, list[Interval]] = {}

    def is_free(self, start: dt.datetime, end: dt.datetime) -> bool:
        return not any(
            start < other_end and other_start < end
            for offset in (-1, 0, 1)
            for other_start, other_end in self.days.get(start.date() + dt.timedelta(offset), ())
        )

    def hold(self, start: dt.datetime, end: dt.datetime) -> None:
        self.days.setdefault(start.date(), []).append((start, end))


def add_local_days(moment: dt.datetime, days: int, tz_name: str) -> dt.datetime:
    """The same wall-clock time `days` later in the zone (validity periods, renewals)."""
    local = to_local(moment, tz_name)
    return local_to_utc(local.date() + dt.timedelta(days=days), local.time(), tz_name)


@dataclass
class SessionPlan:
    obj: ClassSession
    spec: StudioSpec
    room_key: str
    local_date: dt.date
    week: int  # Monday-based week index within the region's window
    popularity: float
    is_past: bool
    free_spots: list[Spot]
    holding: int = 0
    clients: set[int] = field(default_factory=set)  # client indexes holding a place
    waiting: list[WaitlistEntry] = field(default_factory=list)
    force_full: bool = False

    @property
    def starts_at(self) -> dt.datetime:
        return self.obj.starts_at

    @property
    def ends_at(self) -> dt.datetime:
        return self.obj.ends_at

    @property
    def is_full(self) -> bool:
        return self.holding >= self.obj.capacity


@dataclass
class ClientPlan:
    index: int
    user: User
    membership: Membership
    region: str
    time_zone: str
    studio_weights: dict[str, float]
    persona: str  # a product key (see content.PRODUCTS), or "demo"
    weekly: float
    prefers: str  # morning, midday or evening
    joined_at: dt.datetime
    churn_at: dt.datetime | None
    periods: list[ClientPackage] = field(default_factory=list)  # subscription packages
    pack: ClientPackage | None = None  # the credit pack in use
    busy: Calendar = field(default_factory=Calendar)
    week_counts: Counter = field(default_factory=Counter)
    no_shows: list[dt.datetime] = field(default_factory=list)
    strikes: int = 0

    def active_at(self, moment: dt.datetime) -> bool:
        return self.joined_at < moment and (self.churn_at is None or moment < self.churn_at)


@dataclass
class World:
    now: dt.datetime
    rng: random.Random
    organization: Organization
    studios: dict[str, Studio] = field(default_factory=dict)
    specs: dict[str, StudioSpec] = field(default_factory=dict)
    today: dict[str, dt.date] = field(default_factory=dict)  # studio key -> local today
    rooms: dict[str, Room] = field(default_factory=dict)
    spots: dict[str, list[Spot]] = field(default_factory=dict)
    class_types: dict[str, ClassType] = field(default_factory=dict)
    popularity: dict[str, float] = field(default_factory=dict)
    products: dict[str, PackageProduct] = field(default_factory=dict)
    staff: dict[str, Membership] = field(default_factory=dict)  # email local part -> member
    instructors: list[tuple[Membership, StaffSpec]] = field(default_factory=list)
    clients: list[ClientPlan] = field(default_factory=list)
    sessions: list[SessionPlan] = field(default_factory=list)
    # Rows planned for the bulk inserts, each with the time its auto_now_add field must get.
    packages: list[ClientPackage] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    subscriptions: list[tuple[Subscription, dt.datetime]] = field(default_factory=list)
    bookings: list[tuple[Booking, dt.datetime]] = field(default_factory=list)
    ledger: list[tuple[CreditLedger, dt.datetime]] = field(default_factory=list)
    references: set[str] = field(default_factory=set)
    demo_waitlist: list[SessionPlan] = field(default_factory=list)
    promotions: list[WaitlistEntry] = field(default_factory=list)  # past, promoted entries

    @property
    def demo_instructor(self) -> Membership:
        return self.staff["instructor"]

    def first_day(self, studio_key: str) -> dt.date:
        return self.today[studio_key] - dt.timedelta(days=PAST_DAYS)
