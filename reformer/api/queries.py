"""The API's scoped reads of people, packages, bookings, waitlists and payments.

The schedule reads (studios, class types, classes) are the web's own (studios.queries,
scheduling.queries). Who sees what is the web's rule, asked of core.permissions:
clients see their own rows; front desk and above (VIEW_CLIENTS) see the studios in their
scope; instructors see the rosters of the classes they teach (VIEW_ROSTER on the class).
Another organization's row is never in a queryset, so fetching it is NotFound.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TypeVar

from django.db.models import Q, QuerySet

from reformer.accounts.models import Membership, Role
from reformer.billing.models import ClientPackage, Payment
from reformer.bookings.models import Booking, WaitlistEntry
from reformer.core.errors import NotFound, PermissionDenied
from reformer.core.parsing import to_key
from reformer.core.permissions import (
    BOOK_SELF,
    MANAGE_BILLING,
    VIEW_CLIENTS,
    VIEW_ROSTER,
    has_capability,
    is_client,
    reaches_every_studio,
    require,
    studio_ids_in_scope,
)
from reformer.scheduling.models import ClassSession
from reformer.scheduling.queries import get_session
from reformer.studios.models import Organization, Studio

T = TypeVar("T", Booking, WaitlistEntry)


def _people_scope(actor: Membership, *, client_field: str, studio_field: str) -> Q:
    """The rows about clients the actor may read (as a filter), or PermissionDenied."""
    if has_capability(actor, VIEW_CLIENTS):
        if reaches_every_studio(actor):
            return Q()
        return Q(**{f"{studio_field}__in": studio_ids_in_scope(actor)})
    if has_capability(actor, VIEW_ROSTER):  # instructors: the classes they teach
        session_field = studio_field.rsplit("__", 1)[0]
        return Q(**{f"{session_field}__instructor_id": actor.pk})
    if has_capability(actor, BOOK_SELF):
        return Q(**{client_field: actor.pk})
    raise PermissionDenied(VIEW_CLIENTS)


def bookings_for(
    actor: Membership,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    studio_ids: Iterable[int] | None = None,
    session_id: int | None = None,
    client_id: int | None = None,
    statuses: Iterable[str] | None = None,
) -> QuerySet[Booking]:
    """Bookings the actor may read, filtered by class start, studio, class, client, status."""
    bookings = Booking.objects.filter(organization_id=actor.organization_id).filter(
        _people_scope(actor, client_field="client_id", studio_field="session__studio_id")
    )
    bookings = _filtered(
        bookings,
        starts_field="starts_at",
        start=start,
        end=end,
        studio_ids=studio_ids,
        session_id=session_id,
        client_id=client_id,
        statuses=statuses,
    )
    return bookings.select_related("session", "spot")


def _filtered(
    rows: QuerySet[T],
    *,
    starts_field: str,
    start: dt.datetime | None,
    end: dt.datetime | None,
    studio_ids: Iterable[int] | None,
    session_id: int | None,
    client_id: int | None,
    statuses: Iterable[str] | None,
) -> QuerySet[T]:
    """The list filters bookings and waitlist entries share (a None filter is not applied)."""
    if start is not None:
        rows = rows.filter(**{f"{starts_field}__gte": start})
    if end is not None:
        rows = rows.filter(**{f"{starts_field}__lt": end})
    if studio_ids is not None:
        rows = rows.filter(session__studio_id__in=list(studio_ids))
    if session_id is not None:
        rows = rows.filter(session_id=session_id)
    if client_id is not None:
        rows = rows.filter(client_id=client_id)
    if statuses is not None:
        rows = rows.filter(status__in=list(statuses))
    return rows


def _in_organization(actor: Membership, model, pk: int, what: str) -> None:
    """Another organization's row is "not found" before any question of role."""
    if not model.objects.filter(pk=pk, organization_id=actor.organization_id).exists():
        raise NotFound(what)


def get_booking(actor: Membership, pk: int) -> Booking:
    _in_organization(actor, Booking, pk, "booking")
    booking = bookings_for(actor).filter(pk=pk).first()
    if booking is None:
        raise NotFound("booking")
    return booking


def waitlist_for(
    actor: Membership,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    studio_ids: Iterable[int] | None = None,
    session_id: int | None = None,
    client_id: int | None = None,
    statuses: Iterable[str] | None = None,
) -> QuerySet[WaitlistEntry]:
    entries = WaitlistEntry.objects.filter(organization_id=actor.organization_id).filter(
        _people_scope(actor, client_field="client_id", studio_field="session__studio_id")
    )
    entries = _filtered(
        entries,
        starts_field="session__starts_at",
        start=start,
        end=end,
        studio_ids=studio_ids,
        session_id=session_id,
        client_id=client_id,
        statuses=statuses,
    )
    return entries.select_related("session")


