"""The owner dashboard's metrics, each computed by the database in one grouped query.

Definitions (docs/architecture.md repeats them):

- **Bookings**: bookings for classes starting in the period that hold a place
  (confirmed, attended, no-show), i.e. that were not cancelled.
- **Revenue**: money taken in the period (paid payments, less what was refunded on them),
  per currency. Every payment carries the studio it was taken at, so each studio has its
  own revenue; "all studios" of an owner also counts payments from before studios were
  recorded on payments.
- **Attendance rate**: attended / (attended + no-show) over bookings of classes in the period
  that have started. No such booking: no rate ("No data"), not 0%.
- **Utilisation**: places booked / capacity, summed over scheduled (not cancelled) classes in
  the period that have started: a class still to come is not "empty" yet.
- **Bookings over time** (the chart): the period's bookings (the "Bookings" definition, so
  the chart adds up to the card) per day, week or month of their class; a booking made now
  moves its class's point. Without a period (`booking_series(scope)`), bookings *made* per
  day of the last 30 days, week or month of the last 12.

Periods are local calendar days, and each studio counts its own: December of a London
studio is December in London, whether the studio is picked alone or shown among all studios
(PHX-13: a studio's figures must not depend on the filter). The all-studios total is the sum
of the studio rows, plus payments recorded without a studio (counted in the organization's
zone). Each grouped query carries one time range per distinct zone of the scope's studios
(`_in_period`) and reads local days with the row's studio's zone (`_local_day`), so the
number of queries does not grow with studios or zones. `Scope.time_zone` (the selected
studio's, or the organization's) still names "today" and the period presets.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import (
    CharField,
    Count,
    DateField,
    DateTimeField,
    F,
    Func,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.analytics.visits import counts_by_studio
from reformer.billing.models import Payment
from reformer.bookings.audit_codes import BOOKINGS_WAITLIST_PASSED_OVER
from reformer.bookings.models import Booking, WaitlistEntry
from reformer.core import alerts, permissions
from reformer.core.errors import NotFound
from reformer.core.models import AdminAlert, AuditEvent
from reformer.core.timezones import local_day_bounds, local_today, zone
from reformer.scheduling.models import ClassSession
from reformer.studios.models import Studio

if TYPE_CHECKING:
    from reformer.analytics.periods import Period

INTERVALS = {"day": "Daily", "week": "Weekly", "month": "Monthly"}


@dataclass(frozen=True)
class Scope:
    """Which studios a dashboard request covers, and in which time zone it reports."""

    actor: Membership
    studios: tuple[Studio, ...]  # in scope and matching the filter, by name
    selectable: tuple[Studio, ...]  # every studio the actor may pick
    studio: Studio | None  # the one selected, or None for all
    time_zone: str
    whole_organization: bool  # covers every studio of the organization
    reaches_every_studio: bool = True  # the actor may pick every studio of the organization

    @property
    def studio_ids(self) -> list[int]:
        return [s.pk for s in self.studios]

    @property
    def shows_revenue(self) -> bool:
        return True

    @property
    def zones(self) -> dict[str, list[int]]:
        """The scope's studios grouped by time zone (zone -> studio ids)."""
        groups: dict[str, list[int]] = {}
        for studio in self.studios:
            groups.setdefault(studio.time_zone, []).append(studio.pk)
        return groups

    @property
    def label(self) -> str:
        """What the scope covers, in a heading or an export: a studio's name, "All studios"
        (every studio of the organization) or "Your studios" (a manager's several)."""
        if self.studio is not None:
            return self.studio.name
        if len(self.studios) == 1:
            return self.studios[0].name
        return "All studios" if self.whole_organization else "Your studios"

    @property
    def all_label(self) -> str:
        """The studio filter's "every studio" choice."""
        return "All studios" if self.reaches_every_studio else "All your studios"


