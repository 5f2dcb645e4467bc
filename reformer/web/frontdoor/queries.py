"""Reads for the front-door pages, scoped to the actor's organization first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.appointments.models import Appointment, AppointmentType, Attendee
from reformer.billing.models import ClientPackage, PackageProduct
from reformer.core.errors import DomainError, NotFound
from reformer.core.parsing import to_id, to_key
from reformer.core.permissions import reaches_every_studio, studio_ids_in_scope
from reformer.core.timezones import local_day_bounds
from reformer.onboarding.models import ClassRequirement, IntroOffer
from reformer.studios.models import Studio


def private_required(actor: Membership) -> bool:
    """Does some active class type of the organization ask for a private session first?"""
    return ClassRequirement.objects.filter(
        organization_id=actor.organization_id,
        kind=ClassRequirement.Kind.PRIVATE,
        class_type__active=True,
    ).exists()


def appointment_types(actor: Membership, *, active_only: bool = True) -> list[AppointmentType]:
    types = AppointmentType.objects.filter(organization_id=actor.organization_id)
    if active_only:
        types = types.filter(active=True)
    return list(types.prefetch_related("instructors__user"))


def appointment_type(actor: Membership, pk, *, active_only: bool = True) -> AppointmentType:
    try:
        found = AppointmentType.objects.filter(
            organization_id=actor.organization_id, pk=to_id(pk) or 0
        )
    except (TypeError, ValueError):
        raise NotFound("appointment type") from None
    if active_only:
        found = found.filter(active=True)
    kind = found.first()
    if kind is None:
        raise NotFound("appointment type")
    return kind


def studios(actor: Membership) -> list[Studio]:
    return list(Studio.objects.filter(organization_id=actor.organization_id, active=True))


def studio(actor: Membership, pk) -> Studio:
    options = studios(actor)
    for candidate in options:
        if str(candidate.pk) == str(pk):
            return candidate
    if pk in (None, "") and options:
        return options[0]
    raise NotFound("studio")


def member(actor: Membership, pk, *, role: str | None = None) -> Membership:
    try:
        found = Membership.objects.filter(organization_id=actor.organization_id, pk=to_id(pk) or 0)
    except (TypeError, ValueError):
        raise NotFound("person") from None
    if role:
        found = found.filter(role=role)
    result = found.select_related("user").first()
    if result is None:
        raise NotFound("person")
    return result


def client_places(client: Membership, *, upcoming: bool = True, limit: int = 20) -> list[Attendee]:
    now = timezone.now()
    places = Attendee.objects.filter(client=client).select_related(
        "appointment__appointment_type",
        "appointment__studio",
        "appointment__instructor__user",
        "appointment__spot",
    )
    if upcoming:
        places = places.filter(status=Attendee.Status.CONFIRMED, ends_at__gt=now).order_by(
            "starts_at"
        )
    else:
        places = places.exclude(status=Attendee.Status.CONFIRMED, ends_at__gt=now).order_by(
            "-starts_at"
        )
    return list(places[:limit])


def client_place(actor: Membership, reference: str) -> Attendee:
    key = to_key(reference, max_length=12)
    if key is None:
        raise NotFound("appointment")
    place = (
        Attendee.objects.filter(
            organization_id=actor.organization_id, client=actor, appointment__reference=key
        )
        .select_related(
            "appointment__appointment_type",
            "appointment__studio",
            "appointment__room",
            "appointment__spot",
            "appointment__instructor__user",
        )
        .order_by("-created_at")
        .first()
    )
    if place is None:
        raise NotFound("appointment")
    return place


def day_appointments(
    actor: Membership, studio: Studio, day: dt.date, *, instructor: Membership | None = None
) -> list[Appointment]:
    """A studio's appointments of a local day with their clients (3 queries)."""
    start, end = local_day_bounds(day, studio.time_zone)
    appointments = Appointment.objects.filter(
        organization_id=actor.organization_id,
        studio=studio,
        starts_at__gte=start,
        starts_at__lt=end,
    )
    if instructor is not None:
        appointments = appointments.filter(instructor=instructor)
    return list(
        appointments.select_related("appointment_type", "instructor__user", "spot", "room")
        .prefetch_related(_places())
        .order_by("starts_at", "instructor_id")
    )


