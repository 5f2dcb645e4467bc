"""Reads behind the staff pages: the instructor's classes, a class roster, the front desk's
day. Each takes the actor, scopes to `actor.organization_id` and runs a fixed number of
queries whatever the row count (ARCHITECTURE §5.3).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from reformer.accounts.models import ClientProfile, Membership, Role
from reformer.bookings.models import Booking, WaitlistEntry
from reformer.core.errors import NotFound, PermissionDenied
from reformer.core.parsing import to_id
from reformer.core.permissions import (
    BOOK_FOR_CLIENT,
    VIEW_CLIENTS,
    VIEW_ROSTER,
    has_capability,
    require,
    studio_ids_in_scope,
)
from reformer.core.timezones import local_day_bounds, local_today, to_local
from reformer.scheduling.models import ClassSession
from reformer.studios.models import Studio

DASHBOARD_DAYS = 30
PAST_DAYS = 30
# A local calendar day lies within this much of the same UTC day in every zone on Earth.
_ZONE_SLACK = dt.timedelta(hours=15)
CANCELLED = [str(Booking.Status.CANCELLED), str(Booking.Status.LATE_CANCELLED)]


# ------------------------------------------------------------------------ shared bits


def sessions_of(actor: Membership) -> QuerySet[ClassSession]:
    """The organization's sessions with what a card shows, in one query."""
    return ClassSession.objects.filter(organization_id=actor.organization_id).select_related(
        "class_type", "studio", "room", "instructor__user"
    )


def local_start(session: ClassSession) -> dt.datetime:
    return to_local(session.starts_at, session.studio.time_zone)


@dataclass
class DayGroup:
    day: dt.date
    is_today: bool
    sessions: list = field(default_factory=list)


def group_by_local_day(sessions: Iterable, today: dt.date, key=lambda item: item) -> list[DayGroup]:
    """Consecutive items grouped by the local date of their session (input sorted by time)."""
    days: list[DayGroup] = []
    for item in sessions:
        session = key(item)
        day = local_start(session).date()
        if not days or days[-1].day != day:
            days.append(DayGroup(day=day, is_today=day == today))
        days[-1].sessions.append(item)
    return days


# ------------------------------------------------------------------ instructor dashboard


@dataclass
class PastClass:
    session: ClassSession
    attended: int
    late: int
    no_show: int
    cancelled: int
    unmarked: int

    @property
    def status(self) -> str:
        if self.session.status == ClassSession.Status.CANCELLED:
            return "cancelled"
        return "incomplete" if self.unmarked else "complete"


@dataclass
class InstructorClasses:
    today: dt.date
    upcoming: list[DayGroup]
    past: list[PastClass]
    upcoming_count: int


def instructor_classes(
    actor: Membership, *, show_past: bool = False, now: dt.datetime | None = None
) -> InstructorClasses:
    """The classes the actor teaches: from the start of today (and any still running) for
    DASHBOARD_DAYS days, grouped by local date (today first); with `show_past`, the last
    PAST_DAYS days with attendance counts instead. One query either way."""
    now = now or timezone.now()
    today = local_today(actor.organization.time_zone, now)
    mine = sessions_of(actor).filter(instructor=actor)
    if show_past:
        past_rows = list(
            mine.filter(starts_at__lt=now, starts_at__gte=now - dt.timedelta(days=PAST_DAYS))
            .annotate(
                n_attended=Count("bookings", filter=Q(bookings__status="attended")),
                n_late=Count(
                    "bookings", filter=Q(bookings__status="attended", bookings__is_late=True)
                ),
                n_no_show=Count("bookings", filter=Q(bookings__status="no_show")),
                n_cancelled=Count("bookings", filter=Q(bookings__status__in=CANCELLED)),
                n_unmarked=Count("bookings", filter=Q(bookings__status="confirmed")),
            )
            .order_by("-starts_at")
        )
        past = [
            PastClass(s, s.n_attended, s.n_late, s.n_no_show, s.n_cancelled, s.n_unmarked)
            for s in past_rows
        ]
        return InstructorClasses(today=today, upcoming=[], past=past, upcoming_count=0)
    start = local_day_bounds(today, actor.organization.time_zone)[0] - _ZONE_SLACK
    rows = [
        session
        for session in mine.filter(
            starts_at__gte=start, starts_at__lt=now + dt.timedelta(days=DASHBOARD_DAYS)
        ).order_by("starts_at", "id")
        if session.ends_at > now
        or local_start(session).date() >= local_today(session.studio.time_zone, now)
    ]
    return InstructorClasses(
        today=today, upcoming=group_by_local_day(rows, today), past=[], upcoming_count=len(rows)
    )