def metrics_scope(actor: Membership, *, studio_id: int | None = None) -> Scope:
    """Authorize the actor for metrics and resolve the studio filter.

    Another organization's studio (or an unknown id) is NotFound; a studio outside a
    manager's scope, or a role without metrics, is PermissionDenied.
    """
    permissions.require(actor, permissions.VIEW_METRICS)
    in_scope = permissions.studio_ids_in_scope(actor)
    organization_studios = list(
        Studio.objects.filter(organization_id=actor.organization_id).order_by("name", "pk")
    )
    selectable = tuple(s for s in organization_studios if s.pk in in_scope)
    selected = None
    if studio_id is not None:
        selected = next((s for s in organization_studios if s.pk == studio_id), None)
        if selected is None:
            raise NotFound("studio")
        permissions.require(actor, permissions.VIEW_METRICS, studio=selected)
    studios = (selected,) if selected else selectable
    return Scope(
        actor=actor,
        studios=studios,
        selectable=selectable,
        studio=selected,
        time_zone=selected.time_zone if selected else actor.organization.time_zone,
        whole_organization=selected is None and len(selectable) == len(organization_studios),
        reaches_every_studio=len(selectable) == len(organization_studios),
    )


@dataclass
class Metrics:
    bookings: int = 0
    attended: int = 0
    no_shows: int = 0
    booked_places: int = 0
    capacity: int = 0
    sessions: int = 0
    revenue: dict[str, Decimal] | None = None  # currency -> amount; None = not attributable

    @property
    def attendance_rate(self) -> float | None:
        counted = self.attended + self.no_shows
        return self.attended / counted if counted else None

    @property
    def utilisation(self) -> float | None:
        return self.booked_places / self.capacity if self.capacity else None

    def add(self, other: Metrics) -> None:
        self.bookings += other.bookings
        self.attended += other.attended
        self.no_shows += other.no_shows
        self.booked_places += other.booked_places
        self.capacity += other.capacity
        self.sessions += other.sessions


@dataclass
class Summary:
    total: Metrics
    by_studio: list[tuple[Studio, Metrics]] = field(default_factory=list)


def _bookings(scope: Scope):
    queryset = Booking.objects.filter(organization_id=scope.actor.organization_id)
    if not scope.whole_organization:
        queryset = queryset.filter(session__studio_id__in=scope.studio_ids)
    return queryset


def _sessions(scope: Scope):
    return ClassSession.objects.filter(
        organization_id=scope.actor.organization_id, studio_id__in=scope.studio_ids
    )


_NET = Sum(F("amount") - F("amount_refunded"))


def _in_period(scope: Scope, period: Period, moment: str, studio: str) -> Q:
    """Rows of the scope's studios whose `moment` falls in the period, each studio's period
    in its own zone: one range per distinct zone, so any number of studios costs one query."""
    condition = Q(pk__in=[])
    for tz_name, ids in scope.zones.items():
        start, end = period.utc_bounds(tz_name)
        condition |= Q(**{f"{studio}__in": ids, f"{moment}__gte": start, f"{moment}__lt": end})
    return condition


def _local_day(moment: str, studio_zone: str, default_zone: str, interval: str = "day"):
    """The local day (or first day of the week / month) of `moment` in the zone of the row's
    studio (`default_zone` where the row has none): PostgreSQL's timezone(zone, instant)."""
    local = Func(
        Coalesce(F(studio_zone), Value(default_zone), output_field=CharField()),
        F(moment),
        function="timezone",
        output_field=DateTimeField(),
    )
    if interval != "day":
        assert interval in INTERVALS  # a fixed word, written into the SQL
        local = Func(
            local,
            template=f"date_trunc('{interval}', %(expressions)s)",
            output_field=DateTimeField(),
        )
    return Cast(local, DateField())


# Past this, summary() counts bookings from the visits rollup rather than the bookings.
LONG_PERIOD = dt.timedelta(days=45)