def studio_appointments(actor: Membership, studio: Studio, start, end) -> list[Appointment]:
    """A studio's scheduled appointments in a span, with their clients (2 queries)."""
    return list(
        Appointment.objects.filter(
            organization_id=actor.organization_id,
            studio=studio,
            status=Appointment.Status.SCHEDULED,
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .select_related("appointment_type", "instructor__user", "spot")
        .prefetch_related(_places())
        .order_by("starts_at")
    )


def instructor_appointments(actor: Membership, start: dt.datetime, end: dt.datetime):
    """The instructor's own scheduled appointments in a span, with their clients."""
    return list(
        Appointment.objects.filter(
            organization_id=actor.organization_id,
            instructor=actor,
            status=Appointment.Status.SCHEDULED,
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .select_related("appointment_type", "studio", "spot")
        .prefetch_related(_places())
        .order_by("starts_at")
    )


def _places():
    from django.db.models import Prefetch

    return Prefetch(
        "attendees",
        queryset=Attendee.objects.filter(status__in=Attendee.HOLDING)
        .select_related("client__user")
        .order_by("created_at"),
        to_attr="places",
    )


def staff_appointment(actor: Membership, pk) -> Appointment:
    try:
        found = Appointment.objects.filter(
            organization_id=actor.organization_id,
            pk=to_id(pk) or 0,
        )
    except (TypeError, ValueError):
        raise NotFound("appointment") from None
    if not reaches_every_studio(actor):
        found = found.filter(studio_id__in=studio_ids_in_scope(actor))
    result = found.select_related("studio", "instructor", "appointment_type").first()
    if result is None:
        raise NotFound("appointment")
    return result


def staff_attendee(actor: Membership, pk) -> Attendee:
    try:
        found = Attendee.objects.filter(organization_id=actor.organization_id, pk=to_id(pk) or 0)
    except (TypeError, ValueError):
        raise NotFound("appointment") from None
    result = found.select_related("appointment__studio", "client__user").first()
    if result is None:
        raise NotFound("appointment")
    return result


def clients(actor: Membership, search: str = "", limit: int = 50) -> list[Membership]:
    found = Membership.objects.filter(
        organization_id=actor.organization_id, role="client", active=True
    ).select_related("user")
    if search:
        found = found.filter(Q(user__name__icontains=search) | Q(user__email__icontains=search))
    return list(found.order_by("user__name")[:limit])


@dataclass
class SaleItem:
    """A package for sale, with whether it is an intro offer and, for one client, why they
    may not have it (None: they may)."""

    product: PackageProduct
    is_intro: bool
    refusal: DomainError | None = None

    @property
    def pk(self) -> int:
        return self.product.pk

    def __getattr__(self, name: str):  # name, credits, price, currency... for templates
        return getattr(self.product, name)


def products_for_sale(actor: Membership) -> list[SaleItem]:
    products = list(
        PackageProduct.objects.filter(organization_id=actor.organization_id, active=True)
    )
    intro_ids = set(
        IntroOffer.objects.filter(organization_id=actor.organization_id, active=True).values_list(
            "product_id", flat=True
        )
    )
    return [SaleItem(product, product.pk in intro_ids) for product in products]


def client_packages(client: Membership) -> list[ClientPackage]:
    return list(
        ClientPackage.objects.filter(client=client, status=ClientPackage.Status.ACTIVE)
        .select_related("product")
        .order_by("expires_at")
    )


@dataclass(frozen=True)
class IntroConversion:
    buyers: int
    converted: int  # went on to buy (or be sold) a pack or membership afterwards

    @property
    def rate(self) -> float | None:
        return self.converted / self.buyers if self.buyers else None


_CONVERSION_SQL = """
SELECT count(*),
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM billing_clientpackage p
            WHERE p.client_id = r.client_id AND p.created_at > r.redeemed_at
              AND p.product_id NOT IN (SELECT product_id FROM onboarding_introoffer
                                        WHERE organization_id = %(org)s)))
  FROM onboarding_introredemption r
 WHERE r.organization_id = %(org)s AND r.redeemed_at >= %(since)s AND r.redeemed_at < %(until)s
"""


def intro_conversion(
    organization_id: int, since: dt.datetime, until: dt.datetime
) -> IntroConversion:
    """Intro buyers in the period, and how many of them later bought a package that is no
    intro offer (a pack or a membership). One query."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(_CONVERSION_SQL, {"org": organization_id, "since": since, "until": until})
        buyers, converted = cursor.fetchone()
    return IntroConversion(buyers, converted)
