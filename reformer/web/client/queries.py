"""Reads behind the client's browse page: a fixed number of queries whatever the row count.

The cards themselves are `cards.SessionCard` (a class as one viewer sees it) and, on the
browse page, `browse_cards.BrowseCard` (a card from a plain row, its HTML shared).

Everything is scoped to `actor.organization_id`; a session of another organization is simply
not found (ARCHITECTURE §4).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import (
    IntegerField,
    OuterRef,
    Subquery,
)
from django.utils import timezone
from django.utils.safestring import SafeString

from reformer.accounts.models import Membership, User
from reformer.bookings.models import Booking, WaitlistEntry
from reformer.bookings.rules import WaitlistPosition
from reformer.core.batched_reads import Statement, read_together
from reformer.core.errors import NotFound
from reformer.core.timezones import local_day_bounds, local_today
from reformer.scheduling.models import ClassSession
from reformer.studios.models import Spot
from reformer.web.client import browse_html
from reformer.web.client.browse_cards import BrowseCard, CardRow, Window, window_statement
from reformer.web.client.cards import (
    Overlap,
    SessionCard,
    first_overlap,
    held_places,
    held_places_of,
    held_statement,
)
from reformer.web.client.forms import (
    HORIZON_DAYS,
    TIME_OF_DAY_HOURS,
    BrowseFilterForm,
    BrowseFilters,
)

# Most classes one page shows; "Show more" fetches the next window.
PAGE_SIZE = 200
# A local calendar day lies within this much of the same UTC day in every zone on Earth: the
# UTC bounds keep the starts_at index usable, the local-date test then decides exactly.
_ZONE_SLACK = dt.timedelta(hours=15)


class Option(NamedTuple):
    """A choice of the Filters sheet: the id it filters by and the name it shows."""

    pk: int
    name: str


@dataclass(frozen=True)
class FilterOptions:
    """What the Filters sheet offers (hashable: the rendered sheet is kept, browse_html.py)."""

    studios: tuple[Option, ...] = ()
    instructors: tuple[Option, ...] = ()
    class_types: tuple[Option, ...] = ()


@dataclass
class BrowsePage:
    filters: BrowseFilters
    cards: list[BrowseCard]
    has_more: bool
    next_offset: int
    time_zone: str  # the organization's: where "Today" is
    days: list[DayGroup] = field(default_factory=list)

    @property
    def days_html(self) -> SafeString:
        return browse_html.days_html(self.days, self.filters.offset, self.time_zone)


@dataclass
class SlotGroup:
    time: dt.datetime
    cards: list[BrowseCard]
    continued: bool = False  # carries on a slot the previous window ("Show more") began


@dataclass
class DayGroup:
    day: dt.date
    slots: list[SlotGroup]
    continued: bool = False


# Raw, and read beside the classes (`browse`): what the Filters sheet offers, one round trip
# instead of three ORM queries. Ordered by name (instructors: then email).
_OPTIONS_SQL = """
SELECT 'studio', st.id, st.name, '' FROM studios_studio st
 WHERE st.organization_id = %(organization)s AND st.active
UNION ALL
SELECT 'instructor', m.id, u.name, u.email
  FROM accounts_membership m JOIN accounts_user u ON u.id = m.user_id
 WHERE m.organization_id = %(organization)s AND m.role = 'instructor' AND m.active
UNION ALL
SELECT 'class_type', ct.id, ct.name, '' FROM scheduling_classtype ct
 WHERE ct.organization_id = %(organization)s AND ct.active
 ORDER BY 1, 3, 4, 2
"""


def filter_options_statement(actor: Membership) -> Statement:
    return _OPTIONS_SQL, {"organization": actor.organization_id}


def filter_options_of(rows: Iterable[tuple]) -> FilterOptions:
    """The options from their query's rows."""
    found: dict[str, list[Option]] = {"studio": [], "instructor": [], "class_type": []}
    for kind, pk, name, email in rows:
        if kind == "instructor":
            name = User(name=name, email=email).display_name
        found[kind].append(Option(pk, name))
    return FilterOptions(
        studios=tuple(found["studio"]),
        instructors=tuple(found["instructor"]),
        class_types=tuple(found["class_type"]),
    )


def filter_options(actor: Membership) -> FilterOptions:
    (rows,) = read_together(filter_options_statement(actor))
    return filter_options_of(rows)


def client_today(actor: Membership) -> dt.date:
    return local_today(actor.organization.time_zone)


def _my_position(actor: Membership) -> Subquery:
    """The actor's place on the class's waitlist (1 = next), NULL when not waiting: one
    probe of the (client, session) index per row."""
    return Subquery(
        WaitlistEntry.objects.filter(
            session_id=OuterRef("pk"), client_id=actor.pk, status="waiting"
        )
        .annotate(position=WaitlistPosition())
        .values("position")[:1],
        output_field=IntegerField(),
    )


def _sessions(actor: Membership):
    """The organization's classes with the actor's waitlist place (`my_position`)."""
    return ClassSession.objects.filter(organization_id=actor.organization_id).annotate(
        my_position=_my_position(actor)
    )


@dataclass
class Browse:
    """What the browse page reads: its filters (as a form), the Filters sheet's options and
    the classes."""

    form: BrowseFilterForm
    options: FilterOptions
    page: BrowsePage


# Filters naming one of the options: whether the name is valid depends on the options.
_OPTION_FIELDS = ("instructor", "type", "studio")


