"""Tenancy matrix rows for the accounts actions not covered elsewhere (tests/tenancy.py)."""

from __future__ import annotations

import datetime as dt

from reformer.accounts.profile import set_client_birth_date
from tests.tenancy import register

DESK = {"owner", "manager", "front_desk"}


@register(allowed=DESK)
def set_client_birth_date_case(actor, ctx):
    return set_client_birth_date(actor, ctx.a.client, dt.date(1990, 3, 14))
