"""A person's home studio: the one rule for which studio, and so which time zone and which
phone region, a person belongs to. Clients belong to the whole organization and carry no
studio, so theirs is where they book (classes and privates, the most used first); a
package's own studio (where it was bought) comes next for the package's notices; staff
scoped to studios have theirs; the organization's first studio is the last resort.

Used for the expiry warnings' "today" and times (notifications.expiry) and the default
region of a phone number typed without a country code (accounts.profile.default_region,
for the profile and for turning texts on alike).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Max

from reformer.accounts.models import Membership
from reformer.core.permissions import is_client
from reformer.studios.models import Studio

if TYPE_CHECKING:
    from reformer.billing.models import ClientPackage


def studios_used_by(client_ids: Iterable[int]) -> dict[int, list[int]]:
    """Per client, the ids of the studios they have booked classes or privates at, most
    used first (ties: the most recent). Two queries whatever the number of clients."""
    from reformer.appointments.models import Attendee
    from reformer.bookings.models import Booking

    ids = set(client_ids)
    uses: dict[int, dict[int, tuple[int, dt.datetime]]] = {}
    rows = [
        *Booking.objects.filter(client_id__in=ids)
        .values("client_id", "session__studio_id")
        .annotate(n=Count("id"), last=Max("starts_at"))
        .values_list("client_id", "session__studio_id", "n", "last"),
        *Attendee.objects.filter(client_id__in=ids)
        .values("client_id", "appointment__studio_id")
        .annotate(n=Count("id"), last=Max("starts_at"))
        .values_list("client_id", "appointment__studio_id", "n", "last"),
    ]
    for client_id, studio_id, count, last in rows:
        mine = uses.setdefault(client_id, {})
        before_count, before_last = mine.get(studio_id, (0, last))
        mine[studio_id] = (before_count + count, max(before_last, last))
    return {
        client_id: sorted(mine, key=lambda pk: mine[pk], reverse=True)
        for client_id, mine in uses.items()
    }


def studios_used(client: Membership) -> list[int]:
    return studios_used_by([client.pk]).get(client.pk, [])


@dataclass(frozen=True)
class PackageHome:
    """Where a package's holder is, for the package's notices."""

    time_zone: str
    # The studios whose classes suit them (the ones they use, else where the package was
    # bought); empty: no clue, every studio.
    studio_ids: tuple[int, ...]


def package_homes(packages: Sequence[ClientPackage]) -> dict[int, PackageHome]:
    """By package id, its holder's zone and studios, by home_studio's rule (clients: the
    studios they use, then the package's studio, then the organization's first). A fixed
    number of queries for any number of packages."""
    from reformer.billing.models import Payment

    used = studios_used_by(p.client_id for p in packages)
    bought = dict(
        Payment.objects.filter(
            client_package_id__in=[p.pk for p in packages], studio__isnull=False
        ).values_list("client_package_id", "studio_id")
    )
    first: dict[int, int] = {}
    for org_id, studio_id in (
        Studio.objects.filter(organization_id__in={p.organization_id for p in packages})
        .order_by("-pk")
        .values_list("organization_id", "pk")
    ):
        first[org_id] = studio_id  # descending: the lowest pk is written last
    wanted = {*first.values(), *bought.values(), *(i for ids in used.values() for i in ids)}
    zones = dict(Studio.objects.filter(pk__in=wanted).values_list("pk", "time_zone"))
    homes = {}
    for package in packages:
        scope = used.get(package.client_id) or (
            [bought[package.pk]] if package.pk in bought else []
        )
        home = scope[0] if scope else first.get(package.organization_id)
        zone = zones.get(home) if home is not None else None
        homes[package.pk] = PackageHome(
            time_zone=zone or package.organization.time_zone, studio_ids=tuple(scope)
        )
    return homes


def home_studio(person: Membership, *, package: ClientPackage | None = None) -> Studio | None:
    """The studio whose zone and country stand for the person (see the module)."""
    if is_client(person) and (used := studios_used(person)):
        return Studio.objects.filter(pk=used[0]).first()
    if package is not None:
        from reformer.billing.models import Payment

        payment = Payment.objects.filter(client_package_id=package.pk).select_related("studio")
        bought = payment.first()
        if bought is not None and bought.studio is not None:
            return bought.studio
    if not is_client(person) and (own := person.studios.order_by("pk").first()):
        return own
    return Studio.objects.filter(organization_id=person.organization_id).order_by("pk").first()


def home_time_zone(person: Membership, *, package: ClientPackage | None = None) -> str:
    """The zone the person lives in, as far as the studio knows: the home studio's."""
    studio = home_studio(person, package=package)
    return studio.time_zone if studio is not None else person.organization.time_zone