def browse(actor: Membership, data: Mapping[str, str]) -> Browse:
    """The browse page's reads for the query string `data`, in one round trip when the
    filters name no instructor, class type or studio (the options, the window of classes and
    the viewer's held places are sent together), else two (the options first: they decide
    whether those names are valid, and so which classes to read)."""
    today = client_today(actor)
    if any(data.get(name) for name in _OPTION_FIELDS):
        options = filter_options(actor)
        form = BrowseFilterForm(data, options=options, today=today)
        filters = form.filters()
        if filters.problem:  # no classes under a filter that is not valid (forms.py)
            empty = BrowsePage(filters, [], False, 0, actor.organization.time_zone)
            return Browse(form, options, empty)
        return Browse(form, options, browse_sessions(actor, filters))
    form = BrowseFilterForm(data, options=FilterOptions(), today=today)
    reads = _PageReads(actor, form.filters())
    option_rows, window_rows, held_rows = read_together(
        filter_options_statement(actor), *reads.statements()
    )
    return Browse(form, filter_options_of(option_rows), reads.page(window_rows, held_rows))


def browse_sessions(actor: Membership, filters: BrowseFilters) -> BrowsePage:
    """Upcoming scheduled classes matching the filters, one window of PAGE_SIZE at a time:
    the window's rows and the viewer's held places, one round trip (browse_cards.py)."""
    reads = _PageReads(actor, filters)
    window_rows, held_rows = read_together(*reads.statements())
    return reads.page(window_rows, held_rows)


class _PageReads:
    """The queries of one window of the browse page, and the page from their rows."""

    def __init__(self, actor: Membership, filters: BrowseFilters) -> None:
        self.actor, self.filters = actor, filters
        self.now = now = timezone.now()
        self.tz_name = tz_name = actor.organization.time_zone
        start = max(now, local_day_bounds(filters.first_day, tz_name)[0] - _ZONE_SLACK)
        end = min(
            now + dt.timedelta(days=HORIZON_DAYS),
            local_day_bounds(filters.last_day, tz_name)[1] + _ZONE_SLACK,
        )
        # A later window also reads the class before it, to know whether it continues a group.
        first = max(filters.offset - 1, 0)
        self.window = Window(
            organization_id=actor.organization_id,
            starts_from=start,
            starts_before=end,
            first_day=filters.first_day,
            last_day=filters.last_day,
            offset=first,
            limit=filters.offset + PAGE_SIZE + 1 - first,
            hours=TIME_OF_DAY_HOURS[filters.time_of_day] if filters.time_of_day else None,
            instructor_id=filters.instructor_id,
            class_type_id=filters.class_type_id,
            studio_id=filters.studio_id,
        )

    def statements(self) -> list[Statement]:
        """The window, and the viewer's held places from its first possible start on (a few
        more than its classes need: sent together, the window's own span is not known yet)."""
        return [
            window_statement(self.window, self.actor.pk),
            held_statement(self.actor.pk, self.window.starts_from),
        ]

    def page(self, window_rows: list[tuple], held_rows: list[tuple]) -> BrowsePage:
        filters, tz_name, now = self.filters, self.tz_name, self.now
        window = [CardRow(*row) for row in window_rows]
        previous = window.pop(0) if filters.offset > 0 and window else None
        has_more = len(window) > PAGE_SIZE
        rows = window[:PAGE_SIZE]
        held = held_places_of(held_rows)
        cards = [
            BrowseCard(
                row,
                tz_name,
                held.references.get(row.id, ""),
                Overlap.of(first_overlap(held.places, row.id, row.starts_at, row.ends_at), now),
            )
            for row in rows
        ]
        return BrowsePage(
            filters=filters,
            cards=cards,
            has_more=has_more,
            next_offset=filters.offset + PAGE_SIZE,
            time_zone=tz_name,
            days=group_cards(cards, previous=BrowseCard(previous, tz_name) if previous else None),
        )


def group_cards(
    cards: Iterable[BrowseCard], *, previous: BrowseCard | None = None
) -> list[DayGroup]:
    """Consecutive cards grouped by local date, then by local start time (the time slot).
    With `previous` (the card shown just before), groups it began are marked continued.

    A slot is one wall-clock time at one moment: 9:00 in London and 9:00 in New York are
    two slots, each headed in its own zone (the cards themselves show no time)."""
    days: list[DayGroup] = []
    before = previous.local_start if previous else None
    for card in cards:
        start = card.local_start
        if not days or days[-1].day != start.date():
            continued = not days and before is not None and before.date() == start.date()
            days.append(DayGroup(day=start.date(), slots=[], continued=continued))
        slots = days[-1].slots
        if not slots or not _same_slot(slots[-1].time, start):
            continued = (
                days[-1].continued
                and not slots
                and before is not None
                and _same_slot(before, start)
            )
            slots.append(SlotGroup(time=start, cards=[], continued=continued))
        slots[-1].cards.append(card)
    return days


def _same_slot(one: dt.datetime, other: dt.datetime) -> bool:
    # Aware datetimes compare as instants; the wall-clock times must match as well.
    return one == other and one.time() == other.time()


def session_card(actor: Membership, session_id: int) -> SessionCard:
    """One session of the actor's organization, as they see it; NotFound otherwise."""
    session = (
        _sessions(actor)
        .select_related("class_type", "instructor__user", "studio__policy", "room", "organization")
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        raise NotFound("class")
    held = held_places(actor.pk, [(session.starts_at, session.ends_at)])
    overlap = first_overlap(held.places, session.pk, session.starts_at, session.ends_at)
    return SessionCard(
        session,
        held.references.get(session.pk, ""),
        session.my_position,
        Overlap.of(overlap, timezone.now()),
    )


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
