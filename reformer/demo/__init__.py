"""Deterministic demo data: `reformer demo`, and `reformer serve --demo` on an empty database.

One organization, Harbour Pilates, with a studio in London and two in New York, staff,
300 clients, six months of history and four weeks ahead. Everything is drawn from
`random.Random(42)` relative to the local day of each studio, so two loads on the same day
give the same classes and bookings.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TextIO

from reformer.demo import content

__all__ = ["demo_logins", "load_demo", "newcomer_login"]

ROLES = ("owner", "manager", "front_desk", "instructor", "client")


def load_demo(out: TextIO = sys.stdout, *, now: datetime | None = None) -> None:
    """Replace the demo organization (and demo users) with a fresh copy, printing progress."""
    from reformer.demo.loader import load_demo as load

    load(out, now=now)


def demo_logins() -> list[tuple[str, str, str]]:
    """(role, email, password): one login per role, all with the same password."""
    by_role = {spec.role: spec.email_local for spec in reversed(content.STAFF)}
    by_role["client"] = content.DEMO_CLIENT_EMAIL_LOCAL
    return [(role, f"{by_role[role]}@{content.EMAIL_DOMAIN}", content.PASSWORD) for role in ROLES]


def newcomer_login() -> tuple[str, str]:
    """(email, password) of a client with nothing done yet: the newcomer's path."""
    return f"newcomer@{content.EMAIL_DOMAIN}", content.PASSWORD
