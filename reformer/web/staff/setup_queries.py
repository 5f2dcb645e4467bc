"""Reads behind the setup, schedule and team pages, scoped to the actor's organization, each
in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, Prefetch, Q, QuerySet
from django.urls import reverse

from reformer.accounts.models import Invitation, Membership, Role
from reformer.billing.models import PackageProduct
from reformer.core.permissions import (
    MANAGE_BILLING,
    MANAGE_CLASS_TYPES,
    MANAGE_SCHEDULE,
    MANAGE_STUDIO,
    STAFF_ROLES,
    has_capability,
    studio_ids_in_scope,
)
from reformer.core.timezones import local_day_bounds, local_today
from reformer.scheduling.models import ClassSession, ClassType, RecurringTemplate, RotationSlot
from reformer.studios.models import Closure, Organization, Room, Spot, Studio
from reformer.web.staff.queries import local_start

# --------------------------------------------------------------------------- onboarding


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    hint: str
    url: str
    done: bool


def onboarding_steps(actor: Membership) -> list[Step]:
    """The getting-started checklist: what a new organization still has to set up (1 query)."""
    org = actor.organization_id
    flags = (
        Organization.objects.filter(pk=org)
        .annotate(
            has_studio=Exists(Studio.objects.filter(organization_id=org)),
            has_spots=Exists(Spot.objects.filter(organization_id=org, active=True)),
            has_class_type=Exists(ClassType.objects.filter(organization_id=org)),
            has_product=Exists(PackageProduct.objects.filter(organization_id=org)),
            has_class=Exists(ClassSession.objects.filter(organization_id=org))
            | Exists(RecurringTemplate.objects.filter(organization_id=org)),
            has_instructor=Exists(
                Membership.objects.filter(organization_id=org, role=Role.INSTRUCTOR)
            )
            | Exists(Invitation.objects.filter(organization_id=org, role=Role.INSTRUCTOR)),
        )
        .values(
            "has_studio",
            "has_spots",
            "has_class_type",
            "has_product",
            "has_class",
            "has_instructor",
        )
        .get()
    )
    steps = [
        Step(
            "studio",
            "Add a studio",
            "Name, address, time zone and opening hours.",
            reverse("staff:studios"),
            flags["has_studio"],
        ),
        Step(
            "room",
            "Add a room with its reformers",
            "Place each reformer on the room map.",
            reverse("staff:studios"),
            flags["has_spots"],
        ),
        Step(
            "class_type",
            "Create a class type",
            "What you teach: name, length, class size.",
            reverse("staff:class_types"),
            flags["has_class_type"],
        ),
        Step(
            "product",
            "Create a package",
            "Class packs or memberships clients buy.",
            reverse("staff:products"),
            flags["has_product"],
        ),
        Step(
            "class",
            "Schedule a class",
            "A single class or a weekly one.",
            reverse("staff:schedule"),
            flags["has_class"],
        ),
        Step(
            "instructor",
            "Invite an instructor",
            "They get an email to join your team.",
            reverse("staff:team"),
            flags["has_instructor"],
        ),
    ]
    allowed = {
        "studio": has_capability(actor, MANAGE_STUDIO),
        "room": has_capability(actor, MANAGE_STUDIO),
        "class_type": has_capability(actor, MANAGE_CLASS_TYPES),
        "product": has_capability(actor, MANAGE_BILLING),
        "class": has_capability(actor, MANAGE_SCHEDULE),
        "instructor": has_capability(actor, MANAGE_SCHEDULE),
    }
    return [step for step in steps if allowed[step.key]]


# ------------------------------------------------------------------------------ studios


def studios_for_setup(actor: Membership) -> list[Studio]:
    """Studios the actor manages, with room counts (1 query after the scope lookup)."""
    return list(
        Studio.objects.filter(
            organization_id=actor.organization_id, pk__in=studio_ids_in_scope(actor)
        )
        .annotate(room_count=Count("rooms", distinct=True))
        .order_by("-active", "name")
    )


@dataclass
class StudioSetup:
    studio: Studio
    rooms: list[Room]
    closures: list[Closure]
    # (date, [opens, closes]) or (date, []) for closed all day.
    special_hours: list[tuple[dt.date, list[dt.time]]]


def studio_setup(studio: Studio) -> StudioSetup:
    """Rooms (with spot counts) and upcoming closures and special hours of one studio."""
    today = local_today(studio.time_zone)
    rooms: list[Room] = list(
        Room.objects.filter(studio=studio)
        .annotate(spot_count=Count("spots", filter=Q(spots__active=True)))
        .order_by("name")
    )
    closures = list(Closure.objects.filter(studio=studio, date__gte=today).order_by("date"))
    # Stored as "HH:MM"; times here so the page shows them in the organization's clock.
    special = sorted(
        (dt.date.fromisoformat(day), [dt.time.fromisoformat(t) for t in span])
        for day, span in (studio.special_hours or {}).items()
        if dt.date.fromisoformat(day) >= today
    )
    return StudioSetup(studio, rooms, closures, special)


def active_spots(room: Room) -> list[Spot]:
    return list(Spot.objects.filter(room=room, active=True).order_by("row", "column"))


# ------------------------------------------------------------------ class types, products


def class_types_of(actor: Membership) -> QuerySet[ClassType]:
    return ClassType.objects.filter(organization_id=actor.organization_id).order_by(
        "-active", "name"
    )


def products_of(actor: Membership) -> QuerySet[PackageProduct]:
    return PackageProduct.objects.filter(organization_id=actor.organization_id).order_by(
        "-active", "price", "name"
    )


# ----------------------------------------------------------------------------- schedule


def instructors_for(actor: Membership, studio: Studio) -> list[Membership]:
    """Active staff who may teach at the studio: its scoped staff, and the owners."""
    return list(
        Membership.objects.filter(
            organization_id=actor.organization_id, active=True, role__in=STAFF_ROLES
        )
        .filter(Q(role=Role.OWNER) | Q(studios=studio))
        .exclude(role=Role.FRONT_DESK)
        .select_related("user")
        .distinct()
        .order_by("user__name", "user__email")
    )


@dataclass
class WeekDay:
    day: dt.date
    is_today: bool
    sessions: list[ClassSession] = field(default_factory=list)


@dataclass
class Week:
    studio: Studio
    monday: dt.date
    days: list[WeekDay]
    needs_instructor: int

    @property
    def previous(self) -> dt.date:
        return self.monday - dt.timedelta(days=7)

    @property
    def next(self) -> dt.date:
        return self.monday + dt.timedelta(days=7)

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)


def week_schedule(actor: Membership, studio: Studio, monday: dt.date) -> Week:
    """The studio's classes of one local week, Monday to Sunday (1 query)."""
    start = local_day_bounds(monday, studio.time_zone)[0]
    end = local_day_bounds(monday + dt.timedelta(days=7), studio.time_zone)[0]
    sessions = (
        ClassSession.objects.filter(
            organization_id=actor.organization_id,
            studio=studio,
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .select_related("class_type", "room", "instructor__user", "studio")
        .order_by("starts_at", "id")
    )
    today = local_today(studio.time_zone)
    days = [
        WeekDay(monday + dt.timedelta(days=i), monday + dt.timedelta(days=i) == today)
        for i in range(7)
    ]
    needs = 0
    for session in sessions:
        days[(local_start(session).date() - monday).days].sessions.append(session)
        if session.instructor_id is None and session.status == ClassSession.Status.SCHEDULED:
            needs += 1
    return Week(studio=studio, monday=monday, days=days, needs_instructor=needs)


def templates_of(studio: Studio) -> list[RecurringTemplate]:
    """The studio's weekly classes with their rotation (2 queries)."""
    return list(
        RecurringTemplate.objects.filter(studio=studio)
        .select_related("class_type", "room")
        .prefetch_related(
            Prefetch(
                "rotation",
                queryset=RotationSlot.objects.select_related("instructor__user").order_by(
                    "position"
                ),
            )
        )
        .order_by("-active", "weekday", "local_start_time")
    )


def rooms_of(studio: Studio) -> list[Room]:
    return list(Room.objects.filter(studio=studio).order_by("name"))


def active_class_types(actor: Membership) -> list[ClassType]:
    return list(ClassType.objects.filter(organization_id=actor.organization_id, active=True))
