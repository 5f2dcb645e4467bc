"""The booking engine's invariants, checked against the data (tests and `check_ledger`).

- every class: places held (confirmed + attended + no-show) <= capacity, booked_count equals
  that real count, waiting_count equals the entries still waiting, and the places kept for
  the waitlist (held_count) are no more than the people waiting and fit in the capacity;
- every package: credits_remaining >= 0 and its ledger sums to minus the credits it spent;
- every booking paid from a credit package: its ledger nets to -1, or 0 if the credit was
  returned;
- money: see payments/integrity.py (each paid package granted once, refunds' credits
  removed once, payments reconcile with packages).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection

from reformer.bookings.rules import HOLDING_SQL

_SESSIONS_SQL = f"""
SELECT s.id, s.capacity, s.booked_count, s.waiting_count, s.held_count AS kept,
       (SELECT count(*) FROM bookings_booking b
         WHERE b.session_id = s.id AND b.status IN {HOLDING_SQL}) AS held,
       (SELECT count(*) FROM bookings_waitlistentry w
         WHERE w.session_id = s.id AND w.status = 'waiting') AS waiting
  FROM scheduling_classsession s
 WHERE %(organization_id)s::bigint IS NULL OR s.organization_id = %(organization_id)s
"""

_PACKAGES_SQL = """
SELECT p.id, p.credits_total, p.credits_remaining, COALESCE(SUM(l.delta), 0) AS ledger
  FROM billing_clientpackage p
  LEFT JOIN billing_creditledger l ON l.client_package_id = p.id
 WHERE %(organization_id)s::bigint IS NULL OR p.organization_id = %(organization_id)s
 GROUP BY p.id
"""

_BOOKINGS_SQL = """
SELECT b.id, b.reference, b.status, b.credit_returned,
       p.id IS NOT NULL AND p.credits_total IS NOT NULL AS paid_with_credit,
       COALESCE((SELECT SUM(l.delta) FROM billing_creditledger l WHERE l.booking_id = b.id), 0)
  FROM bookings_booking b
  LEFT JOIN billing_clientpackage p ON p.id = b.client_package_id
 WHERE %(organization_id)s::bigint IS NULL OR b.organization_id = %(organization_id)s
"""


@dataclass
class IntegrityReport:
    sessions_checked: int = 0
    packages_checked: int = 0
    bookings_checked: int = 0
    payments_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        return (
            f"Checked {self.sessions_checked} classes, {self.packages_checked} packages, "
            f"{self.bookings_checked} bookings, {self.payments_checked} payments: "
            + ("no discrepancies." if self.ok else f"{len(self.problems)} discrepancies.")
        )


def check_integrity(*, organization_id: int | None = None) -> IntegrityReport:
    """Read-only: seven queries whatever the size of the data."""
    from reformer.payments.integrity import check_payments

    report = IntegrityReport()
    params = {"organization_id": organization_id}
    with connection.cursor() as cursor:
        cursor.execute(_SESSIONS_SQL, params)
        for session_id, capacity, booked_count, waiting_count, kept, held, waiting in cursor:
            report.sessions_checked += 1
            if held > capacity:
                report.problems.append(
                    f"class {session_id}: {held} places held but capacity is {capacity}"
                )
            if held != booked_count:
                report.problems.append(
                    f"class {session_id}: booked_count is {booked_count} but {held} places are held"
                )
            if kept > waiting_count or booked_count + kept > capacity:
                report.problems.append(
                    f"class {session_id}: {kept} places kept for {waiting_count} waiting, "
                    f"{booked_count} booked of {capacity}"
                )
            if waiting != waiting_count:
                report.problems.append(
                    f"class {session_id}: waiting_count is {waiting_count} but {waiting} "
                    "are waiting"
                )
        cursor.execute(_PACKAGES_SQL, params)
        for package_id, total, remaining, ledger in cursor:
            report.packages_checked += 1
            if remaining is not None and remaining < 0:
                report.problems.append(f"package {package_id}: {remaining} credits remaining")
            spent = 0 if total is None else total - remaining
            if ledger != -spent:
                report.problems.append(
                    f"package {package_id}: spent {spent} credits but the ledger sums to {ledger}"
                )
        cursor.execute(_BOOKINGS_SQL, params)
        for booking_id, reference, status, returned, paid_with_credit, net in cursor:
            report.bookings_checked += 1
            expected = -1 if paid_with_credit and not returned else 0
            if net != expected:
                report.problems.append(
                    f"booking {booking_id} ({reference}, {status}): ledger nets {net}, "
                    f"expected {expected}"
                )
    check_payments(report, organization_id=organization_id)
    return report
