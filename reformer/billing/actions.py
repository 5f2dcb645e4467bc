"""Credits: granting packages, spending and returning credits with a ledger row each time.

Spend and return are single statements: a guarded UPDATE of the package row (which locks it)
and the ledger INSERT in one round trip, because the booking actions call them while they
hold the class lock (ARCHITECTURE §5.2). Lock order: class session first, then package.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.billing.audit_codes import BILLING_PACKAGE_GRANTED
from reformer.billing.models import ClientPackage, PackageProduct
from reformer.core import audit, live
from reformer.core.errors import VALIDATION, DomainError
from reformer.core.permissions import GRANT_PACKAGE, is_client, require, require_same_organization

_SPEND_SQL = """
WITH spent AS (
    UPDATE billing_clientpackage
       SET credits_remaining = credits_remaining - 1
     WHERE id = %(package_id)s AND credits_remaining > 0
       AND status = 'active' AND expires_at > %(now)s
 RETURNING id, organization_id, credits_remaining
), entry AS (
    INSERT INTO billing_creditledger
           (organization_id, client_package_id, booking_id, delta, reason, actor_id, note, at)
    SELECT organization_id, id, %(booking_id)s, -1, %(reason)s, %(actor_id)s, '', %(now)s
      FROM spent
)
SELECT credits_remaining FROM spent
"""

_RETURN_SQL = """
WITH returned AS (
    UPDATE billing_clientpackage
       SET credits_remaining = credits_remaining + 1
     WHERE id = %(package_id)s AND credits_remaining IS NOT NULL
 RETURNING id, organization_id, credits_remaining
), entry AS (
    INSERT INTO billing_creditledger
           (organization_id, client_package_id, booking_id, delta, reason, actor_id, note, at)
    SELECT organization_id, id, %(booking_id)s, 1, %(reason)s, %(actor_id)s, %(note)s, %(now)s
      FROM returned
)
SELECT credits_remaining FROM returned
"""

_LOCK_SQL = """
SELECT id FROM billing_clientpackage
 WHERE id = %(package_id)s AND status = 'active' AND expires_at > %(now)s
   FOR NO KEY UPDATE
"""


def spend_credit(
    package: ClientPackage,
    *,
    booking_id: int,
    reason: str,
    actor_user_id: int | None,
    now: dt.datetime,
) -> bool:
    """Take one credit for a booking (ledger -1). False if the package can no longer pay.

    An unlimited package spends nothing: its row is only locked (and re-checked) so a
    weekly limit can be counted safely afterwards.
    """
    params = _spend_params(package, booking_id, reason, actor_user_id, now)
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_SQL if package.is_unlimited else _SPEND_SQL, params)
        return spent(package, cursor.fetchone())


# spend_credit's statements guarded by the booking row existing, for a caller that sends
# them in one round trip after the booking's insert, which may have inserted nothing (the
# class was full: bookings.actions._pipelined); then they spend and lock nothing.
_FOR_BOOKING = "AND EXISTS (SELECT 1 FROM bookings_booking WHERE id = %(booking_id)s)"
_SPEND_FOR_BOOKING_SQL = _SPEND_SQL.replace(
    "AND status = 'active' AND expires_at > %(now)s",
    f"AND status = 'active' AND expires_at > %(now)s {_FOR_BOOKING}",
)
_LOCK_FOR_BOOKING_SQL = _LOCK_SQL.replace(
    "AND expires_at > %(now)s", f"AND expires_at > %(now)s {_FOR_BOOKING}"
)
# A replace that found nothing would spend without the guard.
assert _FOR_BOOKING in _SPEND_FOR_BOOKING_SQL and _FOR_BOOKING in _LOCK_FOR_BOOKING_SQL


def _spend_params(
    package: ClientPackage,
    booking_id: int,
    reason: str,
    actor_user_id: int | None,
    now: dt.datetime,
) -> dict[str, Any]:
    return {
        "package_id": package.pk,
        "booking_id": booking_id,
        "reason": reason,
        "actor_id": actor_user_id,
        "now": now,
    }


def spend_statement(
    package: ClientPackage,
    *,
    booking_id: int,
    reason: str,
    actor_user_id: int | None,
    now: dt.datetime,
) -> tuple[str, dict[str, Any]]:
    """spend_credit as (sql, params), spending only if booking `booking_id` exists; its
    answer goes to spent()."""
    params = _spend_params(package, booking_id, reason, actor_user_id, now)
    return (_LOCK_FOR_BOOKING_SQL if package.is_unlimited else _SPEND_FOR_BOOKING_SQL), params


def spent(package: ClientPackage, row: tuple[Any, ...] | None) -> bool:
    """spend_credit's answer from its statement's row (None: the package could not pay)."""
    if row is None:
        return False
    if not package.is_unlimited:
        package.credits_remaining = row[0]
    return True


def return_credit(
    package: ClientPackage,
    *,
    booking_id: int,
    reason: str,
    actor_user_id: int | None,
    now: dt.datetime,
    note: str = "",
) -> bool:
    """Give one credit back for a booking (ledger +1). Unlimited packages have nothing to
    return: False."""
    if package.is_unlimited:
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            _RETURN_SQL,
            {
                "package_id": package.pk,
                "booking_id": booking_id,
                "reason": reason,
                "actor_id": actor_user_id,
                "note": note[:200],
                "now": now,
            },
        )
        row = cursor.fetchone()
    if row is None:
        return False
    package.credits_remaining = row[0]
    return True


def grant_package(
    actor: Membership,
    *,
    client: Membership,
    product: PackageProduct,
    credits: int | None = None,
    expires_at: dt.datetime | None = None,
    note: str = "",
) -> ClientPackage:
    """Staff give a client a package (a comp, a migration from another system, goodwill)."""
    require_same_organization(actor, client, "client")
    require_same_organization(actor, product, "package")
    require(actor, GRANT_PACKAGE)
    if not is_client(client) or not client.active:
        raise DomainError(VALIDATION, "Packages can only be granted to clients.", field="client")
    now = timezone.now()
    if product.kind == PackageProduct.Kind.UNLIMITED:
        if credits is not None:
            raise DomainError(
                VALIDATION, "An unlimited package has no credits to set.", field="credits"
            )
    else:
        credits = product.credits if credits is None else credits
        if credits is None or credits < 1:
            raise DomainError(VALIDATION, "Grant at least one credit.", field="credits")
    if expires_at is None:
        expires_at = now + dt.timedelta(days=product.validity_days)
    elif expires_at <= now:
        raise DomainError(VALIDATION, "The expiry date must be in the future.", field="expires_at")

    from reformer.billing.notices import queue_package_granted
    from reformer.bookings.actions._db import busy_as_domain_error
    from reformer.onboarding.intro import enforce_intro_offer_rule

    with busy_as_domain_error(), transaction.atomic(durable=True):
        package = ClientPackage.objects.create(
            organization_id=client.organization_id,
            client=client,
            product=product,
            credits_total=credits,
            credits_remaining=credits,
            weekly_limit=product.weekly_limit,
            starts_at=now,
            expires_at=expires_at,
            source=ClientPackage.Source.STAFF_GRANT,
        )
        # First-timer offers: once per client, never after a booking or purchase.
        enforce_intro_offer_rule(client, product, package)
        audit.record(
            actor, BILLING_PACKAGE_GRANTED, package, client=client, credits=credits, note=note
        )
        queue_package_granted(package, note=note)
        live.publish_after_commit(
            [live.user_channel(client.user_id)], "package", "created", [package.pk]
        )
    return package