# ------------------------------------------------------------------------------- roster


@dataclass
class Roster:
    order: str  # ROSTER_ORDERS
    session: ClassSession
    bookings: list[Booking]  # holding a place: confirmed, attended, no-show
    cancelled: list[Booking]
    waitlist: list[WaitlistEntry]  # waiting, in order; .position set

    @property
    def counts(self) -> dict[str, int]:
        statuses = [b.status for b in self.bookings]
        return {
            "booked": len(self.bookings),
            "attended": statuses.count("attended"),
            "late": sum(1 for b in self.bookings if b.status == "attended" and b.is_late),
            "no_show": statuses.count("no_show"),
            "unmarked": statuses.count("confirmed"),
            "cancelled": len(self.cancelled),
            "waiting": len(self.waitlist),
        }


def roster_session(actor: Membership, session_id: Any) -> ClassSession:
    """A session the actor may see the roster of: NotFound outside the organization,
    PermissionDenied for another instructor's class or a studio outside a manager's scope."""
    pk = to_id(session_id)
    session = None if pk is None else sessions_of(actor).filter(pk=pk).first()
    if session is None:
        raise NotFound("class")
    require(actor, VIEW_ROSTER, session=session)
    return session


def bookings_with_history(actor: Membership) -> QuerySet[Booking]:
    """Bookings with the client, the spot and the client's attended-class count."""
    attended = (
        Booking.objects.filter(
            organization_id=actor.organization_id,
            client_id=OuterRef("client_id"),
            status="attended",
        )
        .order_by()
        .values("client_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    return (
        Booking.objects.filter(organization_id=actor.organization_id)
        .select_related("client__user", "client__client_profile", "client_package", "spot")
        .annotate(attended_total=Coalesce(Subquery(attended, output_field=IntegerField()), 0))
    )


ROSTER_ORDERS = ("spot", "name")
LOW_CREDITS = 1  # a package this close to empty is flagged on the roster


def _name_key(booking: Booking) -> tuple[str, str, int]:
    user = booking.client.user
    return ((user.name or "").lower(), user.email.lower(), booking.pk)


def roster_sort_key(order: str):
    """Rows by spot in the room's layout (front row first, then left to right; no spot
    last), or by name."""
    if order == "name":
        return _name_key
    return lambda b: (
        b.spot is None,
        (b.spot.row, b.spot.column, b.spot.label.lower()) if b.spot else (0, 0, ""),
        _name_key(b),
    )


def roster_for(actor: Membership, session: ClassSession, order: str = "spot") -> Roster:
    """Bookings and waitlist of a session already authorized by `roster_session`, bookings
    in `order` (ROSTER_ORDERS). 2 queries."""
    bookings = sorted(
        bookings_with_history(actor).filter(session=session), key=roster_sort_key(order)
    )
    for booking in bookings:
        booking.session = session  # the rows' flags read the class's day: no query per row
    waitlist: list[Any] = list(  # WaitlistEntry rows, each given .position below
        WaitlistEntry.objects.filter(session=session, status=WaitlistEntry.Status.WAITING)
        .select_related("client__user")
        .order_by("joined_at", "id")
    )
    for position, entry in enumerate(waitlist, start=1):
        entry.position = position
    return Roster(
        order=order,
        session=session,
        bookings=[b for b in bookings if b.status in Booking.HOLDING],
        cancelled=[b for b in bookings if b.status in CANCELLED],
        waitlist=waitlist,
    )


def roster_booking(actor: Membership, booking_id: Any) -> Booking:
    """One booking (for re-rendering its row), with its session; NotFound outside the org."""
    pk = to_id(booking_id)
    booking = (
        None
        if pk is None
        else bookings_with_history(actor)
        .select_related("session__studio", "session__class_type", "session__room")
        .filter(pk=pk)
        .first()
    )
    if booking is None:
        raise NotFound("booking")
    return booking


def roster_bookings(actor: Membership, booking_ids: Iterable[int]) -> list[Booking]:
    """Bookings by id (live updates), skipping any outside the organization."""
    return list(
        bookings_with_history(actor)
        .select_related("session__studio")
        .filter(pk__in=list(booking_ids))
        .order_by("id")
    )


# ----------------------------------------------------------------------------- check-in


@dataclass
class CheckinDay:
    day: dt.date
    studios: list[Studio]
    studio: Studio | None
    sessions: list[ClassSession]


def studios_in_scope(actor: Membership) -> list[Studio]:
    return list(
        Studio.objects.filter(
            organization_id=actor.organization_id, pk__in=studio_ids_in_scope(actor), active=True
        ).order_by("name")
    )


def checkin_day(actor: Membership, *, day: dt.date | None, studio_id: int | None) -> CheckinDay:
    """The classes of one local day at the studios the actor reaches (default: today)."""
    # The desk view of every class of a day: for those who check in and book for clients
    # (instructors see only their own classes, on their dashboard).
    if not (has_capability(actor, VIEW_ROSTER) and has_capability(actor, BOOK_FOR_CLIENT)):
        raise PermissionDenied(BOOK_FOR_CLIENT)
    studios = studios_in_scope(actor)
    studio = next((s for s in studios if s.pk == studio_id), None)
    tz_name = studio.time_zone if studio else actor.organization.time_zone
    day = day or local_today(tz_name)
    start, end = local_day_bounds(day, tz_name)
    sessions = [
        s
        for s in sessions_of(actor)
        .filter(
            studio__in=[studio] if studio else studios,
            starts_at__gte=start - _ZONE_SLACK,
            starts_at__lt=end + _ZONE_SLACK,
        )
        .order_by("studio__name", "studio_id", "starts_at", "id")
        if local_start(s).date() == day
    ]
    return CheckinDay(day=day, studios=studios, studio=studio, sessions=sessions)


def client_search(actor: Membership, session: ClassSession, text: str) -> list[Membership]:
    """Active clients whose name or email contains `text` (at most 10), for booking a client
    into a class from the roster."""
    require(actor, BOOK_FOR_CLIENT, studio=session.studio)
    if not has_capability(actor, VIEW_CLIENTS):
        raise PermissionDenied(VIEW_CLIENTS)
    text = text.strip()
    if len(text) < 2:
        return []
    return list(
        Membership.objects.filter(
            organization_id=actor.organization_id, role=Role.CLIENT, active=True
        )
        .filter(Q(user__name__icontains=text) | Q(user__email__icontains=text))
        .select_related("user")
        .order_by(Lower("user__name"), "user__email")[:10]
    )


def client_of(actor: Membership, client_id: object) -> Membership:
    pk = to_id(client_id)
    client = (
        None
        if pk is None
        else Membership.objects.filter(
            organization_id=actor.organization_id, role=Role.CLIENT, pk=pk
        )
        .select_related("user")
        .first()
    )
    if client is None:
        raise NotFound("client")
    return client


# ------------------------------------------------------------------- check-in search

SEARCH_LIMIT = 20


def checkin_search(actor: Membership, day: CheckinDay, text: str) -> list[Booking]:
    """The bookings in `day`'s classes (already scoped by `checkin_day`) whose client's
    name, email or phone matches `text` (2+ characters; a phone by its digits, 3+), by class
    start then name. 1 query."""
    text = text.strip()
    if len(text) < 2 or not day.sessions:
        return []
    match = Q(client__user__name__icontains=text) | Q(client__user__email__icontains=text)
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 3:
        match |= Q(client__user__phone__contains=digits)
    rows = (
        bookings_with_history(actor)
        .filter(match, session__in=[s.pk for s in day.sessions], status__in=Booking.HOLDING)
        .select_related("session__class_type", "session__studio", "session__room")
        .order_by("starts_at", Lower("client__user__name"), "id")[:SEARCH_LIMIT]
    )
    return list(rows)


def suspension_of(client: Membership) -> dt.datetime | None:
    """Until when the client may not book (None: they may)."""
    until = (
        ClientProfile.objects.filter(membership_id=client.pk)
        .values_list("suspended_until", flat=True)
        .first()
    )
    return until if until is not None and until > timezone.now() else None


def suspended_clients(actor: Membership) -> list[ClientProfile]:
    """The organization's clients whose booking is paused now, soonest back first."""
    return list(
        ClientProfile.objects.filter(
            organization_id=actor.organization_id,
            membership__role=Role.CLIENT,
            suspended_until__gt=timezone.now(),
        )
        .select_related("membership__user")
        .order_by("suspended_until", "pk")[:50]
    )