def summary(scope: Scope, period: Period, *, now: dt.datetime | None = None) -> Summary:
    """The four metrics per studio and in total: three grouped queries whatever the data size
    (each studio's period in its own zone; see the module's docstring)."""
    now = now or timezone.now()
    booking_rows = (
        Booking.objects.filter(
            _in_period(scope, period, "starts_at", "session__studio_id"),
            # The booking's copy of its class time: the same range on the class lets the
            # join read only the period's classes (studio, starts_at index).
            _in_period(scope, period, "session__starts_at", "session__studio_id"),
            organization_id=scope.actor.organization_id,
        )
        .values("session__studio_id")
        .annotate(
            bookings=Count("id", filter=Q(status__in=Booking.HOLDING)),
            attended=Count("id", filter=Q(status=Booking.Status.ATTENDED, starts_at__lt=now)),
            no_shows=Count("id", filter=Q(status=Booking.Status.NO_SHOW, starts_at__lt=now)),
        )
        .order_by()
    )
    session_rows = (
        _sessions(scope)
        .filter(
            _in_period(scope, period, "starts_at", "studio_id"),
            status=ClassSession.Status.SCHEDULED,
        )
        .values("studio_id")
        .annotate(
            booked=Sum("booked_count", filter=Q(starts_at__lt=now)),
            capacity=Sum("capacity", filter=Q(starts_at__lt=now)),
            sessions=Count("id"),
        )
        .order_by()
    )
    per_studio = {studio.pk: Metrics(revenue={}) for studio in scope.studios}
    total = Metrics(revenue={})
    for row in _revenue_rows(scope, period):
        taken = per_studio[row["studio_id"]].revenue if row["studio_id"] else None
        for amounts in (taken, total.revenue):
            if amounts is not None:
                amounts[row["currency"]] = amounts.get(row["currency"], Decimal(0)) + row["total"]
    counts: dict[int, tuple[int, int, int]] = {}
    if dt.timedelta(days=period.days) > LONG_PERIOD:
        # Months of bookings: counted from the visits rollup instead (same figures), one
        # query per zone of the scope's studios.
        for tz_name, ids in scope.zones.items():
            start, end = period.utc_bounds(tz_name)
            organization_id = scope.actor.organization_id
            counts.update(counts_by_studio(organization_id, ids, start, end, now))
    else:
        counts = {
            row["session__studio_id"]: (row["bookings"], row["attended"], row["no_shows"])
            for row in booking_rows
        }
    for studio_id, (bookings, attended, no_shows) in counts.items():
        metrics = per_studio[studio_id]
        metrics.bookings, metrics.attended, metrics.no_shows = bookings, attended, no_shows
    for row in session_rows:
        metrics = per_studio[row["studio_id"]]
        metrics.booked_places = row["booked"] or 0
        metrics.capacity = row["capacity"] or 0
        metrics.sessions = row["sessions"]
    for metrics in per_studio.values():
        total.add(metrics)
    return Summary(total, [(studio, per_studio[studio.pk]) for studio in scope.studios])


def _revenue_payments(scope: Scope, period: Period):
    """Payments that brought money in during the period: the scope's studios', each in its
    own zone, and for the whole organization also those recorded without a studio (from
    before payments carried one), in the organization's zone."""
    condition = _in_period(scope, period, "created_at", "studio_id")
    if scope.whole_organization:
        start, end = period.utc_bounds(scope.actor.organization.time_zone)
        condition |= Q(studio_id__isnull=True, created_at__gte=start, created_at__lt=end)
    return Payment.objects.filter(
        condition,
        organization_id=scope.actor.organization_id,
        status__in=[Payment.Status.SUCCEEDED, Payment.Status.REFUNDED],
    )


def _revenue_rows(scope: Scope, period: Period):
    """Net revenue per studio (None: recorded without one) and currency."""
    return (
        _revenue_payments(scope, period)
        .values("studio_id", "currency")
        .annotate(total=_NET)
        .order_by("currency")
    )


@dataclass(frozen=True)
class Series:
    interval: str
    labels: list[str]
    days: list[dt.date]  # first local day of each bucket
    counts: list[int]

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def scale_cap(self) -> int | None:
        """Where the chart's axis stops when one bucket dwarfs the rest (OUTLIER_FACTOR times
        the busiest ordinary bucket, its 90th percentile), so a single busy day does not
        flatten every other day to the floor; None when the figures need no cap."""
        ordinary = sorted(count for count in self.counts if count)
        if len(ordinary) < 4:
            return None
        typical = ordinary[int(0.9 * (len(ordinary) - 1))]
        if typical == 0 or ordinary[-1] <= OUTLIER_FACTOR * typical:
            return None
        return max(typical * 2, typical + 1)

    @property
    def outliers(self) -> list[tuple[str, int]]:
        cap = self.scale_cap
        return (
            []
            if cap is None
            else [(lab, n) for lab, n in zip(self.labels, self.counts, strict=True) if n > cap]
        )


OUTLIER_FACTOR = 4


def _bucket_starts(interval: str, today: dt.date) -> list[dt.date]:
    if interval == "week":
        monday = today - dt.timedelta(days=today.weekday())
        return [monday - dt.timedelta(weeks=n) for n in range(11, -1, -1)]
    if interval == "month":
        starts, month = [], today.replace(day=1)
        for _ in range(12):
            starts.append(month)
            month = (month - dt.timedelta(days=1)).replace(day=1)
        return starts[::-1]
    return [today - dt.timedelta(days=n) for n in range(29, -1, -1)]


