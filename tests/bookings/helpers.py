"""Building blocks for booking tests (also used by tests/concurrency and the tenancy rows)."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.billing.models import ClientPackage, PackageProduct
from reformer.bookings.integrity import check_integrity
from reformer.core import live
from reformer.notifications.actions import render_message
from reformer.studios.models import StudioPolicy
from tests import factories

_person = itertools.count()


def make_client(tenant, name: str, **user_fields) -> Membership:
    slug = tenant.organization.slug
    user = factories.UserFactory(
        email=f"{name.lower()}.{next(_person)}@{slug}.example.com", name=name, **user_fields
    )
    membership = factories.MembershipFactory(user=user, organization=tenant.organization)
    return Membership.objects.select_related("user").get(pk=membership.pk)


def give_package(
    client: Membership,
    *,
    credits: int | None = 10,
    kind: str = "class_pack",
    weekly_limit: int | None = None,
    expires_at: dt.datetime | None = None,
    starts_at: dt.datetime | None = None,
) -> ClientPackage:
    product = factories.PackageProductFactory(
        organization=client.organization,
        kind=kind,
        credits=None if kind == PackageProduct.Kind.UNLIMITED else max(credits or 1, 1),
        weekly_limit=weekly_limit,
    )
    now = timezone.now()
    return factories.ClientPackageFactory(
        client=client,
        product=product,
        credits_total=None if kind == PackageProduct.Kind.UNLIMITED else max(credits, 1),
        credits_remaining=credits,
        weekly_limit=weekly_limit,
        starts_at=starts_at or now - dt.timedelta(days=1),
        expires_at=expires_at or now + dt.timedelta(days=90),
    )


def set_policy(tenant, **fields) -> StudioPolicy:
    StudioPolicy.objects.filter(studio=tenant.studio).update(**fields)
    return StudioPolicy.objects.get(studio=tenant.studio)


def text(message) -> str:
    """The plain text a queued message will be sent with."""
    return render_message(message)[0]


def assert_consistent() -> None:
    report = check_integrity()
    assert report.ok, report.problems


class LiveEvents:
    """Records what core.live would send (after commit)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    def __call__(self, groups: list[str], message: dict) -> None:
        for group in groups:
            self.sent.append((group, message["event"]))

    def to(self, group: str) -> list[dict]:
        return [event for g, event in self.sent if g == group]


def record_live_events(monkeypatch) -> LiveEvents:
    events = LiveEvents()
    monkeypatch.setattr(live, "send_now", events)
    return events
