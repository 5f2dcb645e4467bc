"""Reading a CSV from Reformer, Mindbody or Mariana Tek: encoding, separator, headers.

Headers are matched after normalising (case, spaces and punctuation ignored), against the
Reformer template's names and those the other vendors' exports use
(/work/shared/reference/import-formats.md). Any other column can be mapped by hand.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from reformer.core.errors import DomainError

KINDS = ("clients", "packages", "bookings")
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000

# kind -> field -> (description, required, accepted header names normalised)
FIELDS: dict[str, dict[str, tuple[str, bool, tuple[str, ...]]]] = {
    "clients": {
        "email": ("Email address", True, ("email", "emailaddress", "clientemail", "customeremail")),
        "name": ("Full name", False, ("name", "fullname", "clientname", "customername")),
        "first_name": ("First name", False, ("firstname", "givenname")),
        "last_name": ("Last name", False, ("lastname", "surname", "familyname")),
        "phone": (
            "Phone",
            False,
            ("phone", "phonenumber", "mobilephone", "mobile", "cellphone", "homephone"),
        ),
        "emergency_contact_name": (
            "Emergency contact",
            False,
            ("emergencycontactname", "emergencycontact", "emergencycontactinfoname"),
        ),
        "emergency_contact_phone": (
            "Emergency contact phone",
            False,
            ("emergencycontactphone", "emergencycontactinfophone"),
        ),
        "birth_date": (
            "Birthday (YYYY-MM-DD)",
            False,
            ("birthdate", "birthday", "dateofbirth", "dob"),
        ),
    },
    "packages": {
        "client_email": (
            "Client's email",
            True,
            ("clientemail", "email", "customeremail", "emailaddress"),
        ),
        "product": (
            "Package name",
            True,
            ("product", "packagename", "package", "pricingoption", "membershipname", "plan"),
        ),
        "kind": ("class_pack, unlimited or membership", False, ("kind", "packagetype")),
        "credits_remaining": (
            "Credits remaining (empty = unlimited)",
            False,
            (
                "creditsremaining",
                "classesremaining",
                "remaining",
                "visitsremaining",
                "remainingcount",
                "creditsleft",
            ),
        ),
        "credits_total": (
            "Credits when bought (default: the remaining count)",
            False,
            ("creditstotal", "totalcredits", "count", "originalcount", "credits"),
        ),
        "starts_at": (
            "Active from",
            False,
            ("startsat", "activationdate", "startdate", "purchasedate", "saledate"),
        ),
        "expires_at": (
            "Expiry date",
            True,
            (
                "expiresat",
                "expirationdate",
                "expirationrenewaldate",
                "expirydate",
                "expiration",
                "enddate",
            ),
        ),
        "status": ("Status (only active ones are imported)", False, ("status",)),
    },
    "bookings": {
        "client_email": (
            "Client's email",
            True,
            ("clientemail", "email", "guestemail", "customeremail"),
        ),
        "studio": ("Studio name (optional with one studio)", False, ("studio", "location", "site")),
        "class_type": ("Class type name", False, ("classtype", "classname", "class", "service")),
        "class_starts_at": (
            "Class start, date and time",
            False,
            ("classstartsat", "classstart", "startsat", "classdatetime"),
        ),
        "class_date": ("Class date", False, ("classstartdate", "classdate", "date")),
        "class_time": ("Class time", False, ("classstarttime", "classtime", "time")),
        "status": ("Status (only booked ones are imported)", False, ("status",)),
        "spot": ("Spot", False, ("spot", "spotname")),
    },
}


def normalise(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.strip().lower())


@dataclass
class Table:
    headers: list[str]
    rows: list[dict[str, str]]  # field -> raw text
    mapping: dict[str, str]  # field -> header used
    source: str  # "reformer", "mariana_tek" or "mindbody"


def decode(content: bytes) -> str:
    if len(content) > MAX_BYTES:
        raise DomainError("validation", "The file is larger than 20 MB: split it.", field="file")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError("validation", "The file is not text (CSV).", field="file")


def _sniff_delimiter(first_line: str) -> str:
    counts = {sep: first_line.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda sep: counts[sep]) if any(counts.values()) else ","


def _source(normalised: set[str]) -> str:
    if {"reservationid", "classstartdate"} & normalised or "customerid" in normalised:
        return "mariana_tek"
    if {"pricingoption", "remainingcount", "mobilephone"} & normalised:
        return "mindbody"
    return "reformer"


def read(kind: str, content: bytes, mapping: dict[str, str] | None = None) -> Table:
    if kind not in KINDS:
        raise DomainError("validation", f"Choose what the file holds: {', '.join(KINDS)}.")
    text = decode(content)
    if not text.strip():
        raise DomainError("validation", "The file is empty.", field="file")
    first_line = text.splitlines()[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(first_line))
    try:
        headers = [h.strip() for h in next(reader)]
        raw_rows = [row for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise DomainError("validation", f"The CSV could not be read: {exc}.", field="file") from exc
    if len(raw_rows) > MAX_ROWS:
        raise DomainError("validation", f"More than {MAX_ROWS} rows: split the file.", field="file")
    by_normal: dict[str, str] = {}
    for header in headers:
        by_normal.setdefault(normalise(header), header)
    chosen: dict[str, str] = {}
    for field, (_, _, names) in FIELDS[kind].items():
        picked = (mapping or {}).get(field)
        if picked:
            if picked not in headers:
                raise DomainError("validation", f"The file has no column “{picked}”.", field=field)
            chosen[field] = picked
            continue
        for name in names:
            if name in by_normal and by_normal[name] not in chosen.values():
                chosen[field] = by_normal[name]
                break
    index = {header: position for position, header in enumerate(headers)}
    rows = []
    for raw in raw_rows:
        rows.append(
            {
                field: (raw[index[header]].strip() if index[header] < len(raw) else "")
                for field, header in chosen.items()
            }
        )
    return Table(headers, rows, chosen, _source(set(by_normal)))
