"""Reads behind the client's browse page: a fixed number of queries whatever the row count.

Everything is scoped to `actor.organization_id`; a session of another organization is simply
not found (ARCHITECTURE §4).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from django.db.models import (
    CharField,
    DateField,
    DateTimeField,
    F,
    Func,
    IntegerField,
    JSONField,
    OuterRef,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, JSONObject
from django.urls import reverse
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.bookings.models import Booking, WaitlistEntry
from reformer.bookings.rules import WaitlistPosition, booking_opens_at
from reformer.core import timeformat
from reformer.core.errors import NotFound
from reformer.core.timezones import local_day_bounds, local_today, to_local
from reformer.scheduling.models import ClassSession, ClassType
from reformer.studios.models import Spot, Studio, StudioPolicy
from reformer.web.client.forms import HORIZON_DAYS, TIME_OF_DAY_HOURS, BrowseFilters

# Most classes one page shows; "Show more" fetches the next window.
PAGE_SIZE = 200
# A local calendar day lies within this much of the same UTC day in every zone on Earth: the
# UTC bounds keep the starts_at index usable, the local-date test then decides exactly.
_ZONE_SLACK = dt.timedelta(hours=15)


class LocalDate(Func):
    """The session's calendar date in its studio's time zone."""

    template = "(timezone(%(expressions)s))::date"
    output_field = DateField()


class LocalTimestamp(Func):
    """The session's wall-clock start in its studio's zone (sorts 07:00 London with 07:00 NY)."""

    template = "timezone(%(expressions)s)"
    output_field = DateTimeField()


class LocalHour(Func):
    template = "EXTRACT(HOUR FROM timezone(%(expressions)s))::int"
    output_field = IntegerField()


@dataclass
class FilterOptions:
    studios: list[Studio]
    instructors: list[Membership]
    class_types: list[ClassType]


_PK = 987654321


@lru_cache(maxsize=16)
def _url_format(name: str) -> str:
    """A URL pattern with "{}" for the id: one reverse() per process, not one per card."""
    return reverse(name, args=[_PK]).replace(str(_PK), "{}")


@dataclass(frozen=True)
class Overlap:
    """The viewer's own booking that overlaps a class (they can't hold both)."""

    reference: str
    starts_at: dt.datetime
    class_name: str
    time_zone: str
    switchable: bool  # cancelling it now is free: the card offers to switch

    @property
    def text(self) -> str:
        start = timeformat.when(to_local(self.starts_at, self.time_zone), "time")
        return f"Overlaps your {start} {self.class_name}"

    @property
    def booking_url(self) -> str:
        return reverse("client:booking_detail", args=[self.reference])

    @classmethod
    def from_row(cls, row: dict | None) -> Overlap | None:
        """From the `my_overlap` annotation (JSON: the booking and its free-cancel deadline)."""
        if not row:
            return None
        starts_at = dt.datetime.fromisoformat(row["starts_at"])
        deadline = starts_at - dt.timedelta(hours=row["window"])
        return cls(
            reference=row["reference"],
            starts_at=starts_at,
            class_name=row["name"],
            time_zone=row["tz"],
            switchable=row["status"] == Booking.Status.CONFIRMED and timezone.now() < deadline,
        )


# A studio without a saved policy follows the defaults (bookings.context.policy_of).
_DEFAULT_CANCELLATION_HOURS = StudioPolicy._meta.get_field("cancellation_window_hours").default


def _overlap(actor: Membership) -> Subquery:
    """The viewer's first held place in another class at the same time, as JSON."""
    mine = (
        Booking.objects.filter(
            client_id=actor.pk,
            status__in=Booking.HOLDING,
            starts_at__lt=OuterRef("ends_at"),
            ends_at__gt=OuterRef("starts_at"),
        )
        .exclude(session_id=OuterRef("pk"))
        .order_by("starts_at")
        .values(
            json=JSONObject(
                reference="reference",
                starts_at="starts_at",
                status="status",
                name="session__class_type__name",
                tz="session__studio__time_zone",
                window=Coalesce(
                    "session__studio__policy__cancellation_window_hours",
                    Value(_DEFAULT_CANCELLATION_HOURS),
                    output_field=IntegerField(),
                ),
            )
        )[:1]
    )
    return Subquery(mine, output_field=JSONField())