def _bucket_label(interval: str, day: dt.date) -> str:
    if interval == "month":
        return f"{day:%b %Y}"
    return f"{day:%b} {day.day}"


_TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


def _period_bucket_starts(interval: str, period: Period) -> list[dt.date]:
    if interval == "day":
        return [period.start + dt.timedelta(days=n) for n in range(period.days)]
    if interval == "week":
        first = period.start - dt.timedelta(days=period.start.weekday())
        return [first + dt.timedelta(weeks=n) for n in range((period.end - first).days // 7 + 1)]
    starts, month = [], period.start.replace(day=1)
    while month <= period.end:
        starts.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return starts


def period_series(scope: Scope, period: Period, interval: str = "day") -> Series:
    """The period's bookings (as counted by `summary`) per day, week or month of their class:
    the chart that adds up to the "Total bookings" card. One grouped query."""
    if interval not in INTERVALS:
        interval = "day"
    if interval == "day" and period.days > 92:
        interval = "week"  # a year of days is unreadable; weeks say the same
    local_bucket = _local_day(
        "starts_at", "session__studio__time_zone", scope.actor.organization.time_zone, interval
    )
    rows = (
        Booking.objects.filter(
            _in_period(scope, period, "starts_at", "session__studio_id"),
            organization_id=scope.actor.organization_id,
            status__in=Booking.HOLDING,
        )
        .annotate(bucket=local_bucket)
        .values("bucket")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {row["bucket"]: row["n"] for row in rows}
    starts = _period_bucket_starts(interval, period)
    return Series(
        interval=interval,
        labels=[_bucket_label(interval, day) for day in starts],
        days=starts,
        counts=[counts.get(day, 0) for day in starts],
    )


def previous_period(period: Period) -> Period:
    """What a period is compared with: the calendar month before a month, else as many days
    just before it."""
    from reformer.analytics.periods import Period

    if period.preset in ("this_month", "last_month"):
        end = period.start - dt.timedelta(days=1)
        return Period("custom", end.replace(day=1), end)
    end = period.start - dt.timedelta(days=1)
    return Period("custom", end - dt.timedelta(days=period.days - 1), end)


def compared_periods(period: Period, today: dt.date) -> tuple[Period, Period]:
    """The part of a period that is compared, and what it is compared with.

    A finished period is compared whole. One still running (this month on the 6th) is
    compared to date, with as many days from the start of the one before (December 1-6 with
    November 1-6): its revenue so far against a whole month would read as a fall every
    month until the last day."""
    from reformer.analytics.periods import Period

    if not period.start <= today < period.end:
        return period, previous_period(period)
    so_far = Period("custom", period.start, today)
    before = previous_period(period)
    end = min(before.start + dt.timedelta(days=so_far.days - 1), before.end)
    return so_far, Period("custom", before.start, end)


def booking_series(
    scope: Scope, interval: str = "day", *, now: dt.datetime | None = None
) -> Series:
    """Bookings made per local day (last 30 days), week (last 12) or month (last 12)."""
    if interval not in INTERVALS:
        interval = "day"
    today = local_today(scope.time_zone, now)
    starts = _bucket_starts(interval, today)
    start = local_day_bounds(starts[0], scope.time_zone)[0]
    tz = zone(scope.time_zone)
    rows = (
        _bookings(scope)
        .filter(created_at__gte=start, status__in=Booking.HOLDING)
        .annotate(bucket=_TRUNC[interval]("created_at", tzinfo=tz))
        .values("bucket")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {row["bucket"].date(): row["n"] for row in rows}
    return Series(
        interval=interval,
        labels=[_bucket_label(interval, day) for day in starts],
        days=starts,
        counts=[counts.get(day, 0) for day in starts],
    )


@dataclass
class DayRow:
    day: dt.date
    metrics: Metrics


def daily_rows(scope: Scope, period: Period, *, now: dt.datetime | None = None) -> list[DayRow]:
    """The metrics of each local day of the period (for the CSV export): each studio's rows
    on its own local day, so the days add up to `summary`'s total."""
    now = now or timezone.now()
    org_zone = scope.actor.organization.time_zone
    days = {
        period.start + dt.timedelta(days=n): Metrics(revenue={} if scope.shows_revenue else None)
        for n in range(period.days)
    }
    booking_rows = (
        _bookings(scope)
        .filter(_in_period(scope, period, "starts_at", "session__studio_id"))
        .annotate(day=_local_day("starts_at", "session__studio__time_zone", org_zone))
        .values("day")
        .annotate(
            bookings=Count("id", filter=Q(status__in=Booking.HOLDING)),
            attended=Count("id", filter=Q(status=Booking.Status.ATTENDED, starts_at__lt=now)),
            no_shows=Count("id", filter=Q(status=Booking.Status.NO_SHOW, starts_at__lt=now)),
        )
        .order_by()
    )
    for row in booking_rows:
        metrics = days[row["day"]]
        metrics.bookings, metrics.attended = row["bookings"], row["attended"]
        metrics.no_shows = row["no_shows"]
    session_rows = (
        _sessions(scope)
        .filter(
            _in_period(scope, period, "starts_at", "studio_id"),
            status=ClassSession.Status.SCHEDULED,
        )
        .annotate(day=_local_day("starts_at", "studio__time_zone", org_zone))
        .values("day")
        .annotate(
            booked=Sum("booked_count", filter=Q(starts_at__lt=now)),
            capacity=Sum("capacity", filter=Q(starts_at__lt=now)),
            sessions=Count("id"),
        )
        .order_by()
    )
    for row in session_rows:
        metrics = days[row["day"]]
        metrics.booked_places, metrics.capacity = row["booked"] or 0, row["capacity"] or 0
        metrics.sessions = row["sessions"]
    if scope.shows_revenue:
        payment_rows = (
            _revenue_payments(scope, period)
            .annotate(day=_local_day("created_at", "studio__time_zone", org_zone))
            .values("day", "currency")
            .annotate(total=_NET)
            .order_by("currency")
        )
        for row in payment_rows:
            revenue = days[row["day"]].revenue
            assert revenue is not None  # shows_revenue gave every day a dict
            revenue[row["currency"]] = revenue.get(row["currency"], Decimal(0)) + row["total"]
    return [DayRow(day, metrics) for day, metrics in days.items()]


def has_any_activity(scope: Scope) -> bool:
    """False for a studio that has just opened: no class scheduled and nothing booked ever."""
    return _sessions(scope).exists() or _bookings(scope).exists()


def upcoming_sessions(scope: Scope, *, now: dt.datetime | None = None, days: int = 7):
    """Classes of the next `days` days across the scope's studios, soonest first."""
    now = now or timezone.now()
    return (
        _sessions(scope)
        .filter(starts_at__gte=now, starts_at__lt=now + dt.timedelta(days=days))
        .select_related("studio", "room", "class_type", "instructor__user")
        .order_by("starts_at", "pk")
    )


@dataclass(frozen=True)
class PromotionMetrics:
    """Waitlist promotion in a period (PHX-16): places filled from waitlists, clients passed
    over (they could not book, or their credit could not be taken), and failed promotion
    runs (each retried, and each raised a staff alert)."""

    promoted: int
    passed_over: int
    failed: int


def promotion_metrics(scope: Scope, since: dt.datetime, until: dt.datetime) -> PromotionMetrics:
    """For the classes of the studios in scope (of the actor's organization), three counts."""
    organization_id, studio_ids = scope.actor.organization_id, scope.studio_ids
    entries = WaitlistEntry.objects.filter(
        organization_id=organization_id, session__studio_id__in=studio_ids
    )
    promoted = entries.filter(
        status=WaitlistEntry.Status.PROMOTED, left_at__gte=since, left_at__lt=until
    ).count()
    passed_over = AuditEvent.objects.filter(
        organization_id=organization_id,
        code=BOOKINGS_WAITLIST_PASSED_OVER,
        subject_type="bookings.waitlistentry",
        subject_id__in=entries.values("pk"),
        at__gte=since,
        at__lt=until,
    ).count()
    failed = (
        AdminAlert.objects.filter(
            organization_id=organization_id,
            code=alerts.PROMOTION_FAILED,
            studio_id__in=studio_ids,
            created_at__gte=since,
            created_at__lt=until,
        )
        .exclude(data__contains={"passed_over": True})
        .count()
    )
    return PromotionMetrics(promoted, passed_over, failed)
