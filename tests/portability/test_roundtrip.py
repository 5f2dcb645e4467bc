"""Export one organization, import its clients, packages and bookings into an empty one
(with the same studio and schedule set up): the same people, packages and bookings."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from django.core.files.storage import default_storage
from django.utils import timezone

from reformer.accounts.models import ClientProfile, Membership
from reformer.billing.models import ClientPackage
from reformer.bookings import actions as bookings
from reformer.bookings.integrity import check_integrity
from reformer.bookings.models import Booking
from reformer.portability import actions
from reformer.portability.importing import run_import
from tests.bookings.helpers import give_package, make_client
from tests.conftest import build_tenant
from tests.factories import make_session
from tests.webhooks.conftest import run_queued_jobs


def test_export_then_import_into_an_empty_organization_reproduces_the_data(world):
    a = world.a
    starts = [timezone.now() + dt.timedelta(days=d, hours=h) for d, h in ((2, 0), (3, 2))]
    sessions = [make_session(a, starts_at=s.replace(microsecond=0)) for s in starts]
    people = [make_client(a, name) for name in ("Ana", "Ben", "Cy")]
    for person, credits in zip(people, (10, 5, 1), strict=True):
        give_package(person, credits=credits)
    ClientProfile.objects.update_or_create(
        membership=people[0],
        defaults={"organization": a.organization, "birth_date": dt.date(1990, 3, 14)},
    )
    bookings.book_session(people[0], sessions[0])
    bookings.book_session(people[0], sessions[1])
    bookings.book_session(people[1], sessions[1])

    export = actions.request_export(a.owner)
    run_queued_jobs("portability.build_export")
    export.refresh_from_db()
    with default_storage.open(export.file_name) as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))

    target = build_tenant("gamma")  # its own owner, studio and class type
    target.studio.name = a.studio.name
    target.studio.save()
    target.class_type.name = a.class_type.name
    target.class_type.save()
    for session in sessions:
        make_session(target, starts_at=session.starts_at, instructor=None)
    Membership.objects.filter(organization=target.organization, role="client").delete()

    for kind in ("clients", "packages", "bookings"):
        content = archive.read(f"{kind}.csv")
        plan = run_import(target.owner, kind, content)
        assert plan.ok, [(r.line, r.message) for r in plan.rows if r.action == "error"]
        run_import(target.owner, kind, content, dry_run=False)

    def clients(org):
        return sorted(
            (
                m.user.email,
                m.user.name,
                getattr(m, "client_profile", None) and m.client_profile.birth_date,
            )
            for m in Membership.objects.filter(organization=org, role="client")
        )

    def packages(org):
        return sorted(
            (
                p.client.user.email,
                p.product.name,
                p.credits_total,
                p.credits_remaining,
                p.expires_at,
            )
            for p in ClientPackage.objects.filter(organization=org)
        )

    def booked(org):
        return sorted(
            (b.client.user.email, b.session.starts_at, b.session.class_type.name, b.status)
            for b in Booking.objects.filter(organization=org)
        )

    assert clients(target.organization) == clients(a.organization)
    assert dt.date(1990, 3, 14) in [birthday for _, _, birthday in clients(target.organization)]
    assert packages(target.organization) == packages(a.organization)
    assert booked(target.organization) == booked(a.organization)
    report = check_integrity()
    assert report.ok, report.problems
