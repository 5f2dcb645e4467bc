"""Applying an import: all rows in one transaction, or none.

The plan is made again inside the transaction (the dry run may be minutes old). Clients
are users with an unusable password (they set one with "forgot password"); packages keep
their remaining credits and expiry, with one ledger row for the credits used before the
import so the ledger still balances; future bookings take their place through the same
guarded statements as a booking (capacity holds) and are marked paid elsewhere (no
package, no credit spent).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from reformer.accounts.models import ClientProfile, Membership, Role, User
from reformer.billing.models import ClientPackage, CreditLedger, PackageProduct
from reformer.bookings.actions._place import new_booking, take_place
from reformer.bookings.models import Booking, new_reference
from reformer.core import audit
from reformer.core.errors import DomainError
from reformer.core.permissions import MANAGE_INTEGRATIONS, require
from reformer.portability.importing.planning import ImportPlan, RowResult, plan
from reformer.portability.importing.reading import read
from reformer.portability.models import ImportedRow
from reformer.scheduling.models import ClassSession


def run_import(
    actor: Membership,
    kind: str,
    content: bytes,
    *,
    mapping: dict[str, str] | None = None,
    dry_run: bool = True,
) -> ImportPlan:
    """Check (dry run) or import a file. An import refuses a file with any row error."""
    require(actor, MANAGE_INTEGRATIONS)
    organization = actor.organization
    table = read(kind, content, mapping)
    if dry_run:
        return plan(organization, table, kind)
    with transaction.atomic():
        result = plan(organization, table, kind)
        if not result.ok:
            raise DomainError(
                "import.has_errors",
                "Nothing was imported: fix the rows marked as errors and try again.",
                errors=result.counts["error"],
            )
        writer = {"clients": _client, "packages": _package, "bookings": _booking}[kind]
        for row in result.rows:
            if row.action == "create":
                writer(actor, row)
        audit.record(
            actor,
            "portability.import.applied",
            organization,
            kind=kind,
            source=result.source,
            **result.counts,
        )
    return result


def _client(actor: Membership, row: RowResult) -> None:
    data = row.values
    user = User.objects.filter(email__iexact=data["email"]).first()
    if user is None:
        user = User.objects.create_user(
            data["email"], password=None, name=data["name"], phone=data["phone"]
        )
    membership = Membership.objects.create(
        user=user, organization_id=actor.organization_id, role=Role.CLIENT
    )
    ClientProfile.objects.create(
        membership=membership,
        organization_id=actor.organization_id,
        emergency_contact_name=data["emergency_contact_name"],
        emergency_contact_phone=data["emergency_contact_phone"],
        birth_date=dt.date.fromisoformat(data["birth_date"]) if data.get("birth_date") else None,
    )
    audit.record(actor, "accounts.client.imported", membership)


def _product(actor: Membership, data: dict) -> PackageProduct:
    product = PackageProduct.objects.filter(
        organization_id=actor.organization_id, name__iexact=data["product"]
    ).first()
    if product is not None:
        return product
    expires_days = max((data["expires_at"] - timezone.now()).days, 1)
    return PackageProduct.objects.create(
        organization_id=actor.organization_id,
        name=data["product"],
        kind=data["kind"],
        credits=None if data["kind"] == "unlimited" else max(data["credits_total"] or 1, 1),
        validity_days=expires_days,
        price=Decimal("0"),
        description="Created by an import; not for sale until you set a price.",
        active=False,
    )


def _package(actor: Membership, row: RowResult) -> None:
    data = row.values
    now = timezone.now()
    starts_at = data["starts_at"] or now
    if starts_at >= data["expires_at"]:
        starts_at = min(now, data["expires_at"]) - dt.timedelta(days=1)
    package = ClientPackage.objects.create(
        organization_id=actor.organization_id,
        client_id=data["client_id"],
        product=_product(actor, data),
        credits_total=data["credits_total"],
        credits_remaining=data["credits_remaining"],
        starts_at=starts_at,
        expires_at=data["expires_at"],
        # Paid for in the previous system: no payment here, so not a "purchase".
        source=ClientPackage.Source.STAFF_GRANT,
    )
    used = (data["credits_total"] or 0) - (data["credits_remaining"] or 0)
    if used:
        CreditLedger.objects.create(
            organization_id=actor.organization_id,
            client_package=package,
            delta=-used,
            reason=CreditLedger.Reason.STAFF_ADJUSTMENT,
            actor=actor.user,
            note="Imported: credits used before the import",
        )
    ImportedRow.objects.create(
        organization_id=actor.organization_id,
        kind="packages",
        source_key=data["source_key"],
        object_id=package.pk,
    )
    audit.record(actor, "billing.package.imported", package, credits=data["credits_remaining"])


def _booking(actor: Membership, row: RowResult) -> None:
    data = row.values
    session = ClassSession.objects.select_related("studio").get(pk=data["session_id"])
    booking, _ = new_booking(
        session,
        client_id=data["client_id"],
        package_id=None,  # type: ignore[arg-type]  # paid elsewhere: no package
        spot=None,
        source=Booking.Source.STAFF,
        reference=new_reference(),
        now=timezone.now(),
    )
    if data.get("spot_id"):
        booking.spot_id = data["spot_id"]
    with transaction.atomic():
        placed = take_place(booking, chosen_spot=bool(data.get("spot_id")), now=timezone.now())
    if placed is None:
        raise DomainError(
            "import.class_full",
            f"Line {row.line}: the class is full, so nothing was imported. Raise its "
            "capacity or leave the booking out.",
        )
    audit.record(actor, "bookings.booking.imported", booking, session=session.pk)