@dataclass
class SessionCard:
    """A session as one client sees it: availability plus their own booking or waitlist place.

    Texts and URLs are ready-made here: a page shows 200 cards and every live update renders
    a card once per connected browser, so the template does as little as possible."""

    session: ClassSession
    booking_reference: str = ""
    waitlist_position: int | None = None

    @cached_property
    def overlap(self) -> Overlap | None:
        return Overlap.from_row(getattr(self.session, "my_overlap", None))

    @cached_property
    def local_start(self) -> dt.datetime:
        return to_local(self.session.starts_at, self.session.studio.time_zone)

    @property
    def start_text(self) -> str:
        return timeformat.when(self.local_start, "time")

    @property
    def when_text(self) -> str:
        start = self.local_start
        return f"{timeformat.when(start, 'time')}, {timeformat.when(start, 'day_long')}"

    @property
    def zone_text(self) -> str:
        """The zone's abbreviation when the studio keeps another time than the organization."""
        session = self.session
        if session.studio.time_zone == session.organization.time_zone:
            return ""
        return f"{self.local_start:%Z}"

    @property
    def minutes(self) -> int:
        return int((self.session.ends_at - self.session.starts_at).total_seconds() // 60)

    @cached_property
    def opens_at(self) -> dt.datetime | None:
        """When booking opens, if the studio's booking window has not reached the class yet."""
        policy = getattr(self.session.studio, "policy", None)
        if policy is None:
            return None
        opens = booking_opens_at(self.session.starts_at, policy.booking_window_days)
        return opens if opens > timezone.now() else None

    @property
    def opens_text(self) -> str:
        opens = to_local(self.opens_at, self.session.studio.time_zone) if self.opens_at else None
        return timeformat.when(opens, "day_time") if opens else ""

    @property
    def waitlist_open(self) -> bool:
        policy = getattr(self.session.studio, "policy", None)
        return policy is None or policy.waitlist_mode != "off"

    @cached_property
    def state(self) -> str:
        """booked, waiting, cancelled, started, not_open, overlap, full, or open."""
        session = self.session
        if self.booking_reference:
            return "booked"
        if self.waitlist_position is not None:
            return "waiting"
        if session.status == ClassSession.Status.CANCELLED:
            return "cancelled"
        if session.starts_at <= timezone.now():
            return "started"
        if self.opens_at is not None:
            return "not_open"
        if self.overlap is not None:
            return "overlap"
        return "full" if session.is_full else "open"

    @property
    def detail_url(self) -> str:
        return _url_format("client:session_detail").format(self.session.pk)

    @property
    def book_url(self) -> str:
        return _url_format("client:book").format(self.session.pk)

    @property
    def join_url(self) -> str:
        return _url_format("client:join_waitlist").format(self.session.pk)

    @property
    def leave_url(self) -> str:
        return _url_format("client:leave_waitlist").format(self.session.pk)

    @property
    def booking_url(self) -> str:
        return reverse("client:booking_detail", args=[self.booking_reference])


@dataclass
class BrowsePage:
    filters: BrowseFilters
    cards: list[SessionCard]
    has_more: bool
    next_offset: int
    days: list[DayGroup] = field(default_factory=list)


@dataclass
class SlotGroup:
    time: dt.datetime
    cards: list[SessionCard]
    continued: bool = False  # carries on a slot the previous window ("Show more") began


@dataclass
class DayGroup:
    day: dt.date
    slots: list[SlotGroup]
    continued: bool = False


def filter_options(actor: Membership) -> FilterOptions:
    org = actor.organization_id
    return FilterOptions(
        studios=list(Studio.objects.filter(organization_id=org, active=True).order_by("name")),
        instructors=list(
            Membership.objects.filter(organization_id=org, role="instructor", active=True)
            .select_related("user")
            .order_by("user__name", "user__email")
        ),
        class_types=list(ClassType.objects.filter(organization_id=org, active=True)),
    )


def client_today(actor: Membership) -> dt.date:
    return local_today(actor.organization.time_zone)


def _sessions(actor: Membership):
    return (
        ClassSession.objects.filter(organization_id=actor.organization_id)
        .select_related("class_type", "instructor__user", "studio__policy", "room", "organization")
        .annotate(my_overlap=_overlap(actor))
    )


def browse_sessions(actor: Membership, filters: BrowseFilters) -> BrowsePage:
    """Upcoming scheduled classes matching the filters, one window of PAGE_SIZE at a time."""
    now = timezone.now()
    tz_name = actor.organization.time_zone
    start = max(now, local_day_bounds(filters.first_day, tz_name)[0] - _ZONE_SLACK)
    end = min(
        now + dt.timedelta(days=HORIZON_DAYS),
        local_day_bounds(filters.last_day, tz_name)[1] + _ZONE_SLACK,
    )
    qs = (
        _sessions(actor)
        .filter(
            status=ClassSession.Status.SCHEDULED,
            studio__active=True,
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .annotate(local_date=LocalDate(F("studio__time_zone"), F("starts_at")))
        .filter(local_date__range=(filters.first_day, filters.last_day))
    )
    if filters.time_of_day:
        low, high = TIME_OF_DAY_HOURS[filters.time_of_day]
        qs = qs.annotate(local_hour=LocalHour(F("studio__time_zone"), F("starts_at"))).filter(
            local_hour__gte=low, local_hour__lt=high
        )
    if filters.instructor_id:
        qs = qs.filter(instructor_id=filters.instructor_id)
    if filters.class_type_id:
        qs = qs.filter(class_type_id=filters.class_type_id)
    if filters.studio_id:
        qs = qs.filter(studio_id=filters.studio_id)
    # A later window also reads the class before it, to know whether it continues a group.
    first = max(filters.offset - 1, 0)
    window = list(
        qs.alias(local_start=LocalTimestamp(F("studio__time_zone"), F("starts_at"))).order_by(
            "local_start", "studio__name", "class_type__name", "id"
        )[first : filters.offset + PAGE_SIZE + 1]
    )
    previous = window.pop(0) if filters.offset > 0 and window else None
    has_more = len(window) > PAGE_SIZE
    cards = cards_for(actor, window[:PAGE_SIZE])
    return BrowsePage(
        filters=filters,
        cards=cards,
        has_more=has_more,
        next_offset=filters.offset + PAGE_SIZE,
        days=group_cards(cards, previous=SessionCard(previous) if previous else None),
    )


def group_cards(
    cards: Iterable[SessionCard], *, previous: SessionCard | None = None
) -> list[DayGroup]:
    """Consecutive cards grouped by local date, then by local start time (the time slot).
    With `previous` (the card shown just before), groups it began are marked continued."""
    days: list[DayGroup] = []
    before = previous.local_start if previous else None
    for card in cards:
        start = card.local_start
        if not days or days[-1].day != start.date():
            continued = not days and before is not None and before.date() == start.date()
            days.append(DayGroup(day=start.date(), slots=[], continued=continued))
        slots = days[-1].slots
        if not slots or slots[-1].time.time() != start.time():
            continued = (
                days[-1].continued
                and not slots
                and before is not None
                and before.time() == start.time()
            )
            slots.append(SlotGroup(time=start, cards=[], continued=continued))
        slots[-1].cards.append(card)
    return days


def cards_for(actor: Membership, sessions: list[ClassSession]) -> list[SessionCard]:
    """Attach the actor's own bookings and waitlist places, in one query for all sessions."""
    ids = [session.pk for session in sessions]
    mine: dict[int, tuple[str, int | None]] = {}
    if ids:
        for session_id, reference, position in _my_places(actor, ids):
            mine[session_id] = (reference, position)
    return [SessionCard(session, *(mine.get(session.pk) or ("", None))) for session in sessions]


def _my_places(actor: Membership, session_ids: list[int]):
    """(session id, booking reference, waitlist position) rows: bookings UNION waitlist."""
    booked = Booking.objects.filter(
        client=actor, session_id__in=session_ids, status__in=Booking.HOLDING
    ).values_list("session_id", "reference", Value(None, output_field=IntegerField()))
    waiting = (
        WaitlistEntry.objects.filter(client=actor, session_id__in=session_ids, status="waiting")
        .annotate(ref=Value("", output_field=CharField()), position=WaitlistPosition())
        .values_list("session_id", "ref", "position")
    )
    return booked.union(waiting, all=True)


def session_card(actor: Membership, session_id: int) -> SessionCard:
    """One session of the actor's organization, as they see it; NotFound otherwise."""
    session = _sessions(actor).filter(pk=session_id).first()
    if session is None:
        raise NotFound("class")
    return cards_for(actor, [session])[0]


def session_cards(actor: Membership, session_ids: Iterable[int]) -> list[SessionCard]:
    """Cards of a few sessions in ONE query, the actor's places included (live updates
    render this once per connected browser); ids outside the organization are skipped."""
    booked = Booking.objects.filter(
        session_id=OuterRef("pk"), client=actor, status__in=Booking.HOLDING
    ).values("reference")[:1]
    waiting = (
        WaitlistEntry.objects.filter(session_id=OuterRef("pk"), client=actor, status="waiting")
        .annotate(position=WaitlistPosition())
        .values("position")[:1]
    )
    sessions = (
        _sessions(actor)
        .filter(pk__in=list(session_ids))
        .annotate(
            my_reference=Subquery(booked, output_field=CharField()),
            my_position=Subquery(waiting, output_field=IntegerField()),
        )
        .order_by("starts_at")
    )
    return [SessionCard(s, s.my_reference or "", s.my_position) for s in sessions]


_TRAILING_NUMBER = re.compile(r"(\d+)\s*$")


@dataclass
class SpotCell:
    spot: Spot
    taken: bool
    row: int = 0  # 1-based, counted from the front of the room (the instructor)

    @property
    def short_label(self) -> str:
        """What fits on the drawn reformer: its number ("Reformer 3" -> "3"), else the label."""
        match = _TRAILING_NUMBER.search(self.spot.label)
        return match.group(1) if match else self.spot.label


@dataclass
class SpotMap:
    """The room's spots on its grid (row by row), which are taken, and how many are free."""

    session_id: int
    rows: list[list[SpotCell | None]]
    free: int
    total: int = 0

    @property
    def columns(self) -> int:
        return max((len(row) for row in self.rows), default=0)


def spot_map(actor: Membership, session: ClassSession) -> SpotMap | None:
    """The spot picker for a class; None when its room has no spots to choose from."""
    if session.organization_id != actor.organization_id:
        raise NotFound("class")
    spots = list(Spot.objects.filter(room_id=session.room_id, active=True))
    if not spots:
        return None
    taken = set(
        Booking.objects.filter(
            session_id=session.pk, status__in=Booking.HOLDING, spot__isnull=False
        ).values_list("spot_id", flat=True)
    )
    width = max(spot.column for spot in spots) + 1
    height = max(spot.row for spot in spots) + 1
    grid: list[list[SpotCell | None]] = [[None] * width for _ in range(height)]
    for spot in spots:
        grid[spot.row][spot.column] = SpotCell(spot, spot.pk in taken)
    rows = [row for row in grid if any(cell is not None for cell in row)]
    for number, row in enumerate(rows, start=1):
        for cell in row:
            if cell is not None:
                cell.row = number
    return SpotMap(
        session_id=session.pk,
        rows=rows,
        free=sum(s.pk not in taken for s in spots),
        total=len(spots),
    )


def spot_of(actor: Membership, spot_id: int | None) -> Spot | None:
    """The spot a client picked, if any; one of another organization is not found."""
    if spot_id is None:
        return None
    spot = Spot.objects.filter(pk=spot_id, organization_id=actor.organization_id).first()
    if spot is None:
        raise NotFound("spot")
    return spot


def own_waiting_entry(actor: Membership, session_id: int) -> WaitlistEntry:
    entry = WaitlistEntry.objects.filter(
        session_id=session_id,
        client=actor,
        organization_id=actor.organization_id,
        status=WaitlistEntry.Status.WAITING,
    ).first()
    if entry is None:
        raise NotFound("waitlist place")
    return entry
