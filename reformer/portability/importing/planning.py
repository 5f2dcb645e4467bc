"""The dry run: every row checked against the organization, nothing written.

Each row gets an outcome: "create" (it will be imported), "skip" (already there, or not
something to import: an expired package, a past or cancelled booking; said why) or
"error" (what is wrong with it and how to fix it). An import with any error writes
nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models.functions import Lower
from django.utils import timezone

from reformer.accounts.birthdays import clean_birth_date
from reformer.accounts.models import Membership, Role
from reformer.billing.models import PackageProduct
from reformer.bookings.models import Booking
from reformer.core.errors import DomainError
from reformer.core.permissions import is_client
from reformer.portability.importing import values
from reformer.portability.importing.reading import FIELDS, Table
from reformer.portability.models import ImportedRow
from reformer.scheduling.models import ClassSession
from reformer.studios.models import Organization, Spot, Studio

ACTIVE_PACKAGE = {"", "active", "current", "valid"}
BOOKED = {"", "confirmed", "booked", "reserved", "pending", "enrolled", "standard", "active"}


@dataclass
class RowResult:
    line: int  # as a spreadsheet numbers it (the header is line 1)
    action: str  # create, skip, error
    message: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImportPlan:
    kind: str
    source: str
    mapping: dict[str, str]
    headers: list[str]
    missing: list[str]
    rows: list[RowResult]

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(row.action for row in self.rows)
        return {action: counted.get(action, 0) for action in ("create", "skip", "error")}

    @property
    def source_label(self) -> str:
        return {"mindbody": "Mindbody", "mariana_tek": "Mariana Tek"}.get(self.source, "Reformer")

    @property
    def ok(self) -> bool:
        return not self.missing and self.counts["error"] == 0


def source_key(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def plan(organization: Organization, table: Table, kind: str) -> ImportPlan:
    missing = [
        f"{description} ({name})"
        for name, (description, required, _) in FIELDS[kind].items()
        if required and name not in table.mapping
    ]
    if kind == "bookings" and not (
        "class_starts_at" in table.mapping or "class_date" in table.mapping
    ):
        missing.append("Class start (class_starts_at, or class_date and class_time)")
    rows: list[RowResult] = []
    if not missing:
        checker = {"clients": _clients, "packages": _packages, "bookings": _bookings}[kind]
        rows = checker(organization, table)
    return ImportPlan(kind, table.source, table.mapping, table.headers, missing, rows)


def _duplicates(table: Table, field_name: str) -> Counter:
    return Counter(row.get(field_name, "").strip().lower() for row in table.rows)


def _clients(organization: Organization, table: Table) -> list[RowResult]:
    seen = _duplicates(table, "email")
    emails = {row.get("email", "").strip().lower() for row in table.rows}
    members = {
        m.user.email.lower(): m
        for m in Membership.objects.filter(organization=organization)
        .annotate(email_lower=Lower("user__email"))
        .filter(email_lower__in=emails)
        .select_related("user")
    }
    results = []
    for line, row in enumerate(table.rows, start=2):
        try:
            address = values.email(row.get("email", ""))
        except values.BadValue as exc:
            results.append(RowResult(line, "error", f"{exc}."))
            continue
        if seen[address] > 1:
            results.append(
                RowResult(
                    line,
                    "error",
                    f"{address} appears {seen[address]} times in the file: two people "
                    "sharing an email must be told apart before importing (give one its own).",
                )
            )
            continue
        try:
            birth_date = _birth_date(row.get("birth_date", ""))
        except values.BadValue as exc:
            results.append(RowResult(line, "error", f"Birthday: {exc}."))
            continue
        except DomainError as exc:
            results.append(RowResult(line, "error", f"Birthday: {exc.message}"))
            continue
        name = row.get("name") or " ".join(
            part for part in (row.get("first_name", ""), row.get("last_name", "")) if part
        )
        data = {
            "email": address,
            "name": name.strip()[:150],
            "phone": row.get("phone", "")[:20],
            "emergency_contact_name": row.get("emergency_contact_name", "")[:150],
            "emergency_contact_phone": row.get("emergency_contact_phone", "")[:20],
            "birth_date": birth_date.isoformat() if birth_date else "",
        }
        member = members.get(address)
        if member is not None and not is_client(member):
            results.append(RowResult(line, "error", f"{address} is on your staff.", data))
        elif member is not None:
            results.append(RowResult(line, "skip", "Already a client.", data))
        else:
            results.append(RowResult(line, "create", "New client.", data))
    return results


def _birth_date(text: str) -> dt.date | None:
    if not text.strip():
        return None
    return clean_birth_date(values.date(text), timezone.now().date())


def _clients_by_email(organization: Organization, table: Table) -> dict[str, Membership]:
    emails = {row.get("client_email", "").strip().lower() for row in table.rows}
    return {
        m.email_lower: m
        for m in Membership.objects.filter(organization=organization, role=Role.CLIENT)
        .annotate(email_lower=Lower("user__email"))
        .filter(email_lower__in=emails)
        .select_related("user")
    }


def _packages(organization: Organization, table: Table) -> list[RowResult]:
    clients = _clients_by_email(organization, table)
    products = {p.name.lower(): p for p in PackageProduct.objects.filter(organization=organization)}
    done = set(
        ImportedRow.objects.filter(organization=organization, kind="packages").values_list(
            "source_key", flat=True
        )
    )
    now = timezone.now()
    results = []
    for line, row in enumerate(table.rows, start=2):
        try:
            address = values.email(row.get("client_email", ""))
            remaining = values.count(row.get("credits_remaining", ""), "Credits remaining")
            total = values.count(row.get("credits_total", ""), "Credits when bought")
            expires_at = values.moment(
                row.get("expires_at", ""), organization.time_zone, end_of_day=True
            )
            starts_text = row.get("starts_at", "")
            starts_at = values.moment(starts_text, organization.time_zone) if starts_text else None
        except values.BadValue as exc:
            results.append(RowResult(line, "error", f"{exc}."))
            continue
        product_name = row.get("product", "").strip()
        kind = (row.get("kind") or "").strip().lower().replace(" ", "_")
        if kind not in ("", "class_pack", "unlimited", "membership"):
            results.append(RowResult(line, "error", f"Unknown kind “{kind}”."))
            continue
        kind = kind or ("unlimited" if remaining is None else "class_pack")
        if kind == "unlimited":
            remaining = total = None
        elif remaining is None:
            results.append(RowResult(line, "error", "Credits remaining is empty."))
            continue
        else:
            total = total if total is not None else remaining
        data = {
            "client_email": address,
            "product": product_name[:120],
            "kind": kind,
            "credits_total": total,
            "credits_remaining": remaining,
            "starts_at": starts_at,
            "expires_at": expires_at,
        }
        status = (row.get("status") or "").strip().lower()
        key = source_key(address, product_name.lower(), total, remaining, expires_at.isoformat())
        client = clients.get(address)
        if client is None:
            results.append(
                RowResult(line, "error", f"No client {address}: import clients first.", data)
            )
        elif not product_name:
            results.append(RowResult(line, "error", "The package name is empty.", data))
        elif total is not None and remaining is not None and remaining > total:
            results.append(
                RowResult(line, "error", "More credits remaining than when bought.", data)
            )
        elif status not in ACTIVE_PACKAGE:
            results.append(RowResult(line, "skip", f"Status “{status}”: not active.", data))
        elif expires_at <= now:
            results.append(RowResult(line, "skip", "Already expired.", data))
        elif key in done:
            results.append(RowResult(line, "skip", "Already imported.", data))
        else:
            done.add(key)
            new_product = product_name.lower() not in products
            note = " (a new package, not for sale, will be created)" if new_product else ""
            data |= {"client_id": client.pk, "source_key": key}
            results.append(RowResult(line, "create", f"Active package{note}.", data))
    return results


def _bookings(organization: Organization, table: Table) -> list[RowResult]:
    clients = _clients_by_email(organization, table)
    studios = list(Studio.objects.filter(organization=organization))
    # Mariana Tek writes UTC; the others the studio's local time.
    utc = table.source == "mariana_tek"
    now = timezone.now()
    results = []
    for line, row in enumerate(table.rows, start=2):
        studio, problem = _studio(studios, row.get("studio", ""))
        if problem:
            results.append(RowResult(line, "error", problem))
            continue
        tz_name = "UTC" if utc else (studio or organization).time_zone
        try:
            address = values.email(row.get("client_email", ""))
            starts_text = row.get("class_starts_at") or (
                f"{row.get('class_date', '')} {row.get('class_time', '')}".strip()
            )
            starts_at = values.moment(starts_text, tz_name)
        except values.BadValue as exc:
            results.append(RowResult(line, "error", f"{exc}."))
            continue
        data: dict[str, Any] = {"client_email": address, "starts_at": starts_at}
        status = (row.get("status") or "").strip().lower()
        if starts_at <= now:
            results.append(RowResult(line, "skip", "In the past: only future bookings.", data))
            continue
        if status not in BOOKED:
            results.append(RowResult(line, "skip", f"Status “{status}”: not a booking.", data))
            continue
        client = clients.get(address)
        if client is None:
            results.append(
                RowResult(line, "error", f"No client {address}: import clients first.", data)
            )
            continue
        sessions = ClassSession.objects.filter(
            organization=organization, starts_at=starts_at, status=ClassSession.Status.SCHEDULED
        )
        if studio is not None:
            sessions = sessions.filter(studio=studio)
        if class_type := row.get("class_type", "").strip():
            sessions = sessions.filter(class_type__name__iexact=class_type)
        found = list(sessions.select_related("class_type", "studio")[:2])
        local = starts_at.astimezone(values.zone(tz_name))
        where = studio.name if studio else organization.name
        if len(found) > 1:
            results.append(
                RowResult(
                    line,
                    "error",
                    f"More than one class at {local:%Y-%m-%d %H:%M}: add a studio or class "
                    "type column to tell them apart.",
                    data,
                )
            )
            continue
        session = found[0] if found else None
        if session is None:
            results.append(
                RowResult(
                    line,
                    "error",
                    f"No {class_type or 'class'} at {where} on {local:%Y-%m-%d %H:%M}: "
                    "set up the schedule first.",
                    data,
                )
            )
            continue
        data |= {"client_id": client.pk, "session_id": session.pk}
        if Booking.objects.filter(
            client=client, session=session, status__in=Booking.HOLDING
        ).exists():
            results.append(RowResult(line, "skip", "Already booked.", data))
            continue
        if spot_label := row.get("spot", "").strip():
            spot = Spot.objects.filter(room_id=session.room_id, label__iexact=spot_label).first()
            if spot is None:
                results.append(RowResult(line, "error", f"No spot “{spot_label}”.", data))
                continue
            data["spot_id"] = spot.pk
        results.append(
            RowResult(line, "create", f"{session.class_type.name} on {local:%Y-%m-%d %H:%M}.", data)
        )
    return results


def _studio(studios: list[Studio], name: str) -> tuple[Studio | None, str]:
    """The named studio; None when no name is given (the class is then looked up in every
    studio, and must be the only one at that time)."""
    name = name.strip()
    if not name:
        return (studios[0] if len(studios) == 1 else None), ""
    for studio in studios:
        if studio.name.lower() == name.lower():
            return studio, ""
    return None, f"No studio named “{name}”."