def get_waitlist_entry(actor: Membership, pk: int) -> WaitlistEntry:
    _in_organization(actor, WaitlistEntry, pk, "waitlist entry")
    entry = waitlist_for(actor).filter(pk=pk).first()
    if entry is None:
        raise NotFound("waitlist entry")
    return entry


def attendance_for(actor: Membership, session_id: int) -> QuerySet[Booking]:
    """A class's roster with attendance (staff who see the roster of that class)."""
    session = get_session(actor, session_id)
    require(actor, VIEW_ROSTER, session=session)
    return (
        Booking.objects.filter(organization_id=actor.organization_id, session_id=session.pk)
        .exclude(status=Booking.Status.CANCELLED)
        .select_related("session", "spot")
    )


def clients_for(actor: Membership, *, email: str | None = None) -> QuerySet[Membership]:
    require(actor, VIEW_CLIENTS)
    clients = Membership.objects.filter(
        organization_id=actor.organization_id, role=Role.CLIENT
    ).select_related("user", "client_profile")
    if email:
        clients = clients.filter(user__email__iexact=email.strip())
    return clients


def get_client(actor: Membership, pk: int) -> Membership:
    """A client: staff with VIEW_CLIENTS, or the client themself."""
    _in_organization(actor, Membership, pk, "client")
    if actor.pk == pk and is_client(actor) and actor.active:
        clients = Membership.objects.filter(pk=pk).select_related("user", "client_profile")
    else:
        clients = clients_for(actor)
    client = clients.filter(pk=pk).first()
    if client is None:
        raise NotFound("client")
    return client


def packages_for(
    actor: Membership, *, client_id: int | None = None, status: str | None = None
) -> QuerySet[ClientPackage]:
    packages = ClientPackage.objects.filter(organization_id=actor.organization_id)
    if not has_capability(actor, VIEW_CLIENTS):
        if not has_capability(actor, BOOK_SELF):
            raise PermissionDenied(VIEW_CLIENTS)
        packages = packages.filter(client_id=actor.pk)
    if client_id is not None:
        packages = packages.filter(client_id=client_id)
    if status:
        packages = packages.filter(status=status)
    return packages.select_related("product")


def get_package(actor: Membership, pk: int) -> ClientPackage:
    _in_organization(actor, ClientPackage, pk, "package")
    package = packages_for(actor).filter(pk=pk).first()
    if package is None:
        raise NotFound("package")
    return package


def payments_for(
    actor: Membership,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    client_id: int | None = None,
    status: str | None = None,
) -> QuerySet[Payment]:
    """Payments: owners (MANAGE_BILLING) see all; a client sees their own."""
    payments = Payment.objects.filter(organization_id=actor.organization_id)
    if not has_capability(actor, MANAGE_BILLING):
        if not has_capability(actor, BOOK_SELF):
            raise PermissionDenied(MANAGE_BILLING)
        payments = payments.filter(client_id=actor.pk)
    if start is not None:
        payments = payments.filter(created_at__gte=start)
    if end is not None:
        payments = payments.filter(created_at__lt=end)
    if client_id is not None:
        payments = payments.filter(client_id=client_id)
    if status:
        payments = payments.filter(status=status)
    return payments


def get_payment(actor: Membership, pk: int) -> Payment:
    _in_organization(actor, Payment, pk, "payment")
    payment = payments_for(actor).filter(pk=pk).first()
    if payment is None:
        raise NotFound("payment")
    return payment


def public_sessions(
    organization_slug: str, *, start: dt.datetime, end: dt.datetime, studio_id: int | None = None
) -> QuerySet[ClassSession]:
    """The public schedule: scheduled classes of the organization's active studios (what
    a visitor of the class browser sees). NotFound for an unknown organization."""
    slug = to_key(organization_slug, max_length=60)
    organization = Organization.objects.filter(slug=slug).first() if slug else None
    if organization is None:
        raise NotFound("organization")
    studios = Studio.objects.filter(organization=organization, active=True)
    if studio_id is not None:
        studios = studios.filter(pk=studio_id)
    return ClassSession.objects.filter(
        organization=organization,
        studio_id__in=studios.values("pk"),
        status=ClassSession.Status.SCHEDULED,
        starts_at__gte=start,
        starts_at__lt=end,
    ).select_related("studio", "room", "class_type", "instructor__user")
