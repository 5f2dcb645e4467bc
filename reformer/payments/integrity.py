"""Money invariants, checked against the data (`check_ledger`, tests):

- every paid package or membership payment granted exactly one package, of its product, to
  its client; nothing unpaid (pending, failed, cancelled) holds a package;
- every package bought or renewed has its payment (packages reconcile with payments);
- a payment's refunds add up to its refunded amount, and "refunded" means all of it;
- the credits refunds took back left each package once, through the ledger.

Four queries whatever the size of the data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection

if TYPE_CHECKING:
    from reformer.bookings.integrity import IntegrityReport

_PAYMENTS_SQL = """
SELECT pay.id, pay.status, pay.kind, pay.amount, pay.amount_refunded, pay.failure_reason,
       pay.client_package_id, pkg.product_id = pay.product_id AND pkg.client_id = pay.client_id,
       COALESCE((SELECT SUM(r.amount) FROM payments_refund r WHERE r.payment_id = pay.id), 0)
  FROM billing_payment pay
  LEFT JOIN billing_clientpackage pkg ON pkg.id = pay.client_package_id
 WHERE %(organization_id)s::bigint IS NULL OR pay.organization_id = %(organization_id)s
"""

_UNPAID_PACKAGES_SQL = """
SELECT pkg.id, pkg.source
  FROM billing_clientpackage pkg
 WHERE pkg.source IN ('purchase', 'subscription')
   AND NOT EXISTS (SELECT 1 FROM billing_payment pay WHERE pay.client_package_id = pkg.id)
   AND (%(organization_id)s::bigint IS NULL OR pkg.organization_id = %(organization_id)s)
"""

_REFUND_CREDITS_SQL = """
WITH taken AS (
    SELECT pay.client_package_id AS package_id, SUM(r.credits_removed) AS credits
      FROM payments_refund r JOIN billing_payment pay ON pay.id = r.payment_id
     WHERE pay.client_package_id IS NOT NULL
     GROUP BY pay.client_package_id
), ledger AS (
    SELECT client_package_id AS package_id, -SUM(delta) AS credits
      FROM billing_creditledger WHERE reason = 'refund' GROUP BY client_package_id
)
SELECT COALESCE(taken.package_id, ledger.package_id), COALESCE(taken.credits, 0),
       COALESCE(ledger.credits, 0)
  FROM taken FULL JOIN ledger ON ledger.package_id = taken.package_id
  JOIN billing_clientpackage pkg ON pkg.id = COALESCE(taken.package_id, ledger.package_id)
 WHERE COALESCE(taken.credits, 0) <> COALESCE(ledger.credits, 0)
   AND (%(organization_id)s::bigint IS NULL OR pkg.organization_id = %(organization_id)s)
"""

PAID = ("succeeded", "refunded")


def check_payments(report: IntegrityReport, *, organization_id: int | None = None) -> None:
    params = {"organization_id": organization_id}
    problems = report.problems
    with connection.cursor() as cursor:
        cursor.execute(_PAYMENTS_SQL, params)
        for pid, status, kind, amount, refunded, refused, package, matches, refund_sum in cursor:
            package_id = package
            report.payments_checked += 1
            grants = kind in ("package", "membership")
            # A paid purchase whose grant was refused (a second intro offer) says why and is
            # refunded: it holds no package.
            if grants and status in PAID and package_id is None and not refused:
                problems.append(f"payment {pid}: paid ({status}) but no package was granted")
            if status not in PAID and package_id is not None:
                problems.append(f"payment {pid}: {status} but holds package {package_id}")
            if package_id is not None and not matches:
                problems.append(f"payment {pid}: package {package_id} is another product/client")
            if refund_sum != refunded:
                problems.append(
                    f"payment {pid}: refunds add up to {refund_sum} but {refunded} is recorded"
                )
            if (status == "refunded") != (amount > 0 and refunded == amount):
                problems.append(f"payment {pid}: status {status} with {refunded} of {amount} back")
        cursor.execute(_UNPAID_PACKAGES_SQL, params)
        for package_id, source in cursor:
            problems.append(f"package {package_id}: {source} package without a payment")
        cursor.execute(_REFUND_CREDITS_SQL, params)
        for package_id, taken, ledger in cursor:
            problems.append(
                f"package {package_id}: refunds took back {taken} credits, the ledger {ledger}"
            )
