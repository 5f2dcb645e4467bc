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
from typing import TYPE_CHECKING

from django.db.models import Count, Max

from reformer.accounts.models import Membership, Role
from reformer.studios.models import Studio

if TYPE_CHECKING:
    from reformer.billing.models import ClientPackage


def studios_used(client: Membership) -> list[int]:
    """Ids of the studios the client has booked classes or privates at, most used first
    (ties: the most recent). Two queries."""
    from reformer.appointments.models import Attendee
    from reformer.bookings.models import Booking

    uses: dict[int, tuple[int, dt.datetime]] = {}
    rows = [
        *Booking.objects.filter(client_id=client.pk)
        .values("session__studio_id")
        .annotate(n=Count("id"), last=Max("starts_at"))
        .values_list("session__studio_id", "n", "last"),
        *Attendee.objects.filter(client_id=client.pk)
        .values("appointment__studio_id")
        .annotate(n=Count("id"), last=Max("starts_at"))
        .values_list("appointment__studio_id", "n", "last"),
    ]
    for studio_id, count, last in rows:
        before_count, before_last = uses.get(studio_id, (0, last))
        uses[studio_id] = (before_count + count, max(before_last, last))
    return sorted(uses, key=lambda pk: uses[pk], reverse=True)


def home_studio(person: Membership, *, package: ClientPackage | None = None) -> Studio | None:
    """The studio whose zone and country stand for the person (see the module)."""
    if person.role == Role.CLIENT and (used := studios_used(person)):
        return Studio.objects.filter(pk=used[0]).first()
    if package is not None:
        from reformer.billing.models import Payment

        payment = Payment.objects.filter(client_package_id=package.pk).select_related("studio")
        bought = payment.first()
        if bought is not None and bought.studio is not None:
            return bought.studio
    if person.role != Role.CLIENT and (own := person.studios.order_by("pk").first()):
        return own
    return Studio.objects.filter(organization_id=person.organization_id).order_by("pk").first()


def home_time_zone(person: Membership, *, package: ClientPackage | None = None) -> str:
    """The zone the person lives in, as far as the studio knows: the home studio's."""
    studio = home_studio(person, package=package)
    return studio.time_zone if studio is not None else person.organization.time_zone
